"""Analysis: statistics of repeats, the regression gate, and the knee of a sweep."""

from aisbench.analysis.compare import (
    VERDICTS,
    CaseComparison,
    Comparison,
    compare_runs,
    has_regression,
    to_markdown,
)
from aisbench.analysis.paired import PairedEstimate, PairedVerdict, judge, paired_estimate
from aisbench.analysis.stats import (
    DEFAULT_CONFIDENCE,
    MeanCI,
    bootstrap_ratio_ci,
    coefficient_of_variation,
    mean_ci,
    percentiles,
    welch_p_value,
)
from aisbench.analysis.tune import Recommendation, recommend, sweep_points

__all__ = [
    "DEFAULT_CONFIDENCE",
    "VERDICTS",
    "CaseComparison",
    "Comparison",
    "MeanCI",
    "PairedEstimate",
    "PairedVerdict",
    "Recommendation",
    "bootstrap_ratio_ci",
    "coefficient_of_variation",
    "compare_runs",
    "has_regression",
    "judge",
    "mean_ci",
    "paired_estimate",
    "percentiles",
    "recommend",
    "sweep_points",
    "to_markdown",
    "welch_p_value",
]
