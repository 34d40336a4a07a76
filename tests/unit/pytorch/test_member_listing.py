"""One archive-member listing gives a shard dataset its fields and each shard's sample count."""

from __future__ import annotations

from dataclasses import dataclass, field

from aisref.client import ENTRY_IS_ARCH_MEMBER, ENTRY_IS_ARCHIVE, ObjectEntry
from aisref.pytorch.member_listing import MemberListing, count_samples
from aisref.pytorch.shard_reader import shard_counts

ARCHIVE = ENTRY_IS_ARCHIVE | 64  # flags as aisnode sets them (64: present)
MEMBER = ENTRY_IS_ARCH_MEMBER | 64
BUCKET = "ais://b"


def _listing(*entries: ObjectEntry) -> MemberListing:
    listing = MemberListing()
    listing.add_bucket_listing(BUCKET, entries)
    return listing


def test_the_listing_gives_the_fields_of_archive_members_only_and_each_shards_count() -> None:
    listing = _listing(
        ObjectEntry("d/s.tar", None, ARCHIVE),
        ObjectEntry("d/s.tar-old", None, 64),  # sorts between an archive and its members
        ObjectEntry("d/s.tar/__meta__/info.json", None, MEMBER),  # metadata: no field
        ObjectEntry("d/s.tar/x/a.jpg", None, MEMBER),
        ObjectEntry("d/s.tar/x/a.seg.png", None, MEMBER),
        ObjectEntry("d/s.tar/x/b.jpg", None, MEMBER),
        ObjectEntry("d/s.tar/x/NOTES", None, MEMBER),  # no extension: no field, no sample
        ObjectEntry("d/t.tar", None, ARCHIVE),
        ObjectEntry("d/t.tar/c.cls", None, MEMBER),
        ObjectEntry("plain.txt", None, 64),  # not an archive: its own extension is no field
    )
    assert listing.fields == {"jpg", "seg.png", "cls"}
    assert listing.counts == {"ais://b/d/s.tar": 2, "ais://b/d/t.tar": 1}


def test_an_archive_without_members_counts_no_samples_and_is_left_to_its_own_listing() -> None:
    # An empty tar has no member entries: the listing cannot tell it from an unlisted shard.
    listing = _listing(ObjectEntry("e.tar", None, ARCHIVE))
    assert listing.counts == {}


def test_a_shard_whose_members_come_apart_is_not_trusted_but_recounted() -> None:
    listing = _listing(
        ObjectEntry("s.tar", None, ARCHIVE),
        ObjectEntry("t.tar", None, ARCHIVE),
        ObjectEntry("s.tar/a.jpg", None, MEMBER),
        ObjectEntry("t.tar/b.jpg", None, MEMBER),
        ObjectEntry("s.tar/c.jpg", None, MEMBER),  # s.tar again, after t.tar's members
    )
    assert listing.counts == {"ais://b/t.tar": 1}
    assert listing.fields == {"jpg"}


def test_count_samples_takes_names_relative_or_as_listed_and_skips_metadata() -> None:
    names = ["s.tar", "s.tar/a.jpg", "a.cls", "s.tar/__meta__/x.json", "b.jpg", "README"]
    assert count_samples("s.tar", names) == 2


@dataclass
class _Bucket:
    members: dict[str, list[str]]
    listed: list[str] = field(default_factory=list)

    def list_archive(self, name: str) -> list[str]:
        self.listed.append(name)
        return self.members[name]


@dataclass
class _Shard:
    bucket: _Bucket
    name: str

    @property
    def uname(self) -> str:
        return f"{BUCKET}/{self.name}"


def test_shard_counts_come_from_the_listing_and_only_the_missing_shards_are_listed_again() -> None:
    bucket = _Bucket({"b.tar": ["b.tar/1.jpg", "b.tar/2.jpg", "b.tar/2.cls"]})
    shards = [_Shard(bucket, name) for name in ("a.tar", "b.tar", "c.tar")]
    counts = shard_counts(shards, {f"{BUCKET}/a.tar": 5, f"{BUCKET}/c.tar": 0})  # type: ignore[arg-type]
    assert counts == [5, 2, 0]
    assert bucket.listed == ["b.tar"]
