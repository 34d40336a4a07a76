"""scripts/targets.py: issue #12's ratios from run JSON, and its targets tied to the scenarios."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from aisbench.results import CaseResult, ParamValue, RunRecord, write_run_json
from aisbench.scenario import expand, load_scenario
from aisbench.strategies.registry import STRATEGIES
from tests.unit.report.sample_runs import case, measurement, provenance

REPO = Path(__file__).resolve().parents[2]
SMALL, LARGE = 16 * 1024, 2**20


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("targets_script", REPO / "scripts/targets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["targets_script"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


targets = _load_script()


def _case(strategy: str, size: int, workers: int, samples_per_s: int, *,
          scenario: str = "targets", status: str = "ok", sample_bytes: int = SMALL,
          get_batch_size: int | None = None) -> CaseResult:
    params: dict[str, ParamValue] = {"object_size": size, "num_workers": workers,
                                     "strategy": strategy}
    if get_batch_size is not None:
        params["get_batch_size"] = get_batch_size
    repeats = [measurement(samples_per_s, sample_bytes=sample_bytes)] * 2 if status == "ok" else []
    return case("run-1", scenario, strategy, params, repeats, status=status,
                reason="" if status == "ok" else "why")


def _run(*cases: CaseResult, run_id: str = "run-1", scenario: str = "targets") -> RunRecord:
    return RunRecord(run_id, scenario, provenance(), tuple(cases))


def _row(rows: list[Any], prefix: str) -> Any:
    (row,) = [r for r in rows if r.target.name.startswith(prefix)]
    return row


def test_a_ratio_is_ours_over_theirs_of_the_targets_metric() -> None:
    rows = targets.target_rows([_run(_case("aisref-map", SMALL, 0, 600),
                                     _case("official-map", SMALL, 0, 100))])
    row = _row(rows, "map dataset")
    assert row.ratio == pytest.approx(6.0)
    assert row.verdict == "met"
    assert row.ours.case_id == "object_size=16384,num_workers=0,strategy=aisref-map"


def test_below_the_minimum_is_missed() -> None:
    rows = targets.target_rows([_run(_case("aisref-batch-iter", SMALL, 0, 110),
                                     _case("official-batch-iter", SMALL, 0, 100))])
    row = _row(rows, "batch iter")
    assert row.ratio == pytest.approx(1.1)
    assert row.verdict == "MISSED"


def test_best_aisref_is_the_highest_mean_among_its_strategies_skipping_failed_cases() -> None:
    run = _run(_case("aisref-map", SMALL, 0, 300), _case("aisref-map", SMALL, 4, 900),
               _case("aisref-iter", SMALL, 4, 5000, status="failed"),
               _case("aisloader", SMALL, 0, 1000))
    row = _row(targets.target_rows([run]), "16 KiB: best aisref")
    assert row.ours.value == pytest.approx(900)
    assert row.ours.case_id.endswith("num_workers=4,strategy=aisref-map")
    assert row.ratio == pytest.approx(0.9)


def test_batch_iter_target_compares_getbatch_requests_of_the_batch_size_only() -> None:
    run = _run(_case("aisref-batch-iter", SMALL, 0, 130),
               _case("aisref-batch-iter", SMALL, 0, 900, get_batch_size=128),
               _case("official-batch-iter", SMALL, 0, 100), _case("aisloader", SMALL, 0, 600))
    rows = targets.target_rows([run])
    assert _row(rows, "batch iter").ratio == pytest.approx(1.3)
    best = _row(rows, "16 KiB: best aisref")  # any request size may be the best aisref
    assert best.ours.value == pytest.approx(900) and best.ratio == pytest.approx(1.5)


def test_mib_per_s_targets_use_bytes_and_only_their_size_and_workers() -> None:
    run = _run(_case("aisref-map", LARGE, 4, 70, sample_bytes=LARGE),
               _case("aisref-map", LARGE, 0, 99, sample_bytes=LARGE),  # 0 workers: not a side
               _case("aisloader", LARGE, 4, 100, sample_bytes=LARGE))
    row = _row(targets.target_rows([run]), "1 MiB")
    assert (row.ours.value, row.theirs.value) == (pytest.approx(70), pytest.approx(100))
    assert row.ratio == pytest.approx(0.7) and row.verdict == "met"


def test_a_target_of_a_scenario_not_among_the_runs_is_not_measured_never_met() -> None:
    row = _row(targets.target_rows([_run(_case("aisref-map", SMALL, 0, 600))]), "one 256 MiB")
    assert row.ratio is None and row.verdict == "not measured"


def test_every_side_of_every_target_is_a_case_of_its_shipped_scenario() -> None:
    names = {side.scenario for t in targets.TARGETS for side in (t.ours, t.theirs)}
    scenarios = {name: load_scenario(REPO / "scenarios" / f"{name}.yaml", STRATEGIES)
                 for name in names}
    for target in targets.TARGETS:
        for side in (target.ours, target.theirs):
            cases = [case("r", side.scenario, c.strategy, c.params, [measurement(1)])
                     for c in expand(scenarios[side.scenario])]
            assert any(side.matches(c) for c in cases), (target.name, side)


def test_the_script_prints_the_table_and_exits_1_until_every_target_is_met(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _run(_case("aisref-map", SMALL, 0, 600), _case("official-map", SMALL, 0, 100),
               run_id="20261126T000000-abcdef")
    write_run_json(run, tmp_path / "runs" / f"{run.run_id}.json")
    assert targets.main([run.run_id, "--reports", str(tmp_path)]) == 1  # others not measured
    out = capsys.readouterr().out
    assert "runs: 20261126T000000-abcdef" in out
    assert "| 6.00x | one run | >= 5x | met |" in out
    assert out.count("| not measured |\n") == 4  # the verdict column of the other four


def test_several_runs_are_judged_on_the_median_of_their_own_ratios_and_each_is_shown() -> None:
    runs = [_run(_case("aisref-map", SMALL, 0, ours), _case("official-map", SMALL, 0, 100),
                 run_id=f"run-{ours}")
            for ours in (700, 450, 520)]  # ratios 7.0, 4.5, 5.2
    row = _row(targets.target_rows(runs), "map dataset")
    assert [run.ratio for run in row.measured] == pytest.approx([4.5, 5.2, 7.0])
    assert row.ratio == pytest.approx(5.2) and row.verdict == "met"
    assert row.ours.value == pytest.approx(520)  # the median run's sides
    assert row.met_in == 2
    assert "| 5.20x | 4.50, 5.20, 7.00 (2/3 met) | >= 5x | met |" in targets.targets_table([row])


def test_an_even_count_of_runs_takes_the_lower_middle_ratio_so_it_never_rounds_up() -> None:
    runs = [_run(_case("aisref-batch-iter", SMALL, 0, ours),
                 _case("official-batch-iter", SMALL, 0, 100), run_id=f"run-{ours}")
            for ours in (130, 110)]
    row = _row(targets.target_rows(runs), "batch iter")
    assert row.ratio == pytest.approx(1.1) and row.verdict == "MISSED"


def test_the_plot_is_written_as_a_png(tmp_path: Path) -> None:
    rows = targets.target_rows([_run(_case("aisref-map", SMALL, 0, 600),
                                     _case("official-map", SMALL, 0, 100))])
    path = tmp_path / "targets.png"
    targets.plot_targets(rows, path, "title")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
