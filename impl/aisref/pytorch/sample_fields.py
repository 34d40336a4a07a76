"""The fields every sample of a shard dataset carries, known before the first sample.

Why before: ``torch.utils.data.default_collate`` batches dicts by the keys of the batch's
*first* sample. A field that first appears in a later sample of the batch is left out of the
whole batch, silently. The dataset does not know the batch size, and a batch can span shards,
so a sample must already carry every field any later sample of its reader might carry.

How, without buffering shards: one extra listing at construction
(:mod:`aisref.pytorch.member_listing`). Asked with ``LS_ARCH_DIR``, AIStore lists the members
of every archive under the dataset's prefixes (the targets read the archives; only names cross
the network); we keep the set of extensions (the same pass counts each shard's samples).
Cost: one paged listing over all members of the dataset, once per dataset (per rank), never
per worker or epoch - 0.22-0.35 s for 200 shards of 200 members on a local 2-target cluster,
where listing the 200 shards alone takes 0.004 s. Memory: the extensions and one page of
names. (The official reader holds a whole shard in memory to pre-scan it, and still drops
a field new in a later shard from a batch spanning both.)

What the listing cannot know - a shard changed since, a shard whose name has no archive
extension AIStore recognises (``.tar``), fields an ETL adds - is caught while reading: a field
outside the listed set is accepted in a reader's first sample, and anywhere later raises
:class:`~aisref.client.UnexpectedSampleField` (never a silent drop).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from aisref.client import (
    ENTRY_IS_ARCH_MEMBER,
    ENTRY_IS_ARCHIVE,
    ObjectEntry,
    UnexpectedSampleField,
)
from aisref.pytorch.tar_stream import is_meta_member, split_sample_key
from aisref.pytorch.zero_dict import ZeroDict


def member_extension(member_path: str) -> str | None:
    """The field a shard member adds to its sample (``"a/b.seg.png"`` → ``"seg.png"``), or
    ``None`` for members that belong to no sample (metadata, names without an extension)."""
    if is_meta_member(member_path):
        return None
    split = split_sample_key(member_path)
    return None if split is None else split[1]


def archive_and_member(entry_name: str, archives: set[str]) -> tuple[str, str] | None:
    """``"<archive>/<member>"`` → ``("<archive>", "<member>")``, for the longest listed
    archive name; None when no listed archive holds the entry."""
    slash = len(entry_name)
    while (slash := entry_name.rfind("/", 0, slash)) > 0:
        if entry_name[:slash] in archives:
            return entry_name[:slash], entry_name[slash + 1 :]
    return None


def archive_members(entries: Iterable[ObjectEntry]) -> Iterator[tuple[str, str]]:
    """``(archive name, member path)`` of each archive member in an ``LS_ARCH_DIR`` listing
    (archives sort before their members, so each member's archive has been seen when the
    member comes)."""
    archives: set[str] = set()
    for entry in entries:
        if entry.flags & ENTRY_IS_ARCHIVE:
            archives.add(entry.name)
        elif entry.flags & ENTRY_IS_ARCH_MEMBER:
            split = archive_and_member(entry.name, archives)
            if split is not None:
                yield split


class SampleFields:
    """Completes one reader's samples to a field set that only grows before its first sample.

    Args:
        listed: the fields the dataset's member listing names (``MemberListing.fields``).
    """

    def __init__(self, listed: Iterable[str]) -> None:
        self._fields = set(listed)
        self._started = False

    def complete(self, content: Mapping[str, bytes], shard: str, key: str) -> ZeroDict:
        """``content`` with ``b""`` for each field it lacks.

        Raises:
            UnexpectedSampleField: ``content`` has a field outside the set, and samples
                without it were already yielded (default collation could drop it).
        """
        unlisted = content.keys() - self._fields
        if unlisted and self._started:
            raise UnexpectedSampleField(
                f"shard {shard}, sample {key!r}: field(s) {sorted(unlisted)} are not in the "
                "dataset's member listing, and this reader has already yielded samples "
                "without them, so default collation could drop them from a batch. The shard "
                "changed since the dataset was made (call refresh()), its name lacks an "
                "archive extension AIStore lists (name shards *.tar), or the ETL adds fields"
            )
        self._fields |= unlisted
        self._started = True
        return ZeroDict(content, self._fields)
