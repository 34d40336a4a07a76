"""Results: immutable values with a JSON form (schema) and their SQLite history (store)."""

from aisbench.results.schema import (
    METRICS,
    CaseResult,
    Measurement,
    MetricInfo,
    Provenance,
    ResultFormatError,
    RunRecord,
    make_run_id,
    utc_now_iso,
)
from aisbench.results.store import (
    HistoryPoint,
    ResultStore,
    RunSummary,
    StoreError,
    read_run_json,
    write_run_json,
)

__all__ = [
    "METRICS",
    "CaseResult",
    "HistoryPoint",
    "Measurement",
    "MetricInfo",
    "Provenance",
    "ResultFormatError",
    "ResultStore",
    "RunRecord",
    "RunSummary",
    "StoreError",
    "make_run_id",
    "read_run_json",
    "utc_now_iso",
    "write_run_json",
]
