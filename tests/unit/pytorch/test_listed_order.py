"""AISMultiShardStream's members in archive-listing order, from a tar in any order."""

from __future__ import annotations

import pytest

from aisref.pytorch import ShardCountChanged
from aisref.pytorch.multishard import in_listed_order
from aisref.pytorch.tar_stream import TarMember


class Tracked:
    """Members handed out one by one, counting how many were taken."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.taken = 0

    def __iter__(self):
        for name in self.names:
            self.taken += 1
            yield TarMember(name, name.encode())


def test_a_tar_in_name_order_is_passed_through_member_by_member():
    members = Tracked(["a", "b", "c"])
    ordered = in_listed_order(members, ["a", "b", "c"], "s.tar")
    assert next(ordered) == b"a" and members.taken == 1


def test_members_that_come_early_wait_for_their_turn():
    members = Tracked(["c", "b", "a"])
    assert list(in_listed_order(members, ["a", "b", "c"], "s.tar")) == [b"a", b"b", b"c"]


def test_a_dot_slash_member_matches_the_listing_without_it():
    members = Tracked(["./x.txt"])
    assert list(in_listed_order(members, ["x.txt"], "s.tar")) == [b"./x.txt"]


def test_a_member_not_listed_raises_naming_shard_and_member():
    with pytest.raises(ShardCountChanged, match=r"s\.tar: member 'new' is not in"):
        list(in_listed_order(Tracked(["a", "new"]), ["a"], "s.tar"))


def test_a_listed_member_missing_from_the_tar_raises_naming_it():
    with pytest.raises(ShardCountChanged, match=r"s\.tar: .* names member 'b'"):
        list(in_listed_order(Tracked(["a", "c"]), ["a", "b", "c"], "s.tar"))


def test_a_member_twice_raises():
    with pytest.raises(ShardCountChanged, match="twice"):
        list(in_listed_order(Tracked(["a", "a"]), ["a", "b"], "s.tar"))
