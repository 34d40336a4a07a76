"""A case over ranks: the ranks' windows added up, the slowest rank, the spread."""

import pytest

from aisbench.results import (
    DistributedRun,
    ExactlyOnce,
    Measurement,
    RankResult,
    ResultFormatError,
    aggregate_repeats,
    aggregate_warmup,
    aggregate_window,
)


def window(samples: int, duration_s: float, *, busy: float = 0.0, first: float | None = 0.1,
           latencies: tuple[float, ...] = (0.1,)) -> Measurement:
    return Measurement(duration_s=duration_s, samples=samples, bytes=samples * 1024,
                       batches=samples // 10, time_to_first_batch_s=first,
                       batch_latencies_s=latencies, cpu_seconds=1.0, peak_rss_bytes=100,
                       http_requests=samples, errors=1, retries=2, accel_busy_s=busy)


def test_total_throughput_is_the_sum_over_ranks_over_the_common_window():
    total = aggregate_window([window(1000, 2.0), window(600, 2.5)])
    assert total.duration_s == 2.5  # the last rank to end closes the common window
    assert total.samples == 1600
    assert total.samples_per_s == pytest.approx(640.0)  # not 500 + 240
    assert total.mib_per_s == pytest.approx(1600 * 1024 / 2**20 / 2.5)


def test_counts_cpu_and_memory_add_up_over_ranks():
    total = aggregate_window([window(100, 1.0), window(200, 1.0)])
    assert (total.bytes, total.batches, total.http_requests) == (300 * 1024, 30, 300)
    assert (total.errors, total.retries, total.cpu_seconds, total.peak_rss_bytes) == (
        2, 4, 2.0, 200)


def test_accel_utilisation_of_the_case_is_the_mean_of_the_ranks():
    total = aggregate_window([window(100, 2.0, busy=2.0), window(100, 4.0, busy=1.0)])
    assert total.accel_utilization == pytest.approx((1.0 + 0.25) / 2)


def test_first_batch_is_the_slowest_ranks_and_unknown_if_a_rank_had_none():
    assert aggregate_window([window(1, 1.0, first=0.2),
                             window(1, 1.0, first=0.7)]).time_to_first_batch_s == 0.7
    assert aggregate_window([window(1, 1.0), window(0, 1.0, first=None)]
                            ).time_to_first_batch_s is None


def test_batch_waits_are_every_ranks_in_rank_order():
    total = aggregate_window([window(1, 1.0, latencies=(0.1, 0.2)),
                              window(1, 1.0, latencies=(0.3,))])
    assert total.batch_latencies_s == (0.1, 0.2, 0.3)


def test_repeats_aggregate_by_index_up_to_the_fewest_any_rank_measured():
    ranks = [RankResult(0, 0, repeats=(window(10, 1.0), window(20, 1.0))),
             RankResult(1, 0, repeats=(window(5, 1.0),))]
    assert [m.samples for m in aggregate_repeats(ranks)] == [15]


def test_warmup_aggregates_only_when_every_rank_has_one():
    assert aggregate_warmup([RankResult(0, 0, warmup=window(1, 1.0)), RankResult(1, 0)]) is None
    both = aggregate_warmup([RankResult(0, 0, warmup=window(1, 1.0)),
                             RankResult(1, 0, warmup=window(2, 1.0))])
    assert both is not None and both.samples == 3


def run_of(rates: list[int]) -> DistributedRun:
    ranks = tuple(RankResult(i, 0, repeats=(window(rate, 1.0),)) for i, rate in enumerate(rates))
    return DistributedRun(world_size=len(rates), nnodes=1, ranks=ranks,
                          exactly_once=ExactlyOnce(expected=10))


def test_slowest_rank_and_spread_max_over_min():
    run = run_of([400, 100, 200])
    assert run.slowest_rank == 1
    assert run.spread == pytest.approx(4.0)


def test_spread_is_undefined_when_a_rank_delivered_nothing():
    assert run_of([400, 0]).spread is None


def test_world_size_must_match_the_rank_results():
    with pytest.raises(ResultFormatError, match="1 rank results for world_size 2"):
        DistributedRun(world_size=2, nnodes=1, ranks=(RankResult(0, 0),),
                       exactly_once=ExactlyOnce(expected=1))


def test_exactly_once_summary_says_why_it_was_not_checked():
    check = ExactlyOnce(expected=10, note="no epoch finished on every rank")
    assert not check.holds
    assert check.summary == "not checked: no epoch finished on every rank"
    assert ExactlyOnce(expected=10, epochs_checked=1, reads=11, padding=1,
                       duplicates=2).summary.startswith("VIOLATED (1 epoch, 2 duplicates")
