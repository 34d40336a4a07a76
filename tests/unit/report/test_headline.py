"""The headline: each loader's best case against the ceiling of its own kind of read."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from aisbench.report.headline import headline_rows
from aisbench.report.write import write_report
from aisbench.results import CaseResult, RunRecord
from tests.unit.report.sample_runs import case, measurement, provenance

RUN = "20261126T000000-dddddd"


def loader(strategy: str, samples: int, batch: int = 32, ceiling: str = "aisloader"
           ) -> CaseResult:
    result = case(RUN, "s", strategy, {"batch_size": batch, "strategy": strategy},
                  [measurement(samples), measurement(samples)])
    return replace(result, extra={"ceiling_strategy": ceiling})


def ceiling(strategy: str, samples: int, batch: int = 32, keys: tuple[str, ...] = ()
            ) -> CaseResult:
    result = case(RUN, "s", strategy, {"batch_size": batch, "strategy": strategy},
                  [measurement(samples), measurement(samples)])
    return replace(result, extra={"ceiling": True, "loader_keys": list(keys)})


def rows_by_strategy(cases: list[CaseResult]) -> dict[str, float | None]:
    return {row.strategy: row.share for row in headline_rows(cases)}


def test_each_loader_is_set_against_its_own_kind_of_ceiling() -> None:
    cases = [loader("official-batch-iter", 300, ceiling="aisloader-getbatch"),
             loader("official-map", 200), ceiling("aisloader", 400),
             ceiling("aisloader-getbatch", 600, keys=("batch_size",))]
    assert rows_by_strategy(cases) == {"official-batch-iter": pytest.approx(0.5),
                                       "official-map": pytest.approx(0.5)}


def test_a_getbatch_ceiling_counts_only_at_the_loaders_batch_size() -> None:
    cases = [loader("official-batch-iter", 300, batch=8, ceiling="aisloader-getbatch"),
             ceiling("aisloader-getbatch", 600, batch=8, keys=("batch_size",)),
             ceiling("aisloader-getbatch", 6000, batch=32, keys=("batch_size",))]
    assert rows_by_strategy(cases) == {"official-batch-iter": pytest.approx(0.5)}


def test_a_plain_get_ceiling_holds_across_batch_sizes() -> None:
    cases = [loader("aisref-map", 300, batch=8), ceiling("aisloader", 600, batch=32)]
    assert rows_by_strategy(cases) == {"aisref-map": pytest.approx(0.5)}


def test_ours_come_first_then_official_then_webdataset_each_at_its_best_case() -> None:
    cases = [loader("webdataset-http", 500), loader("official-shards", 100, batch=8),
             loader("official-shards", 250), loader("aisref-shards", 90)]
    rows = headline_rows(cases)
    assert [(r.family, r.strategy, r.samples_per_s.mean) for r in rows] == [
        ("ours (aisref)", "aisref-shards", 90), ("official SDK", "official-shards", 250),
        ("webdataset", "webdataset-http", 500)]
    assert all(r.share is None for r in rows)  # no ceiling measured: n/a, never a number


def test_the_report_page_opens_with_the_headline(tmp_path: Path) -> None:
    out = tmp_path
    cases = (loader("aisref-shards", 300), loader("official-shards", 200),
             loader("webdataset-http", 250), ceiling("aisloader", 600))
    run = RunRecord(RUN, "smoke", provenance(), cases)
    files = write_report([run], out)
    page = files.html.read_text()
    headline = page.index('id="headline"')
    assert headline < page.index("<figure") and headline < page.index("Every case, every metric")
    table = page[headline:page.index("</table>", headline)]
    assert table.index("aisref-shards") < table.index("official-shards") < table.index(
        "webdataset-http")
    assert "50%" in table and "33%" in table and "42%" in table
    markdown = files.markdown.read_text()
    assert "Headline" in markdown and "| ours (aisref) | aisref-shards |" in markdown


def test_each_kind_of_ceiling_is_its_own_reference_line() -> None:
    from aisbench.report.series import ceiling_references
    cases = [ceiling("aisloader", 400), ceiling("aisloader-getbatch", 600, keys=("batch_size",))]
    refs = ceiling_references(cases, "samples_per_s", exclude=())
    assert sorted((r.label, r.value) for r in refs) == [
        ("aisloader ceiling", pytest.approx(400)),
        ("aisloader-getbatch ceiling", pytest.approx(600))]


def test_a_getbatch_ceiling_swept_over_size_keeps_one_line_per_batch_size() -> None:
    from aisbench.report.series import sweep_series

    def sized(size: int, batch: int, samples: int) -> CaseResult:
        result = case(RUN, "s", "aisloader-getbatch",
                      {"object_size": size, "batch_size": batch,
                       "strategy": "aisloader-getbatch"},
                      [measurement(samples), measurement(samples)])
        return replace(result, extra={"ceiling": True, "loader_keys": ["batch_size"]})

    cases = [sized(1024, 8, 100), sized(2048, 8, 90), sized(1024, 32, 300),
             sized(2048, 32, 280)]
    series = sweep_series(cases, "object_size", "samples_per_s", {}, ceiling=True)
    assert sorted((s.label, s.y) for s in series) == [
        ("aisloader-getbatch ceiling (batch_size=32)", (300, 280)),
        ("aisloader-getbatch ceiling (batch_size=8)", (100, 90))]


def test_a_plain_get_ceiling_beside_a_getbatch_one_is_not_labelled_with_a_batch_size() -> None:
    from aisbench.report.series import sweep_series

    def sized(strategy: str, size: int, batch: int, keys: list[str]) -> CaseResult:
        result = case(RUN, "s", strategy,
                      {"object_size": size, "batch_size": batch, "strategy": strategy},
                      [measurement(100), measurement(100)])
        return replace(result, extra={"ceiling": True, "loader_keys": keys})

    cases = [sized("aisloader", 1024, 8, []), sized("aisloader", 2048, 8, []),
             sized("aisloader-getbatch", 1024, 8, ["batch_size"]),
             sized("aisloader-getbatch", 1024, 32, ["batch_size"])]
    labels = sorted(s.label for s in sweep_series(cases, "object_size", "samples_per_s", {},
                                                  ceiling=True))
    assert labels == ["aisloader ceiling", "aisloader-getbatch ceiling (batch_size=32)",
                      "aisloader-getbatch ceiling (batch_size=8)"]
