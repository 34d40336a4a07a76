"""What one archive-member listing tells a shard dataset: its samples' fields and, for free,
how many samples each shard holds.

Asked with ``LS_ARCH_DIR``, AIStore lists every archive under a bucket's prefix followed by its
members (names only; no shard data crosses the network). The fields come from the members'
extensions (:mod:`aisref.pytorch.sample_fields`); the same pass counts each shard's samples,
which a dataset split over several ranks needs for equal per-rank counts
(:mod:`aisref.pytorch.shard_spans`). Without it those counts cost one more archive listing per
shard.

Memory: the fields, one int per shard, and the sample keys of one shard at a time - a shard's
members are listed one after another, so its keys are dropped when the next shard begins. A
shard whose members the listing splits (not seen from AIStore, but not promised either) is
not trusted and counted again by its own archive listing, as are shards of sources that are
not buckets and shards the listing does not show as archives.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby

from aisref.client import LS_ARCH_DIR, AISSource, Bucket, ObjectEntry
from aisref.pytorch.base import PrefixMap, prefixes_for
from aisref.pytorch.sample_fields import archive_members, member_extension
from aisref.pytorch.tar_stream import is_meta_member, split_sample_key


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


@dataclass
class MemberListing:
    """The fields of a dataset's samples and the sample count of each listed shard.

    ``counts`` is keyed by the shard's ``uname`` (``"ais://bucket/shard.tar"``).
    """

    fields: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)

    def add_bucket_listing(self, bucket_uname: str, entries: Iterable[ObjectEntry]) -> None:
        """Take in one bucket's ``LS_ARCH_DIR`` listing (one prefix)."""
        split_shards: set[str] = set()
        for archive, members in groupby(archive_members(entries), key=lambda pair: pair[0]):
            uname = f"{bucket_uname}/{archive}"
            names = [member for _, member in members]
            self.fields.update(filter(None, map(member_extension, names)))
            if uname in self.counts or uname in split_shards:  # its members came apart
                split_shards.add(uname)
                self.counts.pop(uname, None)
                continue
            self.counts[uname] = count_samples(archive, names)

    def add_extensions(self, extensions: Iterable[str]) -> None:
        self.fields.update(extensions)


def _archive_extensions(source: AISSource, prefix: str) -> Iterator[str]:
    """Fields of the shards of a source that is not a bucket (e.g. an object group): one
    archive listing per shard."""
    for shard in source.list_all_objects_iter(prefix=prefix, props="name"):
        for member in shard.bucket.list_archive(shard.name):
            if extension := member_extension(member):
                yield extension


def list_members(sources: Sequence[AISSource], prefix_map: PrefixMap) -> MemberListing:
    """Fields and per-shard sample counts of the archives of ``sources`` under their prefixes.

    One paged ``LS_ARCH_DIR`` listing per (bucket, prefix); sources that are not buckets give
    their fields one archive per request, and no counts.
    """
    listing = MemberListing()
    for source in sources:
        for prefix in prefixes_for(source, prefix_map):
            if isinstance(source, Bucket):
                entries = source.list_objects_iter(prefix=prefix, props="name", flags=LS_ARCH_DIR)
                listing.add_bucket_listing(source.uname, entries)
            else:
                listing.add_extensions(_archive_extensions(source, prefix))
    return listing
