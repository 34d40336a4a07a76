"""How numbers, sizes and parameters read in reports: one place, so plots, HTML, Markdown agree.

Pure functions of plain values; units follow results.schema.METRICS (seconds, bytes, MiB/s).
"""

from __future__ import annotations

import math

from aisbench.results import METRICS, ParamValue

_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")

# Short column headings, from the metrics' declarations.
METRIC_HEADINGS = {name: info.heading for name, info in METRICS.items()}


def format_bytes(size: float) -> str:
    """A byte count in binary units: 16384 -> "16KiB", 1536 -> "1.5KiB", 8 -> "8B"."""
    value = float(size)
    for unit in _BINARY_UNITS:
        if abs(value) < 1024 or unit == _BINARY_UNITS[-1]:
            return f"{value:.3g}{unit}" if value != int(value) else f"{int(value)}{unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_number(value: float) -> str:
    """Large numbers with thousands separators, small ones with 3 significant digits."""
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def format_metric(metric: str, value: float | None) -> str:
    """``value`` of ``metric`` with its unit for a person: "1,234 samples/s", "12.3 ms", "93%"."""
    if value is None:
        return "n/a"
    unit = METRICS[metric].unit
    if unit == "s":
        return format_seconds(value)
    if unit == "bytes":
        return format_bytes(value)
    if unit == "fraction":
        return f"{value * 100:.1f}%"
    return f"{format_number(value)} {unit}"


def format_metric_value(metric: str, value: float | None) -> str:
    """Like `format_metric`, without the unit where a column heading already states it
    (samples/s, MiB/s, cores); seconds, bytes and fractions keep their scaled unit."""
    if value is not None and METRICS[metric].unit in ("samples/s", "MiB/s", "cores"):
        return format_number(value)
    return format_metric(metric, value)


def format_seconds(value: float) -> str:
    """Seconds as "850 µs", "12.3 ms" or "1.25 s"."""
    if abs(value) < 1e-3:
        return f"{value * 1e6:.3g} µs"
    if abs(value) < 1:
        return f"{value * 1e3:.3g} ms"
    return f"{value:.3g} s"


def format_param(key: str, value: ParamValue) -> str:
    """A case parameter's value as it reads in a label; sizes (``*_size`` ints) in KiB/MiB."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, int) and key.endswith("size") and not key.endswith("batch_size"):
        return format_bytes(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def params_label(params: dict[str, ParamValue]) -> str:
    """ "num_workers=2, object_size=16KiB"; "" for no parameters."""
    return ", ".join(f"{key}={format_param(key, value)}" for key, value in params.items())


def slug(text: str) -> str:
    """A file-name-safe form of ``text``: letters, digits, "-" and "_" only."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text.strip())
    return "-".join(part for part in cleaned.split("-") if part) or "unnamed"
