"""Telling a leak from noise in per-epoch worker series."""

from __future__ import annotations

from aisbench.faults.soak import WorkerSample, growth, trends

MIB = 2**20


def test_growth_compares_medians_of_the_first_and_last_thirds() -> None:
    assert growth([10, 10, 10, 20, 20, 20]) == 10


def test_one_noisy_epoch_does_not_count_as_growth() -> None:
    assert growth([10, 10, 10, 90, 10, 10, 10, 10, 10]) == 0


def test_too_short_a_series_has_no_growth() -> None:
    assert growth([1, 100]) == 0.0


def test_a_leaking_worker_shows_its_growth_and_a_flat_one_does_not() -> None:
    samples = [WorkerSample(epoch, 1, 300 * MIB + epoch * 2 * MIB, 10 + epoch)
               for epoch in range(12)]
    samples += [WorkerSample(epoch, 2, 300 * MIB, 10) for epoch in range(12)]
    leaking, flat = trends(samples, skip_epochs=1)
    assert leaking.rss_growth_bytes >= 12 * MIB
    assert leaking.fd_growth >= 6
    assert (flat.rss_growth_bytes, flat.fd_growth) == (0, 0)


def test_warm_up_epochs_are_left_out() -> None:
    samples = [WorkerSample(0, 1, 100, 5)] + [WorkerSample(e, 1, 500, 9) for e in range(1, 7)]
    (trend,) = trends(samples, skip_epochs=1)
    assert trend.epochs == 6
    assert trend.rss_growth_bytes == 0
