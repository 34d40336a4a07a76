"""Reading a reader's sample positions out of tar shards, when ranks need equal counts.

Equal per-rank counts (see :mod:`aisref.pytorch.partition`) need the number of samples, and a
tar shard's count is only known by asking. So when a shard dataset is split over more than one
rank it **counts first**, once, in the process that builds the dataset (each rank), keeping
one int per shard: from member names only, no shard data is read - for ``AISShardReader`` out
of the bucket-wide member listing it makes anyway (:mod:`aisref.pytorch.member_listing`),
otherwise (and for shards that listing does not count) one archive listing per shard, up to
``COUNT_CONCURRENCY`` at a time. DataLoader workers get the counts with the dataset.

A reader then reads only the shards its positions fall in (:func:`spans_of`). A shard cut
between two readers is opened by both, the second reading and dropping the first one's part,
so an epoch reads at most ``ranks x workers`` shards more than once (plus the shards the
padding repeats). Within one rank, counts are not needed: workers split whole shards.

The counts are a snapshot taken with the listing. A shard that, when read, does not hold the
counted number of items raises :class:`ShardCountChanged` naming it, rather than letting the
ranks drift apart and hang.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import accumulate
from typing import TypeVar

from aisref.client import ShardFormatError
from aisref.pytorch.partition import ReaderSlot, reader_ranges

T = TypeVar("T")
S = TypeVar("S")

COUNT_CONCURRENCY = 16  # archive listings in flight while counting; each is a small reply


class ShardCountChanged(ShardFormatError):
    """A shard held a different number of samples (or members) than its archive listing."""


@dataclass(frozen=True)
class ShardSpan:
    """Items ``start .. stop - 1`` of shard number ``shard`` (``stop=None``: all, uncounted)."""

    shard: int
    start: int = 0
    stop: int | None = None
    counted: int | None = None  # items in the shard when it was counted


def count_each(shards: Sequence[S], count_one: Callable[[S], int]) -> list[int]:
    """``count_one(shard)`` for every shard, in order, a few at a time (it sends a request).

    ``count_one`` must be thread-safe: the datasets' clients keep one session per thread.
    """
    if len(shards) <= 1:
        return [count_one(shard) for shard in shards]
    threads = min(COUNT_CONCURRENCY, len(shards))
    with ThreadPoolExecutor(threads, thread_name_prefix="ais-count") as pool:
        return list(pool.map(count_one, shards))


def spans_of(counts: Sequence[int], positions: range) -> list[ShardSpan]:
    """The pieces of shards that hold dataset positions ``positions``, in order.

    ``counts[j]`` is the number of items in shard ``j``; positions run through the shards in
    list order. Shards holding none of the positions (including empty ones) are left out.
    """
    offsets = list(accumulate(counts, initial=0))
    spans: list[ShardSpan] = []
    shard = max(bisect_right(offsets, positions.start) - 1, 0)
    while shard < len(counts) and offsets[shard] < positions.stop:
        start = max(positions.start, offsets[shard]) - offsets[shard]
        stop = min(positions.stop, offsets[shard + 1]) - offsets[shard]
        if stop > start:
            spans.append(ShardSpan(shard, start, stop, counts[shard]))
        shard += 1
    return spans


def reading_plan(
    n_shards: int, slot: ReaderSlot, drop_last: bool, counts: Callable[[], Sequence[int]]
) -> list[ShardSpan]:
    """What ``slot`` reads: whole shards on a single rank, counted positions over several.

    ``counts`` (items per shard) is called only when there are several ranks.
    """
    if slot.world_size == 1:
        return [ShardSpan(shard) for span in reader_ranges(n_shards, slot) for shard in span]
    item_counts = counts()
    return [
        piece
        for positions in reader_ranges(sum(item_counts), slot, drop_last)
        for piece in spans_of(item_counts, positions)
    ]


def take_span(items: Iterable[T], span: ShardSpan, shard: str, unit: str) -> Iterator[T]:
    """Yield ``span``'s part of one shard's ``items`` (its samples or members, in order).

    Stops reading once past the span; a span that ends at the shard's end reads on to check
    the shard holds no more than counted. Raises :class:`ShardCountChanged` naming ``shard``
    when it holds fewer or more ``unit``s than counted.
    """
    if span.stop is None:
        yield from items
        return
    position = 0
    for item in items:
        if position == span.stop:  # only reached when checking a shard read to its end
            raise _count_changed(shard, span, unit, "more")
        if position >= span.start:
            yield item
        position += 1
        if position == span.stop and span.counted is not None and span.stop < span.counted:
            return  # the rest of the shard is another reader's
    if position < span.stop:
        raise _count_changed(shard, span, unit, f"only {position}")


def _count_changed(shard: str, span: ShardSpan, unit: str, found: str) -> ShardCountChanged:
    return ShardCountChanged(
        f"shard {shard}: its archive listing had {span.counted} {unit}s but it holds {found}. "
        "The shard changed since the dataset counted it (build the dataset again or call "
        "refresh()), an ETL changed its contents, or a sample's members are not contiguous "
        "in the tar. Equal per-rank counts rely on the listing; pass split_by_rank=False to "
        "read whole shards without counting (and split ranks yourself)."
    )
