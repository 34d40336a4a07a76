"""The run's summary table, grouping for `tune`, and how long a case may take."""

from __future__ import annotations

from aisbench.commands import group_by_other_params, summary_table
from aisbench.results.schema import CaseResult, Measurement, RunRecord
from aisbench.runner.run import CASE_SLACK_S, EPOCHS_CASE_TIMEOUT_S, case_timeout_s
from aisbench.scenario.model import RunSettings
from tests.case_values import make_case
from tests.unit.results.samples import PROVENANCE, RUN_ID


def ok_case(strategy: str, workers: int, samples: int = 2000) -> CaseResult:
    window = Measurement(duration_s=2.0, samples=samples, bytes=samples * 2**20 // 10,
                         batches=samples // 10, batch_latencies_s=(0.01, 0.02, 0.05),
                         cpu_seconds=1.0, peak_rss_bytes=300 * 2**20)
    return CaseResult(run_id=RUN_ID, case_id=f"strategy={strategy},num_workers={workers}",
                      scenario="s", strategy=strategy,
                      params={"strategy": strategy, "num_workers": workers},
                      repeats=(window, window))


def skipped_case() -> CaseResult:
    return CaseResult(run_id=RUN_ID, case_id="strategy=aisref-map,etl=echo", scenario="s",
                      strategy="aisref-map", params={"strategy": "aisref-map", "etl": "echo"},
                      status="skipped", reason="no ETL here")


def record(*cases: CaseResult) -> RunRecord:
    return RunRecord(run_id=RUN_ID, scenario="s", provenance=PROVENANCE, cases=cases)


def test_summary_table_has_a_header_and_one_line_per_case() -> None:
    lines = summary_table(record(ok_case("aisref-map", 0), skipped_case())).splitlines()
    assert len(lines) == 3
    assert lines[0].split() == ["case", "samples/s", "MiB/s", "p99", "ms", "cpu", "rss", "MiB",
                                "status"]


def test_summary_line_of_an_ok_case_shows_its_mean_numbers() -> None:
    line = summary_table(record(ok_case("aisref-map", 2, samples=2000))).splitlines()[1]
    assert line.split() == ["strategy=aisref-map,num_workers=2", "1000.0", "100.0", "49.4",
                            "0.50", "300", "ok"]


def test_summary_line_of_a_skipped_case_shows_dashes_and_the_reason() -> None:
    line = summary_table(record(skipped_case())).splitlines()[1]
    assert line.split()[1:6] == ["-"] * 5
    assert line.endswith("skipped: no ETL here")


def test_group_by_other_params_puts_cases_differing_only_in_the_label_together() -> None:
    cases = [ok_case("aisref-map", 0), ok_case("aisref-iter", 0), ok_case("aisref-map", 2),
             ok_case("aisref-iter", 2)]
    groups = group_by_other_params(cases, "num_workers")
    assert {key: [c.params["num_workers"] for c in group] for key, group in groups.items()} == {
        (("strategy", "aisref-map"),): [0, 2],
        (("strategy", "aisref-iter"),): [0, 2],
    }


def test_a_duration_case_may_take_its_windows_plus_the_slack() -> None:
    case = make_case(run=RunSettings(duration_s=10.0, warmup_s=2.0, repeats=3))
    assert case_timeout_s(case) == 2.0 + 3 * 10.0 + CASE_SLACK_S


def test_an_epochs_case_has_the_fixed_epochs_timeout() -> None:
    case = make_case(run=RunSettings(duration_s=None, epochs=2, warmup_s=1.0, repeats=3))
    assert case_timeout_s(case) == EPOCHS_CASE_TIMEOUT_S
