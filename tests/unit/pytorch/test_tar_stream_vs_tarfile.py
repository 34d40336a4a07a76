"""The streaming tar parser against Python's tarfile, over hand-made archives.

Each archive is read by ``tarfile.open(mode="r:")`` exactly as the official reader reads a
shard (regular files only) and by ``iter_tar_members``. Four outcomes, each checked on both
sides, so a row cannot claim something tarfile does not do:

- ACCEPTED: both read it, with the same member names and bytes (also stated in the row);
- REJECTED: tarfile raises ``TarError``; we raise ``ShardFormatError`` at the row's offset;
- TARFILE_STOPS_SILENTLY: tarfile returns *without an error* what the row says, stopping at
  non-zero bytes it could not read (or reading a member as empty); we raise at the row's
  offset instead of handing training a shard with members silently missing;
- UNSUPPORTED: tarfile reads it; we refuse it loudly (never silently) at the row's offset.
"""

from __future__ import annotations

import io
import re
import tarfile
from dataclasses import dataclass

import pytest

from aisref.client import ShardFormatError
from aisref.pytorch.tar_stream import iter_tar_members
from tests.unit.pytorch.handmade_tar import (
    BLOCK,
    END,
    gnu_long_name,
    header,
    member,
    padded,
    pax,
)

SHARD = "ais://bck/odd shard.tar"
A = member("a.jpg", b"A" * 700)  # 3 blocks
B = member("b.cls", b"7")  # 2 blocks
AFTER_A = 3 * BLOCK
BAD_MTIME = b"zzzz".ljust(12, b"\0")
# Old-GNU sparse: 3 stored bytes at offset 5 of a 10-byte file.
SPARSE_MAP = b"00000000005\0" + b"00000000003\0"  # (offset, bytes stored), octal
SPARSE = header("sp.bin", 3, b"S", extra={386: SPARSE_MAP, 483: b"00000000012\0"})

Members = list[tuple[str, bytes]]


@dataclass(frozen=True)
class Accepted:
    members: Members


@dataclass(frozen=True)
class Rejected:
    offset: int  # bytes; where we report the problem


@dataclass(frozen=True)
class TarfileStopsSilently:
    offset: int  # where tarfile stops reading without a word
    tarfile_reads: Members


@dataclass(frozen=True)
class Unsupported:
    offset: int


A_ONLY = [("a.jpg", b"A" * 700)]
AB = [*A_ONLY, ("b.cls", b"7")]
CASES: dict[str, tuple[bytes, object]] = {
    "two members and the end-of-archive blocks": (A + B + END, Accepted(AB)),
    "zero-length members": (
        member("e.txt", b"") + member("f.txt", b"") + END,
        Accepted([("e.txt", b""), ("f.txt", b"")]),
    ),
    "no end-of-archive blocks": (A + B, Accepted(AB)),
    "one zero block instead of two": (A + B + bytes(BLOCK), Accepted(AB)),
    "a zero block cut short": (A + B + bytes(100), Accepted(AB)),
    "trailing garbage after the end-of-archive blocks": (
        A + B + END + b"junk" * 300,
        Accepted(AB),
    ),
    "only the end-of-archive blocks": (END, Accepted([])),
    "GNU long name": (
        gnu_long_name("L" * 200 + ".txt") + A + END,
        Accepted([("L" * 200 + ".txt", b"A" * 700)]),
    ),
    "pax path": (
        pax({"path": "P" * 150 + ".txt"}) + A + END,
        Accepted([("P" * 150 + ".txt", b"A" * 700)]),
    ),
    "pax size overriding the header's": (
        pax({"size": "5"}) + header("x.bin", 0) + padded(b"12345") + END,
        Accepted([("x.bin", b"12345")]),
    ),
    "pax records followed by junk (ignored)": (
        pax({"path": "q.txt"}, raw=b"junk\n") + A + END,
        Accepted([("q.txt", b"A" * 700)]),
    ),
    "pax global header with a comment (git archive)": (
        pax({"comment": "6f2c"}, b"g") + A + END,
        Accepted([("a.jpg", b"A" * 700)]),
    ),
    "ustar name prefix": (
        member("n.txt", b"x", prefix="pre/fix") + END,
        Accepted([("pre/fix/n.txt", b"x")]),
    ),
    "base-256 size": (
        header("big.bin", size_field=b"\x80" + (5).to_bytes(11, "big")) + padded(b"12345") + END,
        Accepted([("big.bin", b"12345")]),
    ),
    "name that is not UTF-8": (
        member(b"\xff\xfe.bin", b"x") + END,
        Accepted([("\udcff\udcfe.bin", b"x")]),
    ),
    "directory, symlink and V7 directory are not members": (
        member("d", b"", b"5") + member("l", b"", b"2") + member("v7/", b"", b"\0") + A + END,
        Accepted([("a.jpg", b"A" * 700)]),
    ),
    "directory with a non-zero size has no data blocks (POSIX)": (
        header("d", 2, b"5") + A + END,
        Accepted([("a.jpg", b"A" * 700)]),
    ),
    "unknown entry type is skipped over its data": (
        member("u.bin", b"data", b"Z") + A + END,
        Accepted([("a.jpg", b"A" * 700)]),
    ),
    "contiguous file (type 7)": (member("c.bin", b"cc", b"7") + END, Accepted([("c.bin", b"cc")])),
    "empty object": (b"", Rejected(0)),
    "object shorter than one header": (b"x" * 300, Rejected(0)),
    "bad checksum in the first header": (
        header("a.jpg", 1, checksum_delta=1) + padded(b"1") + END,
        Rejected(0),
    ),
    "unreadable number in the first header": (
        header("a.jpg", 1, mtime_field=BAD_MTIME) + padded(b"1") + END,
        Rejected(0),
    ),
    "pax record of length 0 in the first header": (
        pax({}, raw=b"0 path=x\n") + A + END,
        Rejected(0),
    ),
    "member data cut short": ((A + B)[:900], Rejected(900)),
    "last member's padding cut short": ((A + B)[:-100], Rejected(len(A + B) - 100)),
    "GNU long name and then the end": (
        A + gnu_long_name("x.txt") + END,
        Rejected(AFTER_A + 2 * BLOCK),
    ),
    "pax header and then the end": (A + pax({"path": "x"}) + END, Rejected(AFTER_A + 2 * BLOCK)),
    "header cut short after a member": (
        A + B[:300],
        TarfileStopsSilently(AFTER_A, A_ONLY),
    ),
    "bad checksum in a later header": (
        A + header("b.cls", 1, checksum_delta=1) + padded(b"7") + END,
        TarfileStopsSilently(AFTER_A, A_ONLY),
    ),
    "unreadable number in a later header": (
        A + header("b.cls", 1, mtime_field=BAD_MTIME) + padded(b"7") + END,
        TarfileStopsSilently(AFTER_A, A_ONLY),
    ),
    "garbage where a header should be": (
        A + b"\x01garbage" * 100,
        TarfileStopsSilently(AFTER_A, A_ONLY),
    ),
    "pax size that is not an integer": (
        A + pax({"size": "5x"}) + header("x.txt", 5) + padded(b"hello") + END,
        TarfileStopsSilently(AFTER_A, [*A_ONLY, ("x.txt", b"")]),  # "hello" lost
    ),
    "pax record of length 0 after a member": (
        A + pax({}, raw=b"0 path=x\n") + B + END,
        TarfileStopsSilently(AFTER_A, A_ONLY),
    ),
    "GNU sparse member": (SPARSE + padded(b"abc") + END, Unsupported(0)),
    "pax global header setting every later member's path": (
        pax({"path": "g.txt"}, b"g") + A + B + END,
        Unsupported(0),
    ),
}


def cases_of(kind: type) -> list[object]:
    return [
        pytest.param(data, outcome, id=name)
        for name, (data, outcome) in CASES.items()
        if isinstance(outcome, kind)
    ]


def read_with_tarfile(data: bytes) -> Members:
    """What the official reader takes from a shard: every regular file and its bytes."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        out = []
        for info in tar.getmembers():
            if info.isfile():
                extracted = tar.extractfile(info)
                assert extracted is not None
                out.append((info.name, extracted.read()))
        return out


class Trickle:
    """At most 7 bytes per read, as a slow socket gives them."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._inner.read(7 if size < 0 else min(size, 7))


@pytest.fixture(params=[io.BytesIO, Trickle], ids=["one read", "7-byte reads"])
def ours(request: pytest.FixtureRequest):
    def read(data: bytes) -> Members:
        return [(m.name, m.data) for m in iter_tar_members(request.param(data), SHARD)]

    return read


def raises_at(offset: int):
    return pytest.raises(
        ShardFormatError, match=rf"^shard {re.escape(SHARD)}\b.* at byte offset {offset};"
    )


@pytest.mark.parametrize(("data", "outcome"), cases_of(Accepted))
def test_what_tarfile_accepts_we_read_with_the_same_members_and_bytes(data, outcome, ours):
    assert read_with_tarfile(data) == outcome.members
    assert ours(data) == outcome.members


@pytest.mark.parametrize(("data", "outcome"), cases_of(Rejected))
def test_what_tarfile_rejects_raises_naming_shard_and_offset(data, outcome, ours):
    with pytest.raises(tarfile.TarError):
        read_with_tarfile(data)
    with raises_at(outcome.offset):
        ours(data)


@pytest.mark.parametrize(("data", "outcome"), cases_of(TarfileStopsSilently))
def test_where_tarfile_silently_loses_members_we_raise(data, outcome, ours):
    assert read_with_tarfile(data) == outcome.tarfile_reads  # no error ...
    assert any(data[outcome.offset :])  # ... though bytes that are not an ending follow
    with raises_at(outcome.offset):
        ours(data)


@pytest.mark.parametrize(("data", "outcome"), cases_of(Unsupported))
def test_entries_we_do_not_support_raise_instead_of_being_skipped(data, outcome, ours):
    assert read_with_tarfile(data)  # tarfile yields something we would otherwise drop
    with raises_at(outcome.offset):
        ours(data)


def test_the_table_covers_every_outcome():
    assert {type(outcome) for _, outcome in CASES.values()} == {
        Accepted,
        Rejected,
        TarfileStopsSilently,
        Unsupported,
    }


def test_shard_format_error_is_a_tar_error_for_code_written_for_the_official_reader():
    try:
        list(iter_tar_members(io.BytesIO(b"x" * 300), SHARD))
    except tarfile.TarError as err:  # what the official reader raises and users catch
        assert isinstance(err, ShardFormatError)
        assert SHARD in str(err)
    else:
        pytest.fail("no error for a 300-byte object")
