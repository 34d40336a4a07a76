"""A metric is one declaration in results.schema.METRICS; everything else derives from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from aisbench.report.formatting import METRIC_HEADINGS
from aisbench.report.tables import csv_header
from aisbench.results.schema import KEY_METRICS, MEASUREMENT_SCALARS, METRICS, Measurement

FORMAT_DOC = Path(__file__).resolve().parents[3] / "aisbench" / "results" / "FORMAT.md"
MEASURED = Measurement(duration_s=2.0, samples=100, bytes=2**20, batches=10,
                       time_to_first_batch_s=0.1, batch_latencies_s=(0.01,) * 10,
                       cpu_seconds=1.0, peak_rss_bytes=2**20, accel_busy_s=1.0)


@pytest.mark.parametrize("name", list(METRICS))
def test_every_metric_is_declared_completely(name: str) -> None:
    info = METRICS[name]
    assert info.name == name
    assert info.unit.strip() and info.description.strip() and info.heading.strip()
    assert isinstance(info.higher_is_better, bool) and isinstance(info.key, bool)


@pytest.mark.parametrize("name", list(METRICS))
def test_every_metric_reads_one_number_from_a_repeat(name: str) -> None:
    value = MEASURED.metric(name)
    assert value is not None and value >= 0


@pytest.mark.parametrize("name", list(METRICS))
def test_every_metric_is_documented_in_the_format(name: str) -> None:
    assert f"`{name}`" in FORMAT_DOC.read_text()


def test_headings_and_key_columns_derive_from_the_declarations() -> None:
    assert set(METRIC_HEADINGS) == set(METRICS)
    assert len(set(METRIC_HEADINGS.values())) == len(METRICS)  # no two columns alike
    assert KEY_METRICS and all(METRICS[m].key for m in KEY_METRICS)


def test_the_csv_has_a_column_per_scalar_field_and_per_derived_metric() -> None:
    header = csv_header()
    for field_name in MEASUREMENT_SCALARS:
        assert field_name in header
    for name in METRICS:
        assert name in header or f"derived.{name}" in header
    assert len(header) == len(set(header))
