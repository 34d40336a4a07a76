"""The regression gate on controlled timings: it flags real slowdowns and stays quiet on noise."""

import dataclasses

import pytest

from aisbench.analysis.compare import compare_runs, has_regression, to_markdown
from aisbench.results.schema import CaseResult, RunRecord
from tests.unit.analysis.synthetic import noisy, repeat, run

CV = 0.03  # realistic run-to-run noise of a quiet machine
REPEATS = 5


def verdict(base: RunRecord, current: RunRecord, **kwargs) -> str:
    return compare_runs(base, current, **kwargs).cases[0].verdict


def test_a_twenty_percent_slowdown_is_flagged_slower():
    base = run("b", {"c": noisy(1000, CV, REPEATS, seed=1)})
    current = run("c", {"c": noisy(800, CV, REPEATS, seed=2)})
    comparison = compare_runs(base, current)
    assert comparison.cases[0].verdict == "slower"
    assert has_regression(comparison)


def test_a_twenty_percent_slowdown_is_caught_in_nearly_every_seeded_trial():
    caught = sum(
        verdict(
            run("b", {"c": noisy(1000, CV, REPEATS, seed=2 * i)}),
            run("c", {"c": noisy(800, CV, REPEATS, seed=2 * i + 1)}),
        )
        == "slower"
        for i in range(100)
    )
    assert caught >= 95


def test_a_twenty_percent_speedup_is_flagged_faster_and_passes_the_gate():
    base = run("b", {"c": noisy(1000, CV, REPEATS, seed=1)})
    current = run("c", {"c": noisy(1200, CV, REPEATS, seed=2)})
    comparison = compare_runs(base, current)
    assert comparison.cases[0].verdict == "faster"
    assert not has_regression(comparison)


def test_a_and_a_runs_pass_with_a_false_positive_rate_under_five_percent():
    flagged = sum(
        verdict(
            run("b", {"c": noisy(1000, CV, REPEATS, seed=1000 + 2 * i)}),
            run("c", {"c": noisy(1000, CV, REPEATS, seed=1001 + 2 * i)}),
        )
        != "unchanged"
        for i in range(200)
    )
    assert flagged / 200 < 0.05


def test_a_significant_change_below_the_threshold_is_unchanged():
    base = run("b", {"c": [1000.0, 1001.0, 999.0, 1000.5, 999.5]})
    current = run("c", {"c": [970.0, 971.0, 969.0, 970.5, 969.5]})
    case = compare_runs(base, current, threshold=0.05).cases[0]
    assert case.p_value is not None and case.p_value < 0.001
    assert case.verdict == "unchanged"


def test_a_large_change_that_is_not_significant_is_unchanged():
    base = run("b", {"c": [1000.0, 600.0, 1400.0]})
    current = run("c", {"c": [900.0, 500.0, 1300.0]})
    assert verdict(base, current) == "unchanged"


def test_ratio_and_interval_describe_current_over_base():
    base = run("b", {"c": noisy(1000, CV, REPEATS, seed=1)})
    current = run("c", {"c": noisy(800, CV, REPEATS, seed=2)})
    case = compare_runs(base, current).cases[0]
    assert case.ratio is not None and case.current_mean is not None and case.base_mean is not None
    assert case.ci_low is not None and case.ci_high is not None
    assert case.ratio == pytest.approx(case.current_mean / case.base_mean)
    assert case.ci_low < case.ratio < case.ci_high < 1


def latency_run(run_id: str, latencies: list[float]) -> RunRecord:
    case = CaseResult(
        run_id=run_id,
        case_id="c",
        scenario="regression",
        strategy="aisref-iter",
        repeats=tuple(repeat(1000, latency_s=lat) for lat in latencies),
    )
    return RunRecord(run_id, "regression", run("x", {}).provenance, (case,))


def test_for_latency_a_higher_value_is_slower():
    base = latency_run("b", noisy(0.010, CV, REPEATS, seed=1))
    current = latency_run("c", noisy(0.012, CV, REPEATS, seed=2))
    assert verdict(base, current, metric="latency_p50_s") == "slower"


def test_for_latency_a_lower_value_is_faster():
    base = latency_run("b", noisy(0.010, CV, REPEATS, seed=1))
    current = latency_run("c", noisy(0.008, CV, REPEATS, seed=2))
    assert verdict(base, current, metric="latency_p50_s") == "faster"


def test_a_case_only_in_the_base_is_missing_and_fails_the_gate_by_default():
    comparison = compare_runs(run("b", {"c": [1.0, 1.0]}), run("c", {}))
    assert comparison.cases[0].verdict == "missing"
    assert has_regression(comparison)
    assert not has_regression(comparison, missing_is_regression=False)


def test_a_case_only_in_the_current_run_is_new():
    comparison = compare_runs(run("b", {}), run("c", {"c": [1.0, 1.0]}))
    assert [(c.case_id, c.verdict) for c in comparison.cases] == [("c", "new")]
    assert not has_regression(comparison)


def test_a_case_that_failed_now_fails_the_gate_with_its_reason():
    current = run("c", {})
    failed = CaseResult(
        run_id="c",
        case_id="c",
        scenario="regression",
        strategy="aisref-iter",
        status="failed",
        reason="worker crashed",
    )
    current = dataclasses.replace(current, cases=(failed,))
    comparison = compare_runs(run("b", {"c": [1.0, 1.0]}), current)
    assert (comparison.cases[0].verdict, comparison.cases[0].reason) == ("failed", "worker crashed")
    assert has_regression(comparison)


def test_one_repeat_is_inconclusive_not_unchanged():
    assert verdict(run("b", {"c": [1000.0]}), run("c", {"c": [500.0]})) == "inconclusive"


def test_changed_scenario_definition_is_noted():
    base = run("b", {"c": [1.0, 1.0]})
    provenance = dataclasses.replace(base.provenance, scenario_hash="different")
    current = dataclasses.replace(run("c", {"c": [1.0, 1.0]}), provenance=provenance)
    assert any("scenario_hash" in note for note in compare_runs(base, current).notes)


def test_comparison_is_deterministic():
    base = run("b", {"c": noisy(1000, CV, REPEATS, seed=1)})
    current = run("c", {"c": noisy(950, CV, REPEATS, seed=2)})
    assert compare_runs(base, current) == compare_runs(base, current)


def test_an_unknown_metric_is_refused():
    with pytest.raises(KeyError, match="samples_per_s"):
        compare_runs(run("b", {}), run("c", {}), metric="speed")


def test_markdown_has_a_row_per_case_with_change_and_verdict():
    base = run("b", {"fast": noisy(1000, CV, REPEATS, seed=1), "same": [5.0, 5.0, 5.0]})
    current = run("c", {"fast": noisy(800, CV, REPEATS, seed=2), "same": [5.0, 5.0, 5.0]})
    text = to_markdown(compare_runs(base, current))
    rows = [
        line for line in text.splitlines() if line.startswith("| fast") or line.startswith("| same")
    ]
    assert len(rows) == 2
    assert "**slower**" in rows[0] and "%" in rows[0]
    assert rows[1].endswith("| unchanged |")
    assert "**1 slower**" in text


def test_markdown_states_the_gate_outcome():
    base = run("b", {"c": noisy(1000, CV, REPEATS, seed=1)})
    slower = run("c", {"c": noisy(800, CV, REPEATS, seed=2)})
    assert "**Gate: fails.**" in to_markdown(compare_runs(base, slower))
    assert "Gate: passes." in to_markdown(compare_runs(base, base))


def test_markdown_warns_that_independent_runs_drift_and_points_at_ab():
    base = run("b", {"c": noisy(1000, CV, REPEATS, seed=1)})
    text = to_markdown(compare_runs(base, base))
    assert "independent runs" in text and "aisbench ab SCENARIO --base REF" in text
