"""The verdict of one fault case: what a fault did to one epoch, as a result value.

A fault run is stored like a measuring run (a `RunRecord` of `CaseResult`s); each of its cases
carries a `FaultOutcome` instead of timed repeats. The rule it is judged by (aisbench.faults):
the epoch either completes with every sample exactly once, or stops with a typed error whose
message names the object and the node - never a silent gap, a duplicate or a sample nobody
asked for. The words of that verdict are declared here, once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from aisbench.errors import InvalidValue

COMPLETED = "completed exactly once"
TYPED_ERROR = "typed error naming object and node"
TYPED_ERROR_OBJECT = "typed error naming the object"  # bad data: no node is at fault
TYPED_ERROR_NODE = "typed error naming the node"  # a request about no object (a listing)
KEPT_RULE = frozenset({COMPLETED, TYPED_ERROR, TYPED_ERROR_OBJECT, TYPED_ERROR_NODE})
VIOLATION = "VIOLATION"  # the rule broken: "VIOLATION: <why>"
# The fault was injected but never felt (all data already prefetched, nothing dropped, too few
# epochs): nothing was proven, so it fails like a violation. "NOT EXERCISED: <why>"
NOT_EXERCISED = "NOT EXERCISED"
# The harness could not inject or heal the fault (a node that would not restart): the fault is
# unjudged and the suite stopped there. "HARNESS ERROR: <what failed>"
HARNESS_ERROR = "HARNESS ERROR"
SKIPPED = "skipped"  # the machine cannot inject this fault; ``notes`` says why


@dataclass(frozen=True)
class FaultOutcome:
    """One row of the faults report: a fault, a dataset, a worker count and what happened.

    Attributes:
        duration_s: seconds from the start of the epoch to its end or its error.
        retries: retries the dataset's aisref clients made, in this process and in forked
            DataLoader workers (a shared count); None where that is not observable (spawned
            workers, or no aisref client reachable from the loader).
        baseline_s: seconds the same epoch (dataset, workers, data) took without the fault in
            the same run; None when no baseline was measured. ``duration_s / baseline_s`` is
            the fault's time cost.
    """

    fault: str
    dataset: str
    num_workers: int
    outcome: str
    expected: int
    seen: int
    duplicates: int
    missing: int
    duration_s: float
    error_type: str | None = None
    error: str | None = None
    retries: int | None = None
    notes: str = ""
    baseline_s: float | None = None
    step: int = 0  # the order a suite ran it in (reports follow it); 0 outside a suite

    @property
    def failed(self) -> bool:
        """Neither an allowed outcome nor a skip: a violation, a fault never felt, or a harness
        error - never counted as a pass."""
        return self.outcome not in KEPT_RULE and self.outcome != SKIPPED

    @property
    def violated(self) -> bool:
        """The dataset broke the rule (a subset of `failed`)."""
        return self.failed and not (self.not_exercised or self.harness_error)

    @property
    def not_exercised(self) -> bool:
        return self.outcome.startswith(NOT_EXERCISED)

    @property
    def harness_error(self) -> bool:
        return self.outcome.startswith(HARNESS_ERROR)

    @property
    def added_s(self) -> float | None:
        """Seconds the fault added to the epoch: ``duration_s - baseline_s`` (None without a
        baseline). Absolute, so a tiny clean epoch does not blow a fixed stall up into 30x."""
        if self.baseline_s is None:
            return None
        return self.duration_s - self.baseline_s

    @property
    def slowdown(self) -> float | None:
        """``duration_s / baseline_s``, or None without a (positive) baseline."""
        if self.baseline_s is None or self.baseline_s <= 0:
            return None
        return self.duration_s / self.baseline_s

    @property
    def case_id(self) -> str:
        """``[NNN-]<fault>-<dataset>-w<N>``: unique within a run (the step keeps two runs of
        one fault apart), and the same fault case in two runs of a scenario."""
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.fault}-{self.dataset}".lower()).strip("-")
        prefix = f"{self.step:03d}-" if self.step else ""
        return f"{prefix}{slug}-w{self.num_workers}"


def outcome_to_dict(outcome: FaultOutcome) -> dict[str, Any]:
    return asdict(outcome)


def outcome_from_dict(raw: Mapping[str, Any]) -> FaultOutcome:
    """The inverse of `outcome_to_dict`; keys it does not know are ignored (a newer writer),
    a missing one is an InvalidValue naming it."""
    known = {f.name for f in fields(FaultOutcome)}
    try:
        return FaultOutcome(**{k: v for k, v in raw.items() if k in known})
    except TypeError as err:
        raise InvalidValue(f"fault outcome: {err}") from None
