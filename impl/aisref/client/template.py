"""Object-name templates in AIStore's bash-brace syntax, expanded on the client.

``"shard-{0000..0099}.tar"`` names shard-0000.tar … shard-0099.tar; a range may carry a step
(``{0..10..2}``) and a template may hold several ranges (the rightmost varies fastest, as in
bash). Indices are zero-padded to the width of the range's first number.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

_RANGE = re.compile(r"\{(\d+)\.\.(\d+)(?:\.\.(\d+))?\}")


@dataclass(frozen=True)
class _Range:
    start: int
    stop: int
    step: int
    width: int

    def names(self) -> list[str]:
        return [str(i).zfill(self.width) for i in range(self.start, self.stop + 1, self.step)]


def _parse(template: str) -> tuple[list[str], list[_Range]]:
    literals: list[str] = []
    ranges: list[_Range] = []
    pos = 0
    for match in _RANGE.finditer(template):
        start, stop = int(match[1]), int(match[2])
        step = int(match[3]) if match[3] else 1
        if step < 1 or stop < start:
            raise ValueError(
                f"template {template!r}: range {match[0]} must count up with a step >= 1"
            )
        literals.append(template[pos : match.start()])
        ranges.append(_Range(start, stop, step, len(match[1])))
        pos = match.end()
    literals.append(template[pos:])
    if not ranges:
        raise ValueError(f"template {template!r} has no range; write e.g. 'obj-{{0000..0099}}.bin'")
    if any("{" in lit or "}" in lit for lit in literals):
        raise ValueError(
            f"template {template!r}: only numeric ranges {{start..end[..step]}} are supported"
        )
    return literals, ranges


def iter_template(template: str) -> Iterator[str]:
    """Yield the names a template expands to, in order (lazy: no list of all names)."""
    literals, ranges = _parse(template)
    for combo in itertools.product(*(r.names() for r in ranges)):
        parts = [literals[0]]
        for index, literal in zip(combo, literals[1:], strict=True):
            parts += (index, literal)
        yield "".join(parts)


def expand_template(template: str) -> list[str]:
    """All names a template expands to, in order."""
    return list(iter_template(template))


@dataclass(frozen=True)
class ObjectRange:
    """Names ``prefix + zero-padded index + suffix`` for index in ``min_index..max_index``.

    Inclusive at both ends, like AIStore's ranges. ``pad_width`` 0 means no padding.
    """

    prefix: str
    min_index: int
    max_index: int
    pad_width: int = 0
    step: int = 1
    suffix: str = ""

    def __post_init__(self) -> None:
        if self.min_index > self.max_index or self.min_index < 0 or self.step < 1:
            raise ValueError(
                f"ObjectRange needs 0 <= min_index <= max_index and step >= 1, got "
                f"{self.min_index}..{self.max_index} step {self.step}"
            )

    @property
    def template(self) -> str:
        """The same names as an AIStore template string."""
        lo = str(self.min_index).zfill(self.pad_width)
        hi = str(self.max_index).zfill(self.pad_width)
        return f"{self.prefix}{{{lo}..{hi}..{self.step}}}{self.suffix}"

    def __iter__(self) -> Iterator[str]:
        for i in range(self.min_index, self.max_index + 1, self.step):
            yield f"{self.prefix}{str(i).zfill(self.pad_width)}{self.suffix}"
