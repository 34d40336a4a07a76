"""AISMultiShardStream: members of several shard streams, zipped into tuples."""

from __future__ import annotations

import posixpath
from collections.abc import Generator, Iterable, Iterator, Sequence

from torch.utils.data import IterableDataset

from aisref.client import AISError, ArchiveConfig, DataShard, ETLConfig, Object
from aisref.pytorch.official_sources import data_shard
from aisref.pytorch.partition import (
    CarriesRankToWorkers,
    RankSplit,
    ReaderSlot,
    reader_ranges,
    slot_stream,
)
from aisref.pytorch.shard_reader import shard_label
from aisref.pytorch.shard_spans import (
    ShardCountChanged,
    ShardSpan,
    count_each,
    reading_plan,
    spans_of,
    take_span,
)
from aisref.pytorch.source_list import etl_config, install_worker_clients
from aisref.pytorch.tar_stream import TarMember, iter_tar_members

STREAMED_ARCHIVE_SUFFIX = ".tar"  # parsed as it streams; AIStore's other formats go by member


def is_streamed(shard: Object) -> bool:
    """True for a ``.tar``, which is read even when AIStore lists no members in it."""
    return shard.name.endswith(STREAMED_ARCHIVE_SUFFIX)


def member_count(shard: Object) -> int:
    """Members in ``shard``, from its archive listing (one request; no shard data).

    A ``.tar`` that AIStore lists no members in (it is empty, or AIStore could not read it)
    is read and parsed to count them: a corrupt one raises ``ShardFormatError`` naming it.
    """
    listed = shard.bucket.list_archive(shard.name)
    if listed or not is_streamed(shard):
        return len(listed)
    with shard.get_reader().raw() as body:
        return sum(1 for _ in iter_tar_members(body, shard_label(shard)))


def listed_name(member_name: str) -> str:
    """A tar member's name as AIStore's archive listing gives it (``./a.txt`` → ``a.txt``)."""
    return posixpath.normpath(member_name)


def in_listed_order(
    members: Iterable[TarMember], listed: Sequence[str], shard: str
) -> Iterator[bytes]:
    """The bytes of ``members`` (tar order) in the order of ``listed`` (the archive listing).

    A member that arrives before its turn is held until then, so memory stays at zero extra
    members for a tar written in name order (as webdataset writers do) and grows only as far
    as a tar departs from it. Raises :class:`ShardCountChanged` naming ``shard`` and the
    member when the tar and its listing disagree.
    """
    position = {name: index for index, name in enumerate(listed)}
    early: dict[int, bytes] = {}
    turn = 0
    for member in members:
        index = position.get(listed_name(member.name))
        if index is None or index < turn or index in early:
            raise ShardCountChanged(
                f"shard {shard}: member {member.name!r} is not in the shard's archive listing "
                "(or is there twice); the shard changed since it was listed - build the "
                "dataset again"
            )
        early[index] = member.data
        while turn in early:
            yield early.pop(turn)
            turn += 1
    if turn < len(listed):
        raise ShardCountChanged(
            f"shard {shard}: its archive listing names member {listed[turn]!r}, which the "
            "shard does not hold (as a regular file); the shard changed since it was listed"
        )


def shard_members(
    shard: Object, listed: Sequence[str], etl: ETLConfig | None
) -> Generator[bytes, None, None]:
    """The bytes of every member ``listed`` for ``shard``, in that order.

    A ``.tar`` is read with one streaming GET and parsed as it arrives. With an ETL its
    members come in the transformed tar's own order (the listing is of the stored shard), and
    so do they when AIStore listed none (an empty or damaged tar, which the parser rejects
    naming it).
    AIStore's other archive formats (``.tgz``, ``.tar.gz``, ``.zip``, ``.tar.lz4``) are read
    one GET per member, as the official stream reads every shard.
    """
    label = shard_label(shard)
    if not is_streamed(shard):
        for name in listed:
            reader = shard.get_reader(etl=etl, archive_config=ArchiveConfig(archpath=name))
            yield reader.read_all()
        return
    with shard.get_reader(etl=etl).raw() as body:
        members = iter_tar_members(body, label)
        if etl is None and listed:
            yield from in_listed_order(members, listed, label)
        else:  # no listing to follow (see member_count): the tar's own order
            yield from (member.data for member in members)


class AISMultiShardStream(CarriesRankToWorkers, IterableDataset[tuple[bytes, ...]]):
    """Zip several shard streams: the i-th item is the i-th member of every stream.

    A stream is every shard under one :class:`~aisref.client.DataShard`'s bucket and
    prefix, in listing order; its items are the bytes of each member, in the order of the
    shard's archive listing (by name), as the official stream yields them. An object that
    AIStore does not list as an archive (another file under the prefix) has no members and
    is skipped, as the official skips it - but a ``.tar`` is always read, so a damaged one
    raises ``ShardFormatError`` naming it where the official would silently skip it and its
    samples. Iteration ends with the shortest stream, as :func:`zip` does.

    Each ``.tar`` shard costs two requests: its archive listing (member names) and ONE
    streaming GET, parsed as it arrives; members that arrive before their turn in the
    listing are held until then (none, for a tar written in name order). The official
    stream sends one GET per member instead (``members + 1`` requests per shard). Shards are
    listed once, at construction.

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
            DataShard(url, "labels")]`` (aisref's DataShard or the official SDK's); each may
            name a server-side ETL (counts and the order come from the stored shards, so an
            ETL must keep the number of members; with one, members come in the transformed
            tar's order).
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
        self._data_sources = [data_shard(s, type(self).__name__) for s in data_sources]
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
                count_each(shards, member_count) for shards in self._shards
            ]
        return self._member_counts

    def _member_stream(
        self, shards: list[Object], spans: list[ShardSpan], etl_name: str | None
    ) -> Generator[bytes, None, None]:
        etl = etl_config(etl_name)
        for span in spans:
            shard = shards[span.shard]
            try:
                listed = shard.bucket.list_archive(shard.name)
            except AISError as err:  # e.g. the target holding it died: say which shard
                raise type(err)(f"listing the members of {shard_label(shard)}: {err.message}",
                                err.status, err.url) from None
            if not listed and not is_streamed(shard) and span.stop is None:
                continue  # not an archive: nothing to read (a counted span checks it below)
            members = shard_members(shard, listed, etl)
            try:
                yield from take_span(members, span, shard_label(shard), "member")
            finally:
                members.close()

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
