"""AISMultiShardStream: members of several shard streams, zipped into tuples."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence

from torch.utils.data import IterableDataset

from aisref.client import DataShard, Object
from aisref.pytorch.base import etl_config, install_worker_clients
from aisref.pytorch.partition import current_slot, slot_items, slot_stream
from aisref.pytorch.shard_reader import shard_label
from aisref.pytorch.tar_stream import iter_tar_members


class AISMultiShardStream(IterableDataset[tuple[bytes, ...]]):
    """Zip several shard streams: the i-th item is the i-th member of every stream.

    A stream is every tar shard under one :class:`~aisref.client.DataShard`'s bucket and
    prefix, in listing order; its items are the bytes of each regular member, in tar order.
    Iteration ends with the shortest stream, as :func:`zip` does.

    Each shard is read with ONE streaming GET and parsed as it arrives. (The official
    ``AISMultiShardStream`` lists each shard's members and then sends one GET per member
    with ``archpath``: ``members + 1`` requests per shard.) Shards are listed once, at
    construction.

    Splitting over several readers (distributed ranks x DataLoader workers), exactly once:

    - one stream: its shards are split (shard ``j`` goes to reader ``j % readers``), so each
      shard is fetched by one reader only;
    - several streams: tuples are defined only by position across possibly unaligned
      streams, so tuple ``i`` goes to reader ``i % readers`` and every reader streams every
      shard, dropping the tuples that are not its own. With N readers that is N times the
      network bytes; prefer ``num_workers=0`` there.

    Args:
        data_sources: the streams to zip, e.g. ``[DataShard(url, "images"),
            DataShard(url, "labels")]``; each may name a server-side ETL.
    """

    def __init__(self, data_sources: Sequence[DataShard]) -> None:
        if not data_sources:
            raise ValueError("AISMultiShardStream: data_sources is empty; pass DataShard values")
        self._data_sources = list(data_sources)
        buckets = [source.bucket for source in self._data_sources]  # a new Bucket per access
        install_worker_clients(buckets)
        self._shards: list[list[Object]] = [
            list(bucket.list_all_objects_iter(prefix=source.prefix, props="name"))
            for bucket, source in zip(buckets, self._data_sources, strict=True)
        ]

    def _member_stream(
        self, shards: list[Object], etl_name: str | None
    ) -> Generator[bytes, None, None]:
        etl = etl_config(etl_name)
        for shard in shards:
            with shard.get_reader(etl=etl).raw() as body:
                for member in iter_tar_members(body, shard_label(shard)):
                    yield member.data

    def __iter__(self) -> Iterator[tuple[bytes, ...]]:
        slot = current_slot()
        if len(self._shards) == 1:
            only = self._member_stream(
                list(slot_items(self._shards[0], slot)), self._data_sources[0].etl_name
            )
            yield from ((member,) for member in only)
            return
        streams = [
            self._member_stream(shards, source.etl_name)
            for shards, source in zip(self._shards, self._data_sources, strict=True)
        ]
        try:
            yield from slot_stream(zip(*streams, strict=False), slot)
        finally:
            for stream in streams:  # close the still-open HTTP bodies of longer streams
                stream.close()
