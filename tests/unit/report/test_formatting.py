"""How values read in reports."""

from __future__ import annotations

import pytest

from aisbench.report.formatting import (
    format_bytes,
    format_metric,
    format_param,
    params_label,
    slug,
)


@pytest.mark.parametrize(
    ("size", "text"),
    [(8, "8B"), (1536, "1.5KiB"), (16384, "16KiB"), (3 * 2**20, "3MiB"), (2**40, "1TiB")],
)
def test_byte_counts_read_in_binary_units(size: int, text: str):
    assert format_bytes(size) == text


@pytest.mark.parametrize(
    ("metric", "value", "text"),
    [
        ("samples_per_s", 12345.6, "12,346 samples/s"),
        ("mib_per_s", 12.345, "12.3 MiB/s"),
        ("latency_p50_s", 0.0123, "12.3 ms"),
        ("latency_p99_s", 0.00085, "850 µs"),
        ("time_to_first_batch_s", 1.25, "1.25 s"),
        ("accel_utilization", 0.931, "93.1%"),
        ("peak_rss_bytes", 300 * 2**20, "300MiB"),
        ("samples_per_s", None, "n/a"),
    ],
)
def test_metrics_read_with_their_unit(metric: str, value: float | None, text: str):
    assert format_metric(metric, value) == text


def test_size_parameters_read_in_binary_units_but_batch_sizes_do_not():
    assert format_param("object_size", 16384) == "16KiB"
    assert format_param("batch_size", 64) == "64"
    assert params_label({"num_workers": 2, "persistent_workers": True}) == (
        "num_workers=2, persistent_workers=true"
    )


def test_slugs_are_safe_file_names():
    assert slug("strategy=aisref-map,num_workers=2") == "strategy-aisref-map-num_workers-2"
    assert slug("///") == "unnamed"
