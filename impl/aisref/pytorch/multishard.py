"""AISMultiShardStream: members of several shard streams, zipped into tuples."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence

from torch.utils.data import IterableDataset

from aisref.client import DataShard, Object
from aisref.pytorch.base import etl_config, install_worker_clients
from aisref.pytorch.partition import (
    CarriesRankToWorkers,
    RankSplit,
    ReaderSlot,
    reader_ranges,
    slot_stream,
)
from aisref.pytorch.shard_reader import shard_label
from aisref.pytorch.shard_spans import (
    ShardSpan,
    count_each,
    reading_plan,
    spans_of,
    take_span,
)
from aisref.pytorch.tar_stream import iter_tar_members


def listed_member_count(shard: Object) -> int:
    """Members in ``shard``, from its archive listing (one request; no shard data)."""
    return len(shard.bucket.list_archive(shard.name))


class AISMultiShardStream(CarriesRankToWorkers, IterableDataset[tuple[bytes, ...]]):
    """Zip several shard streams: the i-th item is the i-th member of every stream.

    A stream is every tar shard under one :class:`~aisref.client.DataShard`'s bucket and
    prefix, in listing order; its items are the bytes of each regular member, in tar order.
    Iteration ends with the shortest stream, as :func:`zip` does.

    Each shard is read with ONE streaming GET and parsed as it arrives. (The official
    ``AISMultiShardStream`` lists each shard's members and then sends one GET per member
    with ``archpath``: ``members + 1`` requests per shard.) Shards are listed once, at
    construction.

    Splitting, each tuple read once per epoch:

    - on one rank, over DataLoader workers: one stream splits its whole shards; several
      streams are split tuple by tuple (tuple ``i`` to worker ``i % workers``), since tuples
      are defined only by position across possibly unaligned streams, so every worker
      streams every shard (N workers, N times the bytes; prefer ``num_workers=0`` there);
    - over several torch.distributed ranks: every rank reads the same number of tuples,
      apart from the padding that makes the counts equal (see
      :mod:`aisref.pytorch.partition`). The members of every shard are counted first, one
      archive listing per shard at construction (see :mod:`aisref.pytorch.shard_spans`),
      and each reader then reads only the shards its tuples fall in, in every stream.

    Args:
        data_sources: the streams to zip, e.g. ``[DataShard(url, "images"),
            DataShard(url, "labels")]``; each may name a server-side ETL (counts come from
            the stored shards, so an ETL must keep the number of members).
        split_by_rank: split over torch.distributed ranks (default). False: every rank reads
            every tuple (split over its DataLoader workers), and nothing is counted.
        drop_last: make rank counts equal by dropping the last (fewer than world size)
            tuples instead of reading the first ones again.
    """

    def __init__(
        self,
        data_sources: Sequence[DataShard],
        *,
        split_by_rank: bool = True,
        drop_last: bool = False,
    ) -> None:
        if not data_sources:
            raise ValueError("AISMultiShardStream: data_sources is empty; pass DataShard values")
        self._data_sources = list(data_sources)
        self._rank_split = RankSplit(split_by_rank=split_by_rank, drop_last=drop_last)
        buckets = [source.bucket for source in self._data_sources]  # a new Bucket per access
        install_worker_clients(buckets)
        self._shards: list[list[Object]] = [
            list(bucket.list_all_objects_iter(prefix=source.prefix, props="name"))
            for bucket, source in zip(buckets, self._data_sources, strict=True)
        ]
        self._member_counts: list[list[int]] | None = None
        if self._rank_split.ranks()[1] > 1:  # count here, once, not in every worker
            self._counts()

    def _counts(self) -> list[list[int]]:
        """Members per shard, per stream (one archive listing per shard, made once)."""
        if self._member_counts is None:
            self._member_counts = [
                count_each(shards, listed_member_count) for shards in self._shards
            ]
        return self._member_counts

    def _member_stream(
        self, shards: list[Object], spans: list[ShardSpan], etl_name: str | None
    ) -> Generator[bytes, None, None]:
        etl = etl_config(etl_name)
        for span in spans:
            shard = shards[span.shard]
            label = shard_label(shard)
            with shard.get_reader(etl=etl).raw() as body:
                members = (member.data for member in iter_tar_members(body, label))
                yield from take_span(members, span, label, "member")

    def _stream_spans(self, slot: ReaderSlot) -> list[list[ShardSpan]]:
        """Each stream's shard pieces holding ``slot``'s tuples (several ranks)."""
        counts = self._counts()
        tuples = min(sum(stream_counts) for stream_counts in counts)
        positions = reader_ranges(tuples, slot, self._rank_split.drop_last)
        return [
            [span for piece in positions for span in spans_of(stream_counts, piece)]
            for stream_counts in counts
        ]

    def __iter__(self) -> Iterator[tuple[bytes, ...]]:
        slot = self._rank_split.reader_slot()
        if len(self._shards) == 1:
            plan = reading_plan(
                len(self._shards[0]), slot, self._rank_split.drop_last, lambda: self._counts()[0]
            )
            only = self._member_stream(self._shards[0], plan, self._data_sources[0].etl_name)
            yield from ((member,) for member in only)
            return
        on_one_rank = slot.world_size == 1
        if on_one_rank:
            spans = [[ShardSpan(j) for j in range(len(shards))] for shards in self._shards]
        else:
            spans = self._stream_spans(slot)
        streams = [
            self._member_stream(shards, stream_spans, source.etl_name)
            for shards, stream_spans, source in zip(
                self._shards, spans, self._data_sources, strict=True
            )
        ]
        tuples = zip(*streams, strict=False)
        try:
            yield from slot_stream(tuples, slot) if on_one_rank else tuples
        finally:
            for stream in streams:  # close the still-open HTTP bodies of longer streams
                stream.close()
