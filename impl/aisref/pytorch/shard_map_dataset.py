"""AISShardMapDataset: random access to the samples inside tar shards, without reading shards.

At construction the shards' members are listed once (``LS_ARCH_DIR``: the targets read the
archives, only names cross the network) and grouped into webdataset samples: key = member
path up to the first dot of its file name, extension = the rest; metadata members
(``__index__``) and names without an extension are left out. A sample is then read by its
members' *archpaths*: ``dataset[i]`` is one GET per member of that sample,
``dataset.__getitems__(indices)`` (what a DataLoader with a ``batch_size`` calls) one GetBatch
of every member of the batch - the shards are never downloaded whole, and AIStore extracts
the files next to the data.

Unlike the streaming readers, members of one key are grouped wherever they sit in the shard
(random access has no "consecutive" to rely on), and a key is unique per shard: the same key
in two shards is two samples (see :meth:`AISShardMapDataset.index_of`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from torch.utils.data import Dataset

from aisref.client import (
    LS_ARCH_DIR,
    AISSource,
    ArchiveConfig,
    Bucket,
    Colocation,
    Object,
)
from aisref.client.get_batch import Batch
from aisref.pytorch.base import PrefixMap, SourceList, checked_index
from aisref.pytorch.sample_fields import archive_members, member_extension
from aisref.pytorch.source_list import DatasetSources
from aisref.pytorch.tar_stream import split_sample_key


@dataclass(frozen=True)
class ShardSample:
    """One sample inside a shard: its key and ``(extension, archpath)`` of each member."""

    shard: Object
    key: str
    members: tuple[tuple[str, str], ...]


def _members_under(source: AISSource, prefix: str) -> Iterator[tuple[Object, str]]:
    """``(shard, member path)`` of every sample member of the archives under ``prefix``."""
    if isinstance(source, Bucket):
        entries = source.list_objects_iter(prefix=prefix, props="name", flags=LS_ARCH_DIR)
        for shard_name, member in archive_members(entries):
            if member_extension(member) is not None:
                yield source.object(shard_name), member
        return
    for shard in source.list_all_objects_iter(prefix=prefix, props="name"):  # e.g. a group
        for member in shard.bucket.list_archive(shard.name):
            if member_extension(member) is not None:
                yield shard, member


def group_samples(members: Iterable[tuple[Object, str]]) -> list[ShardSample]:
    """Samples from ``(shard, member path)`` pairs, in first-seen order of (shard, key).

    Two members of one key with the same extension cannot both be in one tar listing (their
    names would be equal), so no field is ever dropped here."""
    order: dict[tuple[str, str, str], tuple[Object, dict[str, str]]] = {}
    for shard, member in members:
        split = split_sample_key(member)
        if split is None:
            continue
        key, extension = split
        _, fields = order.setdefault((shard.bucket.uname, shard.name, key), (shard, {}))
        fields.setdefault(extension, member)
    return [
        ShardSample(shard, key, tuple(fields.items()))
        for (_, _, key), (shard, fields) in order.items()
    ]


class AISShardMapDataset(Dataset[tuple[str, dict[str, bytes]]]):
    """Map-style samples of tar shards: ``dataset[i]`` is ``(key, {extension: bytes})``.

    Args:
        ais_source_list: one AISSource (e.g. a Bucket of shards) or a list of them.
        prefix_map: optional ``{source: prefix or [prefixes]}`` selecting shards.
        colocation: the GetBatch :class:`~aisref.client.Colocation` hint; samples of a
            batch from few shards may want ``Colocation.TARGET_AND_SHARD_AWARE``.

    Cost at construction: one paged ``LS_ARCH_DIR`` listing per (bucket, prefix) - member
    names only - and a few hundred bytes of memory per member. Reads: one GET per member
    for ``dataset[i]``; one GetBatch per ``__getitems__`` batch (a DataLoader with
    ``batch_size`` calls it), one entry per member. A member missing since the listing raises
    :class:`~aisref.client.ObjectNotFound` naming the shard and archpath.
    """

    def __init__(
        self,
        ais_source_list: SourceList,
        prefix_map: PrefixMap | None = None,
        colocation: Colocation | int = Colocation.NONE,
    ) -> None:
        sources = DatasetSources.of(ais_source_list, prefix_map, type(self).__name__)
        sources.install_worker_clients()
        self._sources = list(sources.sources)
        self.colocation = Colocation(colocation)
        self._samples = group_samples(
            pair
            for source in self._sources
            for prefix in sources.prefixes(source)
            for pair in _members_under(source, prefix)
        )
        # Every sample carries every field of the dataset (b"" where it has none), as the
        # shard reader's do, so default collation never drops a field from a batch.
        self._empty_fields = dict.fromkeys(
            sorted({extension for sample in self._samples for extension, _ in sample.members}),
            b"")
        self._index: dict[tuple[str, str], int] | None = None

    def __len__(self) -> int:
        """Number of samples over all shards (O(1); listed at construction)."""
        return len(self._samples)

    def sample_list(self) -> list[ShardSample]:
        """Every sample (shard, key, members), in index order."""
        return self._samples

    def index_of(self, key: str, shard: str | None = None) -> int:
        """The index of sample ``key`` (of shard ``shard``, when keys repeat across shards).

        Raises:
            KeyError: no such sample, or ``key`` is in several shards and ``shard`` is None.
        """
        if self._index is None:
            self._index = {}
            for i, sample in enumerate(self._samples):
                self._index[(sample.shard.name, sample.key)] = i
        if shard is not None:
            return self._index[(shard, key)]
        found = [i for (_, k), i in self._index.items() if k == key]
        if len(found) != 1:
            where = "no shard" if not found else f"{len(found)} shards; pass shard="
            raise KeyError(f"sample key {key!r} is in {where}")
        return found[0]

    def __getitem__(self, index: int) -> tuple[str, dict[str, bytes]]:
        """``(key, {extension: bytes})`` of sample ``index``: one GET per member (by
        archpath); every field of the dataset is present, ``b""`` where the sample has none."""
        sample = self._samples[self._checked(index)]
        fields = {
            extension: sample.shard.get_reader(ArchiveConfig(archpath=archpath)).read_all()
            for extension, archpath in sample.members
        }
        return sample.key, self._empty_fields | fields

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[str, dict[str, bytes]]]:
        """The samples at ``indices``, in that order: one GetBatch of all their members."""
        samples = [self._samples[self._checked(index)] for index in indices]
        if not samples:
            return []
        batch = Batch(samples[0].shard.client, cont_on_err=False, colocation=self.colocation)
        for sample in samples:
            for _, archpath in sample.members:
                batch.add(sample.shard, archpath=archpath)
        results = iter(batch.get())
        out: list[tuple[str, dict[str, bytes]]] = []
        for sample in samples:
            fields = {extension: next(results)[1] for extension, _ in sample.members}
            out.append((sample.key, self._empty_fields | fields))
        return out

    def _checked(self, index: int) -> int:
        return checked_index(index, len(self._samples), type(self).__name__, "samples")
