"""Benchmark results as immutable values, and their JSON form (format "aisbench-run", version 3).

Units: seconds (``_s``), bytes (``_bytes`` / ``bytes``), MiB = 2**20 bytes. A `Measurement` is
one timed window (a repeat, or the warmup); a `CaseResult` is one case of a run; a `RunRecord`
is a whole run with the `Provenance` of the machine and software that produced it. A fault run
is a run too: each of its cases carries a `FaultOutcome` (verdict.py) instead of repeats.

Derived numbers (throughput, percentiles, utilisation) are properties, never stored, so the JSON
holds only what was measured. Metric names for comparisons and history are listed in `METRICS`.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np

from aisbench.errors import InvalidValue, UnknownName
from aisbench.results.verdict import SKIPPED, FaultOutcome, outcome_from_dict, outcome_to_dict

if TYPE_CHECKING:
    from aisbench.results.ranks import DistributedRun

FORMAT_NAME = "aisbench-run"
# 2 added a case's ``verdict`` and a run's ``description``, ``settings``, ``finished_at`` and
# ``stopped``; a version 1 document reads as version 2 with those empty (`run_from_dict`).
# 3 added a case's ``distributed`` (its ranks, ranks.py) and a measurement's ``stages``;
# older documents read with both null.
FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
MIB = 2**20

Status: TypeAlias = Literal["ok", "skipped", "failed"]
STATUSES: tuple[Status, ...] = ("ok", "skipped", "failed")
ParamValue: TypeAlias = str | int | float | bool | None


class ResultFormatError(InvalidValue):
    """A result value or file is not valid; the message names the field and what was found."""


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """Everything the harness says about a metric, declared once: tables, headings, CSV columns
    and the Markdown summary derive from it (tests/unit/results/test_metrics_declared.py checks
    that each is complete and readable from a `Measurement`).

    name: a `Measurement` field or property, one value per repeat; unit; higher_is_better: the
    direction comparisons call better; description: a sentence for tables and plots; heading:
    the short column heading; key: among the columns the Markdown summary shows first.
    """

    name: str
    unit: str
    higher_is_better: bool
    description: str
    heading: str
    key: bool = False


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in (
        MetricInfo("samples_per_s", "samples/s", True, "samples delivered per second",
                   "samples/s", key=True),
        MetricInfo("mib_per_s", "MiB/s", True, "payload MiB (2**20 bytes) delivered per second",
                   "MiB/s", key=True),
        MetricInfo("latency_p50_s", "s", False, "median wait for a batch", "batch p50",
                   key=True),
        MetricInfo("latency_p90_s", "s", False, "90th percentile wait for a batch", "batch p90"),
        MetricInfo("latency_p99_s", "s", False, "99th percentile wait for a batch", "batch p99",
                   key=True),
        MetricInfo("latency_max_s", "s", False, "longest wait for a batch", "batch max"),
        MetricInfo("time_to_first_batch_s", "s", False, "from iterator start to first batch",
                   "first batch", key=True),
        MetricInfo("cpu_util", "cores", False, "CPU cores busy on average (loader + workers)",
                   "CPU cores", key=True),
        MetricInfo("peak_rss_bytes", "bytes", False, "peak resident memory, main + workers",
                   "peak RSS", key=True),
        MetricInfo("accel_utilization", "fraction", True, "share of time the accelerator worked",
                   "accel util", key=True),
    )
}
KEY_METRICS = tuple(m.name for m in METRICS.values() if m.key)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation (numpy's default method)."""
    if not values:
        raise ValueError("percentile of no values")
    return float(np.percentile(np.asarray(values, dtype=float), q))


_COUNT_FIELDS = (
    "samples",
    "bytes",
    "batches",
    "peak_rss_bytes",
    "http_requests",
    "errors",
    "retries",
)


@dataclass(frozen=True, slots=True)
class StageTimes:
    """Where one window's time went, seconds per stage (stage names: ``aisref.client.
    stage_clock.STAGES``; how they are measured: ``aisbench/runner/stages.py``).

    main_s: the consumer process's timeline; its stages sum to the window's duration.
    workers_s: every DataLoader worker's timeline, summed; they sum to ``workers`` x the
    window's duration, less the time workers were not alive (starting, between epochs).
    helper_threads_s: thread-seconds in stages on other threads (a concurrent read pool, the
    queue thread that pickles a worker's batches); they overlap the timelines above.
    not_measured: stages this loader cannot report (another client's network stages): their
    time is inside ``outside`` or another stage, never a number of its own.
    """

    main_s: Mapping[str, float]
    workers_s: Mapping[str, float] = field(default_factory=dict)
    helper_threads_s: Mapping[str, float] = field(default_factory=dict)
    workers: int = 0
    not_measured: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for part in ("main_s", "workers_s", "helper_threads_s"):
            values = getattr(self, part)
            if not all(isinstance(v, int | float) and math.isfinite(v) and v >= 0
                       for v in values.values()):
                raise ResultFormatError(f"stages.{part} must map stage names to seconds >= 0, "
                                        f"got {dict(values)!r}")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 0:
            raise ResultFormatError(f"stages.workers must be an integer >= 0, got {self.workers!r}")
        object.__setattr__(self, "not_measured", tuple(self.not_measured))


@dataclass(frozen=True, slots=True)
class Measurement:
    """One timed window of a case: a repeat, or the warmup (kept, never averaged in).

    duration_s: wall seconds of the window; samples / bytes / batches: what the loader delivered
    (bytes = payload bytes); time_to_first_batch_s: from creating the iterator to the first batch
    (None if no batch came); batch_latencies_s: the wait for each batch, in order; cpu_seconds:
    user+system CPU of the loader process and its workers; peak_rss_bytes: peak resident memory
    summed over main process and workers; http_requests / errors / retries: counted by the
    strategy; accel_busy_s: seconds the emulated accelerator was computing; stages: where the
    time went, by stage (None where the runner did not measure stages).
    """

    duration_s: float
    samples: int
    bytes: int
    batches: int
    time_to_first_batch_s: float | None = None
    batch_latencies_s: tuple[float, ...] = ()
    cpu_seconds: float = 0.0
    peak_rss_bytes: int = 0
    http_requests: int = 0
    errors: int = 0
    retries: int = 0
    accel_busy_s: float = 0.0
    stages: StageTimes | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.duration_s) and self.duration_s > 0):
            raise ResultFormatError(
                f"duration_s must be a finite number > 0, got {self.duration_s}"
            )
        for name in _COUNT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ResultFormatError(f"{name} must be an integer >= 0, got {value!r}")
        for name in ("cpu_seconds", "accel_busy_s", "time_to_first_batch_s"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ResultFormatError(f"{name} must be a finite number >= 0, got {value!r}")
        latencies = tuple(self.batch_latencies_s)
        if not all(math.isfinite(v) and v >= 0 for v in latencies):
            raise ResultFormatError("batch_latencies_s must be finite numbers >= 0")
        object.__setattr__(self, "batch_latencies_s", latencies)

    @property
    def samples_per_s(self) -> float:
        """Samples delivered per second of the window."""
        return self.samples / self.duration_s

    @property
    def mib_per_s(self) -> float:
        """Payload throughput in MiB/s (MiB = 2**20 bytes)."""
        return self.bytes / MIB / self.duration_s

    @property
    def latency_p50_s(self) -> float | None:
        """Median wait for a batch, seconds; None without batches."""
        return self._latency(50)

    @property
    def latency_p90_s(self) -> float | None:
        """90th percentile wait for a batch, seconds; None without batches."""
        return self._latency(90)

    @property
    def latency_p99_s(self) -> float | None:
        """99th percentile wait for a batch, seconds; None without batches."""
        return self._latency(99)

    @property
    def latency_max_s(self) -> float | None:
        """Longest wait for a batch, seconds; None without batches."""
        return max(self.batch_latencies_s) if self.batch_latencies_s else None

    @property
    def cpu_util(self) -> float:
        """CPU cores busy on average over the window (2.0 = two cores fully busy)."""
        return self.cpu_seconds / self.duration_s

    @property
    def accel_utilization(self) -> float:
        """Fraction of the window the emulated accelerator was busy (1.0 = never starved)."""
        return self.accel_busy_s / self.duration_s

    def metric(self, name: str) -> float | None:
        """The value of metric ``name`` (see METRICS); None when undefined (no batches)."""
        if name not in METRICS:
            raise UnknownName(f"unknown metric {name!r}; known: {', '.join(METRICS)}")
        value = getattr(self, name)
        return None if value is None else float(value)

    def _latency(self, q: float) -> float | None:
        return percentile(self.batch_latencies_s, q) if self.batch_latencies_s else None


# The scalar fields of a Measurement, in declaration order: one CSV column each.
MEASUREMENT_SCALARS = tuple(f.name for f in fields(Measurement)
                            if f.name not in ("batch_latencies_s", "stages"))


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one case in one run.

    status "ok" has at least one repeat, or a verdict that kept the rule; "skipped" (not
    applicable here, e.g. no ETL on the cluster) and "failed" carry a ``reason`` a person can act
    on. ``params`` are the case's matrix values; ``extra`` holds strategy-specific JSON values
    (e.g. aisloader's ceiling numbers, a soak's series). ``verdict``: a fault case's judgement
    (None for a measured case); its status follows from it (`fault_case`). ``distributed``: a
    case run over torch.distributed ranks keeps each rank's windows and the exactly-once check
    there, and its ``repeats``/``warmup`` are the ranks' windows added up (ranks.py); None
    for a single-process case.
    """

    run_id: str
    case_id: str
    scenario: str
    strategy: str
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    status: Status = "ok"
    reason: str = ""
    warmup: Measurement | None = None
    repeats: tuple[Measurement, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    verdict: FaultOutcome | None = None
    distributed: DistributedRun | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ResultFormatError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.status == "ok" and not self.repeats and self.verdict is None:
            raise ResultFormatError(f"case {self.case_id!r}: status ok needs at least one repeat "
                                    "or a verdict")
        if self.status != "ok" and not self.reason:
            raise ResultFormatError(f"case {self.case_id!r}: status {self.status} needs a reason")
        if not isinstance(self.repeats, tuple):
            object.__setattr__(self, "repeats", tuple(self.repeats))

    def values(self, metric: str) -> tuple[float, ...]:
        """The metric over the repeats (warmup excluded), leaving out undefined values."""
        measured = (m.metric(metric) for m in self.repeats)
        return tuple(v for v in measured if v is not None)

    def mean(self, metric: str) -> float | None:
        """Mean of `values`; None when no repeat defines the metric."""
        values = self.values(metric)
        return sum(values) / len(values) if values else None


@dataclass(frozen=True, slots=True)
class Provenance:
    """What produced a run: code, software versions, machine and cluster. None = unknown."""

    git_sha: str | None
    aisbench_version: str
    aisnode_version: str | None
    sdk_version: str | None
    torch_version: str | None
    python_version: str
    platform: str
    cpu_model: str | None
    cpu_count: int
    cluster: str
    scenario_hash: str
    started_at: str


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run of one scenario: its provenance and every case result, in run order.

    description: the scenario's one line. settings: the scenario's settings as plain values,
    where the run records them (fault runs: the report's record of what ran). finished_at: ISO
    time the run ended; None while it runs or when it was killed. stopped: why it ended before
    its last case ("interrupted (SIGINT or SIGTERM)", "harness error in ..."); None otherwise.
    """

    run_id: str
    scenario: str
    provenance: Provenance
    cases: tuple[CaseResult, ...] = ()
    description: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)
    finished_at: str | None = None
    stopped: str | None = None

    def case(self, case_id: str) -> CaseResult | None:
        """The result of ``case_id`` in this run, or None."""
        return next((c for c in self.cases if c.case_id == case_id), None)

    @property
    def verdicts(self) -> tuple[FaultOutcome, ...]:
        """The fault outcomes of the run's cases, in run order (empty for a measuring run)."""
        return tuple(c.verdict for c in self.cases if c.verdict is not None)

    @property
    def is_fault_run(self) -> bool:
        return any(c.verdict is not None for c in self.cases)


def fault_case(run_id: str, scenario: str, outcome: FaultOutcome,
               extra: Mapping[str, Any] | None = None) -> CaseResult:
    """A fault outcome as the case result the store keeps: ok when it kept the rule, skipped
    when the machine could not inject the fault, failed otherwise (the outcome is the reason)."""
    status: Status = ("failed" if outcome.failed
                      else "skipped" if outcome.outcome == SKIPPED else "ok")
    if status == "skipped":
        reason = outcome.notes or outcome.outcome
    else:
        reason = outcome.outcome if status == "failed" else ""
    return CaseResult(run_id=run_id, case_id=outcome.case_id, scenario=scenario,
                      strategy=outcome.dataset,
                      params={"fault": outcome.fault, "dataset": outcome.dataset,
                              "num_workers": outcome.num_workers},
                      status=status, reason=reason, extra=dict(extra or {}), verdict=outcome)


def make_run_id(now: datetime | None = None, suffix: str | None = None) -> str:
    """A sortable run id "20261123T204512-ab12cd": UTC start time, then 6 random hex digits."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%S}-{suffix or secrets.token_hex(3)}"


def utc_now_iso() -> str:
    """The current time as ISO 8601 UTC with seconds, e.g. "2026-11-23T20:45:12+00:00"."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# --- JSON form -------------------------------------------------------------------------------


_FLOAT_FIELDS = ("duration_s", "time_to_first_batch_s", "cpu_seconds", "accel_busy_s")


def measurement_to_dict(m: Measurement) -> dict[str, Any]:
    """JSON form of a measurement; the *_from_dict functions below are the inverses and
    raise ResultFormatError on unknown keys or impossible values."""
    data = {f.name: getattr(m, f.name) for f in fields(m)}
    data["batch_latencies_s"] = list(m.batch_latencies_s)
    data["stages"] = None if m.stages is None else stages_to_dict(m.stages)
    return data


def stages_to_dict(stages: StageTimes) -> dict[str, Any]:
    return {"main_s": dict(stages.main_s), "workers_s": dict(stages.workers_s),
            "helper_threads_s": dict(stages.helper_threads_s), "workers": stages.workers,
            "not_measured": list(stages.not_measured)}


def stages_from_dict(data: Mapping[str, Any]) -> StageTimes:
    _no_unknown_keys("measurement stages", data, {f.name for f in fields(StageTimes)})
    def seconds(key: str) -> dict[str, float]:
        return {str(k): float(v) for k, v in (data.get(key) or {}).items()}
    try:
        return StageTimes(main_s=seconds("main_s"), workers_s=seconds("workers_s"),
                          helper_threads_s=seconds("helper_threads_s"),
                          workers=data.get("workers", 0),
                          not_measured=tuple(data.get("not_measured", ())))
    except (TypeError, AttributeError, ValueError) as err:
        raise ResultFormatError(f"measurement stages: {err}") from None


def measurement_from_dict(data: Mapping[str, Any]) -> Measurement:
    known = {f.name for f in fields(Measurement)}
    _no_unknown_keys("measurement", data, known)
    values = dict(data)
    # JSON writes 2.0 as 2; read seconds back as floats so values compare and type exactly.
    for name in _FLOAT_FIELDS:
        if isinstance(values.get(name), int) and not isinstance(values[name], bool):
            values[name] = float(values[name])
    values["batch_latencies_s"] = tuple(float(v) for v in data.get("batch_latencies_s", ()))
    if values.get("stages") is not None:
        values["stages"] = stages_from_dict(values["stages"])
    try:
        return Measurement(**values)
    except TypeError as err:
        raise ResultFormatError(f"measurement: {err}") from None


def case_to_dict(case: CaseResult) -> dict[str, Any]:
    return {
        "run_id": case.run_id,
        "case_id": case.case_id,
        "scenario": case.scenario,
        "strategy": case.strategy,
        "params": dict(case.params),
        "status": case.status,
        "reason": case.reason,
        "warmup": None if case.warmup is None else measurement_to_dict(case.warmup),
        "repeats": [measurement_to_dict(m) for m in case.repeats],
        "extra": dict(case.extra),
        "verdict": None if case.verdict is None else outcome_to_dict(case.verdict),
        "distributed": None if case.distributed is None else _distributed_to_dict(case.distributed),
    }


def case_from_dict(data: Mapping[str, Any]) -> CaseResult:
    _no_unknown_keys("case", data, {f.name for f in fields(CaseResult)})
    warmup = data.get("warmup")
    return CaseResult(
        run_id=data["run_id"],
        case_id=data["case_id"],
        scenario=data["scenario"],
        strategy=data["strategy"],
        params=dict(data.get("params", {})),
        status=data.get("status", "ok"),
        reason=data.get("reason", ""),
        warmup=None if warmup is None else measurement_from_dict(warmup),
        repeats=tuple(measurement_from_dict(m) for m in data.get("repeats", ())),
        extra=dict(data.get("extra", {})),
        verdict=None if data.get("verdict") is None else _verdict_from_dict(data["verdict"]),
        distributed=(None if data.get("distributed") is None
                     else _distributed_from_dict(data["distributed"])),
    )


# ranks.py builds on Measurement, so it is imported where it is used, not at the top.
def _distributed_to_dict(run: DistributedRun) -> dict[str, Any]:
    from aisbench.results.ranks import distributed_to_dict

    return distributed_to_dict(run)


def _distributed_from_dict(data: Mapping[str, Any]) -> DistributedRun:
    from aisbench.results.ranks import distributed_from_dict

    return distributed_from_dict(data)


def _verdict_from_dict(data: Mapping[str, Any]) -> FaultOutcome:
    try:
        return outcome_from_dict(data)
    except InvalidValue as err:
        raise ResultFormatError(f"case verdict: {err}") from None


def provenance_to_dict(p: Provenance) -> dict[str, Any]:
    return {f.name: getattr(p, f.name) for f in fields(p)}


def provenance_from_dict(data: Mapping[str, Any]) -> Provenance:
    _no_unknown_keys("provenance", data, {f.name for f in fields(Provenance)})
    try:
        return Provenance(**data)
    except TypeError as err:
        raise ResultFormatError(f"provenance: {err}") from None


def run_to_dict(record: RunRecord) -> dict[str, Any]:
    """The JSON document of a run; `run_from_dict` reads it back to an equal value."""
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "run_id": record.run_id,
        "scenario": record.scenario,
        "provenance": provenance_to_dict(record.provenance),
        "description": record.description,
        "settings": dict(record.settings),
        "finished_at": record.finished_at,
        "stopped": record.stopped,
        "cases": [case_to_dict(c) for c in record.cases],
    }


def run_from_dict(data: Mapping[str, Any]) -> RunRecord:
    """A run document of any readable version; version 1 (before fault runs were runs) lacks
    the run's description, settings, finished_at and stopped, and reads with them empty;
    versions 1 and 2 lack each case's ``distributed``, which reads as None."""
    if data.get("format") != FORMAT_NAME or data.get("version") not in READABLE_VERSIONS:
        readable = " or ".join(str(v) for v in READABLE_VERSIONS)
        raise ResultFormatError(
            f"not an {FORMAT_NAME} version {readable} document "
            f"(format={data.get('format')!r}, version={data.get('version')!r})"
        )
    _no_unknown_keys("run", data, _RUN_KEYS[data["version"]])
    try:
        return RunRecord(
            run_id=data["run_id"],
            scenario=data["scenario"],
            provenance=provenance_from_dict(data["provenance"]),
            cases=tuple(case_from_dict(c) for c in data["cases"]),
            description=data.get("description", ""),
            settings=dict(data.get("settings") or {}),
            finished_at=data.get("finished_at"),
            stopped=data.get("stopped"),
        )
    except KeyError as err:
        raise ResultFormatError(f"run document is missing the key {err}") from None


_V1_RUN_KEYS = {"format", "version", "run_id", "scenario", "provenance", "cases"}
_V2_RUN_KEYS = _V1_RUN_KEYS | {"description", "settings", "finished_at", "stopped"}
_RUN_KEYS = {1: _V1_RUN_KEYS, 2: _V2_RUN_KEYS, 3: _V2_RUN_KEYS}  # 3 changed cases, not runs


def _no_unknown_keys(what: str, data: Mapping[str, Any], known: set[str]) -> None:
    unknown = set(data) - known
    if unknown:
        raise ResultFormatError(f"{what}: unknown keys {sorted(unknown)}; known: {sorted(known)}")
