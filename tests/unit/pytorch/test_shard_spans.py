"""Which pieces of which shards a reader reads, and the check of each shard's count."""

from collections import Counter

import pytest

from aisref.pytorch.partition import ReaderSlot
from aisref.pytorch.shard_spans import (
    ShardCountChanged,
    ShardSpan,
    reading_plan,
    spans_of,
    take_span,
)


def never_counted() -> list[int]:
    raise AssertionError("a single rank must not count shards")


def items_of(span: ShardSpan) -> range:
    assert span.stop is not None, "a counted span has a stop"
    return range(span.start, span.stop)


def rank_plans(
    counts: list[int], world_size: int, drop_last: bool = False
) -> list[list[ShardSpan]]:
    return [
        reading_plan(len(counts), ReaderSlot(rank, world_size), drop_last, lambda: counts)
        for rank in range(world_size)
    ]


def test_six_shards_of_five_on_four_ranks_give_eight_samples_each():
    # Whole shards would give 10/10/5/5 samples; positions give 8 each, 2 padded.
    plans = rank_plans([5] * 6, world_size=4)
    assert plans == [
        [ShardSpan(0, 0, 5, 5), ShardSpan(1, 0, 3, 5)],
        [ShardSpan(1, 3, 5, 5), ShardSpan(2, 0, 5, 5), ShardSpan(3, 0, 1, 5)],
        [ShardSpan(3, 1, 5, 5), ShardSpan(4, 0, 4, 5)],
        [ShardSpan(4, 4, 5, 5), ShardSpan(5, 0, 5, 5), ShardSpan(0, 0, 2, 5)],
    ]
    assert [sum(len(items_of(span)) for span in plan) for plan in plans] == [8, 8, 8, 8]


def test_uneven_shards_with_drop_last_give_equal_counts_and_drop_the_tail():
    plans = rank_plans([5, 2, 4], world_size=2, drop_last=True)
    assert plans == [
        [ShardSpan(0, 0, 5, 5)],
        [ShardSpan(1, 0, 2, 2), ShardSpan(2, 0, 3, 4)],
    ]


@pytest.mark.parametrize("drop_last", [False, True])
def test_every_sample_is_read_once_apart_from_padding(drop_last):
    counts = [3, 0, 7, 1, 4]  # 15 samples, one shard empty
    read = Counter(
        (span.shard, i)
        for plan in rank_plans(counts, world_size=4, drop_last=drop_last)
        for span in plan
        for i in items_of(span)
    )
    every = [(shard, i) for shard, n in enumerate(counts) for i in range(n)]
    if drop_last:
        assert read == Counter(every[:12])
    else:  # 16 = 15 + the first sample again
        assert read == Counter(every) + Counter(every[:1])


def test_empty_shards_are_never_opened():
    assert spans_of([0, 2, 0, 0, 1], range(0, 3)) == [ShardSpan(1, 0, 2, 2), ShardSpan(4, 0, 1, 1)]


def test_a_single_rank_splits_whole_shards_over_workers_without_counting():
    plans = [
        reading_plan(5, ReaderSlot(worker_id=w, num_workers=2), False, never_counted)
        for w in range(2)
    ]
    assert plans == [[ShardSpan(0), ShardSpan(1), ShardSpan(2)], [ShardSpan(3), ShardSpan(4)]]


def consumed_iter(items: list[str], consumed: list[str]):
    for item in items:
        consumed.append(item)
        yield item


def test_take_span_yields_the_span_and_stops_reading_after_it():
    consumed: list[str] = []
    taken = list(take_span(consumed_iter(list("abcde"), consumed), ShardSpan(0, 1, 3, 5), "s", "x"))
    assert taken == ["b", "c"]
    assert consumed == ["a", "b", "c"]


def test_take_span_to_the_shard_end_checks_there_is_nothing_more():
    with pytest.raises(ShardCountChanged, match=r"shard ais://b/s.tar: .* had 2 samples .* more"):
        list(take_span(iter("abc"), ShardSpan(0, 1, 2, 2), "ais://b/s.tar", "sample"))


def test_take_span_of_a_shard_shorter_than_counted_names_it_and_the_counts():
    with pytest.raises(ShardCountChanged, match=r"ais://b/s.tar: .* had 5 members .* only 3"):
        list(take_span(iter("abc"), ShardSpan(0, 0, 4, 5), "ais://b/s.tar", "member"))


def test_take_span_of_a_whole_shard_yields_everything_uncounted():
    assert list(take_span(iter("abc"), ShardSpan(0), "s", "sample")) == ["a", "b", "c"]


def test_shard_count_changed_is_a_shard_format_error():
    from aisref.client import ShardFormatError

    assert issubclass(ShardCountChanged, ShardFormatError)
