"""Judge one epoch under a fault: count its samples, check what its error names, decide.

The rule every dataset must keep under a fault: the epoch either completes with every sample
exactly once, or stops with a typed error (an ``aisref.client.AISError``) whose message names
the object and the node - never a silent gap, a duplicate or a sample nobody asked for. The
verdict's words and the `FaultOutcome` value live in ``aisbench.results`` (a fault case is a
result like any other); everything here is pure.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aisbench.results import COMPLETED, TYPED_ERROR, TYPED_ERROR_OBJECT, VIOLATION


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
    a whole word); a node when its ``host:port`` appears (or its id, passed as a node name).
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


def first_line(error: BaseException, limit: int = 400) -> str:
    """The error's own message: DataLoader workers wrap it in a traceback; keep its last line
    that carries the message (the original), cut to ``limit`` characters."""
    text = str(error).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    original = next((line for line in reversed(lines) if ":" in line), lines[-1] if lines else "")
    original = original.strip()
    qualified = f"{type(error).__module__}.{type(error).__qualname__}: "
    return original.removeprefix(qualified)[:limit]  # the traceback's "pkg.Error: " prefix
