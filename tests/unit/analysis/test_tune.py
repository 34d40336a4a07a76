from dataclasses import replace

import pytest

from aisbench.analysis.tune import recommend, sweep_points
from tests.unit.analysis.synthetic import run

SWEEP = [
    (0, 100.0, (95.0, 105.0)),
    (1, 300.0, (290.0, 310.0)),
    (2, 560.0, (540.0, 580.0)),
    (4, 590.0, (575.0, 605.0)),
    (8, 600.0, (585.0, 615.0)),
]


def test_recommends_the_smallest_value_within_five_percent_of_the_best():
    rec = recommend(SWEEP, within=0.05)
    assert (rec.value, rec.best_value, rec.best_throughput) == (4, 8, 600.0)
    assert rec.threshold == pytest.approx(570.0)


def test_a_looser_margin_recommends_a_smaller_value():
    assert recommend(SWEEP, within=0.10).value == 2


def test_point_order_does_not_matter():
    assert recommend(list(reversed(SWEEP))) == recommend(SWEEP)


def test_explanation_names_the_choice_the_best_and_the_gain():
    text = recommend(SWEEP, parameter="num_workers").explanation
    assert text.startswith("num_workers=4 is recommended: 590 samples/s is within 5% of the best")
    assert "num_workers=8" in text and "1.7%" in text


def test_explanation_says_when_the_gap_is_within_noise():
    assert "within noise" in recommend(SWEEP).explanation


def test_when_the_best_is_the_knee_the_explanation_says_so():
    rec = recommend(SWEEP[:3], parameter="num_workers")
    assert rec.value == 2
    assert "no smaller value comes within 5%" in rec.explanation


def test_no_points_is_an_error():
    with pytest.raises(ValueError):
        recommend([])


def test_sweep_points_come_from_case_params_with_a_confidence_interval():
    record = run("r", {"w0": [100.0, 110.0], "w2": [300.0, 310.0]})
    cases = [replace(c, params={"num_workers": int(c.case_id[1:])}) for c in record.cases]
    points = sweep_points(cases, "num_workers")
    assert [(value, mean) for value, mean, _ in points] == [(0, 105.0), (2, 305.0)]
    assert all(low < mean < high for _, mean, (low, high) in points)
