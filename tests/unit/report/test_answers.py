"""The two answers atop a report: fraction of the ceiling, smallest workers for AU >= 90%."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from aisbench.report.answers import ANSWERS_TITLE, NO_ACCELERATOR, answers_text, run_answers
from aisbench.report.write import write_report
from aisbench.results import CaseResult, ParamValue, RunRecord
from tests.unit.report.sample_runs import case, measurement, provenance

RUN = "20261126T000000-eeeeee"


def loader(strategy: str, workers: int | None, au: Sequence[float], *, samples: int = 100,
           batch: int = 32, ceiling: str = "aisloader") -> CaseResult:
    """A loader case: one repeat per AU value (1 s windows, so accel_busy_s = AU)."""
    params: dict[str, ParamValue] = {"strategy": strategy, "batch_size": batch}
    if workers is not None:
        params["num_workers"] = workers
    result = case(RUN, "s", strategy, params,
                  [measurement(samples, accel_busy_s=value) for value in au])
    return replace(result, extra={"ceiling_strategy": ceiling})


def ceiling_case(strategy: str, samples: int, batch: int = 32, *, status: str = "ok",
                 keys: tuple[str, ...] = ()) -> CaseResult:
    params: dict[str, ParamValue] = {"strategy": strategy, "batch_size": batch}
    if status != "ok":
        return case(RUN, "s", strategy, params, status=status, reason="aisloader exited 2")
    result = case(RUN, "s", strategy, params, [measurement(samples), measurement(samples)])
    return replace(result, extra={"ceiling": True, "loader_keys": list(keys)})


def sweep(strategy: str, au_by_workers: dict[int, float], repeats: int = 3, **kw: object
          ) -> list[CaseResult]:
    """More workers, more samples/s, so the best case is the largest count."""
    return [loader(strategy, w, [au] * repeats, samples=100 + w, **kw)  # type: ignore[arg-type]
            for w, au in au_by_workers.items()]


def answers_of(cases: list[CaseResult]) -> dict[str, tuple[int | None, str, str]]:
    return {a.strategy: (a.workers.workers, a.workers.text, a.share_text)
            for a in run_answers(cases)}


def test_au_crossing_90_percent_at_2_workers_answers_2() -> None:
    cases = sweep("aisref-iter", {0: 0.40, 1: 0.70, 2: 0.93, 4: 0.97, 8: 0.98})
    workers, text, _ = answers_of(cases)["aisref-iter"]
    assert workers == 2
    assert text == "2: AU 93.0% ± 0.0%, mean of 3 repeats"


def test_au_never_reaching_90_percent_answers_none_up_to_the_largest_count() -> None:
    cases = sweep("official-iter", {0: 0.30, 2: 0.60, 4: 0.81, 8: 0.80})
    workers, text, _ = answers_of(cases)["official-iter"]
    assert workers is None
    assert text == "none up to 8: best AU 81.0% ± 0.0% at 4, mean of 3 repeats"


def test_no_emulated_accelerator_says_so_rather_than_a_count() -> None:
    cases = sweep("aisref-map", {0: 0.0, 2: 0.0, 4: 0.0})
    assert answers_of(cases)["aisref-map"][:2] == (None, NO_ACCELERATOR)


def test_a_mean_just_above_90_percent_counts_and_says_the_interval_reaches_below() -> None:
    cases = [loader("aisref-iter", 1, [0.85, 0.86, 0.84], samples=100),
             loader("aisref-iter", 2, [0.89, 0.91, 0.91], samples=101)]
    workers, text, _ = answers_of(cases)["aisref-iter"]
    assert workers == 2
    assert text.startswith("2: AU 90.3% ± ") and ", mean of 3 repeats" in text
    assert text.endswith("; the 95% interval reaches below 90%")


def test_a_mean_just_below_90_percent_does_not_count_though_one_repeat_reached_it() -> None:
    cases = [loader("aisref-iter", 1, [0.85, 0.86, 0.84], samples=100),
             loader("aisref-iter", 2, [0.89, 0.905, 0.90], samples=101)]
    workers, text, _ = answers_of(cases)["aisref-iter"]
    assert workers is None
    assert text.startswith("none up to 2: best AU 89.8% ± ")


def test_one_repeat_is_said_to_have_no_interval() -> None:
    cases = sweep("aisref-iter", {0: 0.5, 1: 0.95}, repeats=1)
    assert answers_of(cases)["aisref-iter"][1] == "1: AU 95.0%, 1 repeat, no interval"


def test_reaching_the_bar_at_the_smallest_count_measured_is_an_upper_bound() -> None:
    cases = sweep("aisref-iter", {2: 0.95, 4: 0.99})
    workers, text, _ = answers_of(cases)["aisref-iter"]
    assert workers == 2
    assert text.startswith("2 or fewer (2 is the smallest count measured): AU 95.0%")


def test_the_sweep_keeps_the_other_parameters_at_the_best_cases_values() -> None:
    # batch 32 is faster (the best case); at batch 8 AU reaches 90% already at 1 worker.
    cases = [*sweep("aisref-iter", {1: 0.5, 2: 0.8, 4: 0.95}, batch=32),
             *[replace(c, case_id=c.case_id + "-b8", repeats=tuple(
                 replace(m, samples=10) for m in c.repeats))
               for c in sweep("aisref-iter", {1: 0.92, 2: 0.96}, batch=8)]]
    workers, text, _ = answers_of(cases)["aisref-iter"]
    assert workers == 4 and text.endswith("; at batch_size=32")


def test_a_run_that_does_not_sweep_workers_cannot_answer_but_gives_the_au_it_saw() -> None:
    cases = [loader("aisref-shards", None, [0.95, 0.95])]
    assert answers_of(cases)["aisref-shards"][:2] == (
        None, "not measured: the run does not sweep num_workers; AU 95% at the scenario's "
              "fixed count")


def test_the_fraction_names_its_ceiling() -> None:
    cases = [*sweep("aisref-iter", {0: 0.0, 2: 0.0}), ceiling_case("aisloader", 204)]
    # best case: 102 samples/s against 204: half the ceiling's MiB/s
    assert answers_of(cases)["aisref-iter"][2] == "50% of aisloader"


def test_no_ceiling_of_that_kind_says_why_instead_of_a_blank() -> None:
    cases = [loader("official-batch-iter", 2, [0.0], ceiling="aisloader-getbatch"),
             ceiling_case("aisloader", 200)]
    assert answers_of(cases)["official-batch-iter"][2] == (
        "n/a: no aisloader-getbatch ceiling for this kind of read in this run")


def test_a_ceiling_at_other_parameters_says_which_parameters_it_lacks() -> None:
    cases = [loader("official-batch-iter", 2, [0.0], batch=8, ceiling="aisloader-getbatch"),
             ceiling_case("aisloader-getbatch", 200, batch=32, keys=("batch_size",))]
    assert answers_of(cases)["official-batch-iter"][2] == (
        "n/a: no aisloader-getbatch ceiling at this case's parameters "
        "(batch_size=8, num_workers=2)")


def test_a_failed_ceiling_says_it_did_not_measure() -> None:
    cases = [loader("aisref-map", 2, [0.0]), ceiling_case("aisloader", 0, status="failed")]
    assert answers_of(cases)["aisref-map"][2] == (
        "n/a: the aisloader ceiling did not measure (failed: aisloader exited 2)")


def test_the_console_lines_hold_both_answers_per_strategy() -> None:
    cases = [*sweep("aisref-iter", {0: 0.4, 2: 0.93}), ceiling_case("aisloader", 204)]
    lines = answers_text(RunRecord(RUN, "workers", provenance(), tuple(cases))).splitlines()
    assert lines[0].split("  ")[0] == "strategy"
    assert lines[1].split()[:4] == ["aisref-iter", "50%", "of", "aisloader,"]
    assert lines[1].endswith("2: AU 93.0% ± 0.0%, mean of 3 repeats")
    assert answers_text(RunRecord(RUN, "empty", provenance(), ())) == ""


def test_the_report_opens_with_the_answers_in_html_markdown_and_json(tmp_path: Path) -> None:
    cases = (*sweep("aisref-iter", {0: 0.4, 2: 0.93, 4: 0.95}),
             loader("webdataset-http", 2, [0.0, 0.0]), ceiling_case("aisloader", 208))
    files = write_report([RunRecord(RUN, "workers", provenance(), cases)], tmp_path)

    page = files.html.read_text()
    body = page[page.index("<body>"):]
    answers = body.index('id="answers"')
    assert answers < body.index("<table") and answers < body.index("<h2") < body.index(
        'id="headline"')
    table = body[answers:body.index("</table>", answers)]
    assert "50% of aisloader, with an emulated accelerator in the loop (AU 95%)" in table
    assert "2: AU 93.0%" in table
    assert NO_ACCELERATOR in table and "n/a: the aisloader ceiling" not in table

    markdown = files.markdown.read_text()
    first_table = markdown.index("\n|")
    assert markdown.index(f"**{ANSWERS_TITLE}**") < first_table < markdown.index("Headline")
    assert markdown[first_table:].splitlines()[1] == (
        "| strategy | fraction of ceiling (MiB/s) | smallest num_workers for AU ≥ 90% |")
    assert ("| aisref-iter | 50% of aisloader, with an emulated accelerator in the loop (AU 95%) "
            "| 2: AU 93.0% ± 0.0%, mean of 3 repeats |") in (
        markdown)

    document = json.loads(files.json.read_text())
    [first, second] = document["answers"][RUN]
    assert (first["strategy"], first["share"], first["workers"]["workers"]) == (
        "aisref-iter", pytest.approx(0.5), 2)
    assert (second["strategy"], second["workers"]["text"]) == ("webdataset-http", NO_ACCELERATOR)


def test_a_run_measuring_without_and_with_an_accelerator_answers_from_the_emulated_one() -> None:
    # compute 0 is faster (the best case) but cannot answer; the 50 ms sweep can.
    def timed(workers: int, ms: int, au: float, samples: int) -> CaseResult:
        base = loader("aisref-iter", workers, [au] * 2, samples=samples)
        params = {**base.params, "compute_ms_per_batch": ms}
        return replace(base, case_id=f"{base.case_id},ms={ms}", params=params)

    cases = [timed(1, 0, 0.0, 600), timed(2, 0, 0.0, 900),
             timed(1, 50, 0.85, 540), timed(2, 50, 0.96, 610)]
    assert answers_of(cases)["aisref-iter"][:2] == (
        2, "2: AU 96.0% ± 0.0%, mean of 2 repeats; at compute_ms_per_batch=50")


def test_a_report_of_two_runs_gives_each_run_its_own_answers_named(tmp_path: Path) -> None:
    first = RunRecord(RUN, "workers", provenance(), tuple(sweep("aisref-iter", {0: 0.4, 2: 0.93})))
    later = "20261126T010000-ffffff"
    second = RunRecord(later, "workers", provenance(), tuple(
        replace(c, run_id=later) for c in sweep("aisref-iter", {0: 0.5, 2: 0.7})))
    markdown = write_report([first, second], tmp_path).markdown.read_text()
    assert markdown.index(f"**{ANSWERS_TITLE} (workers, run `{RUN}`)**") < markdown.index(
        f"**{ANSWERS_TITLE} (workers, run `{later}`)**") < markdown.index("### workers")
    no_ceiling = "n/a: no aisloader ceiling for this kind of read in this run"
    assert f"| aisref-iter | {no_ceiling} | 2: AU" in markdown
    assert "none up to 2: best AU 70.0%" in markdown
