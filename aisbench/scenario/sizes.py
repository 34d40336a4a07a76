"""Byte sizes as people write them ("16KiB", "1MiB", "100B", "2MB") and back.

Binary units (KiB, MiB, GiB, TiB) are powers of 1024; decimal units (KB, MB, GB, TB) are powers
of 1000, as the SI and IEC prefixes say. A plain integer is a number of bytes.
"""

from __future__ import annotations

import re

SIZE_UNITS: dict[str, int] = {
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
    "KIB": 1024,
    "MIB": 1024**2,
    "GIB": 1024**3,
    "TIB": 1024**4,
}

SIZE_SYNTAX = "a size such as 100B, 16KiB, 1MiB, 2MB (binary KiB/MiB/GiB, decimal KB/MB/GB)"

_SIZE_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")

# Largest unit first, so 1048576 reads "1MiB", not "1024KiB".
_FORMAT_UNITS: tuple[tuple[str, int], ...] = (
    ("TiB", 1024**4),
    ("GiB", 1024**3),
    ("MiB", 1024**2),
    ("KiB", 1024),
    ("TB", 1000**4),
    ("GB", 1000**3),
    ("MB", 1000**2),
    ("KB", 1000),
)


def parse_size(text: str | int) -> int:
    """Return the number of bytes in ``text`` ("16KiB" -> 16384); an int is taken as bytes.

    Raises ValueError (saying what is wrong; `SIZE_SYNTAX` says what is right) for anything
    else, including booleans, unknown units and sizes that are not whole bytes ("1.5B").
    """
    if isinstance(text, bool) or not isinstance(text, int | str):
        raise ValueError("expected a number of bytes or a string such as '16KiB'")
    if isinstance(text, int):
        return text
    match = _SIZE_PATTERN.match(text)
    if match is None:
        raise ValueError("expected a number followed by a unit")
    number, unit = match.groups()
    multiplier = SIZE_UNITS.get(unit.upper())
    if multiplier is None:
        raise ValueError(f"unknown unit {unit!r}")
    whole, _, fraction = number.partition(".")
    # Exact integer arithmetic: "1.5KiB" is 1536 bytes, with no float rounding.
    numerator = int(whole + fraction) * multiplier
    denominator = 10 ** len(fraction)
    if numerator % denominator:
        raise ValueError(f"{text!r} is not a whole number of bytes")
    return numerator // denominator


def format_size(num_bytes: int) -> str:
    """Return the shortest exact spelling of ``num_bytes`` ("16KiB", "2MB", "100B")."""
    if num_bytes > 0:
        for unit, multiplier in _FORMAT_UNITS:
            if num_bytes % multiplier == 0:
                return f"{num_bytes // multiplier}{unit}"
    return f"{num_bytes}B"
