"""Analysis: statistics of repeats, the regression gate, and the knee of a sweep."""

from aisbench.analysis.compare import (
    CaseComparison,
    Comparison,
    compare_runs,
    has_regression,
    to_markdown,
)
from aisbench.analysis.stats import (
    MeanCI,
    bootstrap_ratio_ci,
    coefficient_of_variation,
    mean_ci,
    percentiles,
    welch_p_value,
)
from aisbench.analysis.tune import Recommendation, recommend, sweep_points

__all__ = [
    "CaseComparison",
    "Comparison",
    "MeanCI",
    "Recommendation",
    "bootstrap_ratio_ci",
    "coefficient_of_variation",
    "compare_runs",
    "has_regression",
    "mean_ci",
    "percentiles",
    "recommend",
    "sweep_points",
    "to_markdown",
    "welch_p_value",
]
