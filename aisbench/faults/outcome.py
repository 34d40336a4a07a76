"""What a fault did to one epoch: counted samples, the verdict, and its JSON record.

The rule every dataset must keep under a fault: the epoch either completes with every sample
exactly once, or stops with a typed error (an ``aisref.client.AISError``) whose message names
the object and the node - never a silent gap, a duplicate or a sample nobody asked for.
Everything here is pure except `write_outcome` / `read_outcomes`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from aisbench.atomic_file import write_text_atomically

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
class EpochTally:
    """Samples of one epoch, counted against the samples that exist.

    Attributes:
        expected: samples that exist.
        seen: samples delivered, counting repeats.
        unique: distinct expected samples delivered.
        duplicates: deliveries beyond the first of a sample.
        missing: expected samples never delivered.
        unexpected: deliveries of samples that do not exist (wrong or corrupt bytes).
    """

    expected: int
    seen: int
    unique: int
    duplicates: int
    missing: int
    unexpected: int

    @property
    def exactly_once(self) -> bool:
        return self.duplicates == 0 and self.missing == 0 and self.unexpected == 0

    @property
    def clean_prefix(self) -> bool:
        """What was delivered before a stop: nothing twice, nothing foreign."""
        return self.duplicates == 0 and self.unexpected == 0


def tally(expected: Iterable[str], seen: Iterable[str]) -> EpochTally:
    """Count ``seen`` (sample ids as delivered, in order) against the ``expected`` ids."""
    wanted = set(expected)
    counts = Counter(seen)
    delivered = sum(counts.values())
    unexpected = sum(n for sample, n in counts.items() if sample not in wanted)
    unique = sum(1 for sample in counts if sample in wanted)
    duplicates = sum(n - 1 for sample, n in counts.items() if sample in wanted)
    return EpochTally(expected=len(wanted), seen=delivered, unique=unique,
                      duplicates=duplicates, missing=len(wanted) - unique, unexpected=unexpected)


def names_object_and_node(message: str, object_names: Iterable[str], node_urls: Iterable[str],
                          ) -> tuple[str | None, str | None]:
    """``(object, node)`` named in an error message, each None when the message lacks one.

    An object counts as named when its full name appears (``ais://bucket/name`` or the name as
    a whole word); a node when its ``host:port`` appears.
    """
    obj = next((name for name in object_names if _mentions(message, name)), None)
    node = next((url for url in node_urls if _mentions(message, url.split("://", 1)[-1])), None)
    return obj, node


def _mentions(message: str, name: str) -> bool:
    return re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", message) is not None


def is_ordered_prefix(expected_order: Sequence[str], seen: Sequence[str]) -> bool:
    """Whether ``seen`` is the start of ``expected_order``: nothing skipped, nothing moved.
    Only loaders that deliver in a known order can be held to it (one process, or a map
    dataset, whose DataLoader keeps the sampler's order across workers)."""
    return list(seen) == list(expected_order[: len(seen)])


def verdict(counts: EpochTally, error: BaseException | None, error_is_typed: bool,
            named_object: str | None, named_node: str | None, require_node: bool = True,
            in_order: bool | None = None) -> str:
    """The outcome of one epoch under a fault; anything but the allowed outcomes is a
    VIOLATION with the reason attached. Bad data (``require_node=False``) must name the
    object only. ``in_order``: whether the delivery was a prefix of the expected order (None
    where the order cannot be known): a sample skipped before an error is a silent gap too."""
    if error is None:
        if counts.exactly_once:
            return COMPLETED
        return (f"{VIOLATION}: silent gap or duplicate ({counts.missing} missing, "
                f"{counts.duplicates} duplicates, {counts.unexpected} unexpected)")
    problems = []
    if not error_is_typed:
        problems.append(f"untyped error {type(error).__name__}")
    if named_object is None:
        problems.append("error does not name an object it failed to deliver")
    if named_node is None and require_node:
        problems.append("error does not name the faulty node")
    if not counts.clean_prefix:
        problems.append(f"{counts.duplicates} duplicates, {counts.unexpected} unexpected "
                        "before the error")
    if in_order is False:
        problems.append("a sample was skipped before the error (silent gap)")
    return outcome_text(problems, TYPED_ERROR if require_node else TYPED_ERROR_OBJECT)


def outcome_text(problems: Sequence[str], passed: str) -> str:
    """``passed`` when nothing is wrong, else "VIOLATION: <problem>; <problem>"."""
    return passed if not problems else f"{VIOLATION}: " + "; ".join(problems)


def error_fields(error: BaseException | None, limit: int = 400) -> tuple[str | None, str | None]:
    """``(error_type, error)`` of a FaultOutcome for ``error``; both None without one."""
    if error is None:
        return None, None
    return type(error).__name__, first_line(error, limit)


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
    def file_name(self) -> str:
        """``[NNN-]<fault>-<dataset>-w<N>.json``; the step keeps two runs of one fault apart."""
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.fault}-{self.dataset}".lower()).strip("-")
        prefix = f"{self.step:03d}-" if self.step else ""
        return f"{prefix}{slug}-w{self.num_workers}.json"


def outcome_to_dict(outcome: FaultOutcome) -> dict[str, Any]:
    return asdict(outcome)


def outcome_from_dict(raw: dict[str, Any]) -> FaultOutcome:
    known = {f.name for f in fields(FaultOutcome)}
    return FaultOutcome(**{k: v for k, v in raw.items() if k in known})


def write_outcome(directory: Path, outcome: FaultOutcome) -> Path:
    """Write one outcome as ``<directory>/<fault>-<dataset>-w<N>.json``; return the path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / outcome.file_name
    write_text_atomically(path, json.dumps(outcome_to_dict(outcome), indent=2) + "\n")
    return path


def read_outcomes(directory: Path) -> list[FaultOutcome]:
    """Every outcome JSON in ``directory``, in the order they ran (then by fault, dataset and
    workers)."""
    outcomes = [outcome_from_dict(json.loads(p.read_text()))
                for p in sorted(directory.glob("*.json"))]
    return sorted(outcomes, key=lambda o: (o.step, o.fault, o.dataset, o.num_workers))


def first_line(error: BaseException, limit: int = 400) -> str:
    """The error's own message: DataLoader workers wrap it in a traceback; keep its last line
    that carries the message (the original), cut to ``limit`` characters."""
    text = str(error).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    original = next((line for line in reversed(lines) if ":" in line), lines[-1] if lines else "")
    original = original.strip()
    qualified = f"{type(error).__module__}.{type(error).__qualname__}: "
    return original.removeprefix(qualified)[:limit]  # the traceback's "pkg.Error: " prefix
