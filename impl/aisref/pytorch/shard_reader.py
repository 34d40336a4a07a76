"""AISShardReader: webdataset-style samples streamed from tar shards in AIS buckets."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from aisref.client import Bucket, Object
from aisref.pytorch.base import AISBaseIterDataset, PrefixMap, SourceList, etl_config
from aisref.pytorch.progress import with_progress
from aisref.pytorch.sample_fields import SampleFields, listed_extensions
from aisref.pytorch.tar_stream import (
    is_meta_member,
    iter_samples,
    iter_tar_members,
    split_sample_key,
)
from aisref.pytorch.zero_dict import ZeroDict
from aisref.pytorch.zero_dict import ZeroDict as _ZeroDict  # for annotations in the class


def shard_label(shard: Object) -> str:
    """``"ais://bucket/shard.tar"``: how errors and progress bars name a shard."""
    return shard.uname


def count_samples(shard_name: str, member_names: Iterable[str]) -> int:
    """Number of samples the reader yields for a shard with these members.

    Member names may be given relative to the shard or as ``"<shard>/<member>"`` (as AIS
    lists them); the shard's own entry is ignored. Exact when each sample's members are
    contiguous in the tar, as webdataset writers produce them.
    """
    keys: set[str] = set()
    for name in member_names:
        member = name.removeprefix(f"{shard_name}/") if name != shard_name else ""
        if not member or is_meta_member(member):
            continue
        split = split_sample_key(member)
        if split is not None:
            keys.add(split[0])
    return len(keys)


class AISShardReader(AISBaseIterDataset[tuple[str, ZeroDict]]):
    """Iterate samples of webdataset tar shards: ``(sample key, ZeroDict{extension: bytes})``.

    Each shard is read with ONE streaming GET and parsed as it arrives, so memory is bounded
    by the largest sample, not the shard (the official reader loads whole shards into memory).
    Shards are the unit of splitting: each shard is read by exactly one reader per epoch over
    distributed ranks x DataLoader workers. Members are grouped into samples as webdataset
    does (key = path up to the first dot of the file name, extension = the rest; consecutive
    members only). A truncated or corrupt shard raises ``ShardFormatError`` naming it.

    Every sample carries every field (extension) found in the dataset's shards, ``b""`` where
    it has none, so ``DataLoader(batch_size=N)`` with default collation never drops a field
    from a batch. The fields are listed at construction (member names only, one paged
    listing; see :mod:`aisref.pytorch.sample_fields` for the cost and what it cannot know).

    Args:
        bucket_list: one Bucket (or any AISSource) or a list of them.
        prefix_map: optional ``{bucket: prefix or [prefixes]}`` selecting shards; buckets
            without an entry contribute all their objects.
        etl_name: optional ETL, already running on the cluster, applied server-side to each
            shard. A cluster without ETL raises ``ETLNotAvailable`` naming it on first read.
        show_progress: draw a tqdm bar per reader (over its shards), labelled with its worker.
    """

    ZeroDict = ZeroDict  # where the official reader keeps it

    def __init__(
        self,
        bucket_list: Bucket | SourceList,
        prefix_map: PrefixMap | None = None,
        etl_name: str | None = None,
        show_progress: bool = False,
    ) -> None:
        super().__init__(bucket_list, prefix_map)
        self._etl = etl_config(etl_name)
        self._show_progress = show_progress
        self._fields = listed_extensions(self._ais_source_list, self._prefix_map)

    def refresh(self) -> None:
        """List the shards and their members' fields again, e.g. to see new shards."""
        super().refresh()
        self._fields = listed_extensions(self._ais_source_list, self._prefix_map)

    def _samples_of(self, shard: Object) -> Iterator[tuple[str, dict[str, bytes]]]:
        label = shard_label(shard)
        with shard.get_reader(etl=self._etl).raw() as body:
            yield from iter_samples(iter_tar_members(body, label), label)

    def __iter__(self) -> Iterator[tuple[str, _ZeroDict]]:
        shards, slot = self._objects_for_this_reader()
        fields = SampleFields(self._fields)
        for shard in with_progress(
            shards, type(self).__name__, slot, self._show_progress, total=len(shards)
        ):
            for key, content in self._samples_of(shard):
                yield key, fields.complete(content, shard_label(shard), key)

    def __len__(self) -> int:
        """Number of samples over all shards and readers.

        Costs one archive-listing request per shard (member names only, no shard data is
        read); exact when each sample's members are contiguous in its tar.
        """
        return sum(
            count_samples(shard.name, shard.bucket.list_archive(shard.name))
            for shard in self._obj_list
        )
