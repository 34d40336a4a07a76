"""Streaming tar parsing: members and webdataset-style samples from a file-like, one pass.

Memory is bounded by the largest member (plus one 512-byte header), never by the shard: the
stream is read strictly forwards and each member's bytes are released once yielded.

What is accepted is what :mod:`tarfile` (``mode="r:"``, as the official reader opens shards)
accepts, with the same member names and bytes: POSIX ustar (with its name prefix), GNU long
names (``L``), pax extended headers (``x``/``X``: ``path``, ``size``; records after the last
well-formed one are ignored, as tarfile does), pax global headers without ``path``/``size``
(e.g. ``git archive``'s), base-256 numbers, archives that end with one zero block, with two,
with garbage after them, or with none at all (the stream simply ends after a member).

Every malformed input raises :class:`~aisref.client.ShardFormatError` (a
:class:`tarfile.TarError`) naming the shard and the byte offset. That includes the cases where
``tarfile`` stops *silently* with fewer members than the archive holds: a header cut short or
with a bad checksum after the first member, garbage where a header should be, and a pax
``size`` that is not an integer (tarfile reads it as 0 and then parses the member's data as
headers). Silently losing the rest of a shard would hide a broken upload from training, so
these raise instead. GNU sparse members (which tarfile expands) raise as unsupported; they
do not occur in webdataset shards.

Only regular files are yielded; directories, links and other entries are skipped, as the
official reader skips everything that is not ``TarInfo.isfile()``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from aisref.client.errors import ShardFormatError
from aisref.client.stage_clock import STAGE_CLOCK, TAR_PARSE

BLOCK_SIZE = 512  # bytes
_ZERO_BLOCK = bytes(BLOCK_SIZE)
_REGULAR_TYPES = frozenset({b"0", b"\0", b"7"})
# Links, devices, directories, FIFOs: POSIX stores no data after them, whatever their size
# field says (tarfile agrees). Other unknown types are skipped over their data.
_NO_DATA_TYPES = frozenset({b"1", b"2", b"3", b"4", b"5", b"6"})
_AREGTYPE, _DIRTYPE = b"\0", b"5"
_PAX_TYPES = frozenset({b"x", b"X"})  # "X": Solaris' pax header, read as tarfile does
_PAX_GLOBAL, _GNU_LONGNAME, _GNU_LONGLINK, _GNU_SPARSE = b"g", b"L", b"K", b"S"
_GNU_TYPES = frozenset({_GNU_LONGNAME, _GNU_LONGLINK, _GNU_SPARSE})  # no ustar name prefix
_EXTENDED_TYPES = _PAX_TYPES | {_PAX_GLOBAL, _GNU_LONGNAME, _GNU_LONGLINK}  # describe the next
# Header fields tarfile parses as numbers; a header with any of them unreadable is invalid.
_NUMBER_FIELDS = {
    "mode": slice(100, 108),
    "uid": slice(108, 116),
    "gid": slice(116, 124),
    "size": slice(124, 136),
    "mtime": slice(136, 148),
    "devmajor": slice(329, 337),
    "devminor": slice(337, 345),
}
_PAX_RECORD = re.compile(rb"(\d+) ([^=]+)=")
# webdataset's default skip_meta: members like "__index__" carry shard metadata, not samples.
_META_MEMBER = re.compile(r"__[^/]*__($|/)")
_MAX_META_SIZE = 1 << 20  # bytes; a longer pax/GNU name record is a corrupt header
_CUT = "the object is not a complete tar archive - re-upload the shard"
_CORRUPT = "the shard is corrupt or not a tar archive - re-create it"


class ReadableStream(Protocol):
    """The one method we need from a file-like (a socket body, ``BytesIO``, ``raw()``)."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class TarMember:
    """One regular file from a tar: its path inside the archive and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class _Header:
    offset: int  # bytes; where this entry's first header (extended or not) starts
    name: str
    size: int  # bytes of entry data that follow the header
    typeflag: bytes


class _BadHeader(ValueError):
    """A header block that tarfile would call invalid; the reader adds shard and offset."""


def _read_exact(stream: ReadableStream | BinaryIO, size: int) -> bytes:
    """Read exactly ``size`` bytes unless the stream ends first (then fewer)."""
    first = stream.read(size)
    if len(first) == size or not first:
        return first
    parts = [first]
    got = len(first)
    while got < size:
        part = stream.read(size - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _number(field: bytes, what: str) -> int:
    """A numeric header field, read exactly as tarfile's ``nti`` reads it."""
    if field[0] in (0o200, 0o377):  # GNU base-256 for values that do not fit in octal
        value = int.from_bytes(field[1:], "big")
        return value - 256 ** (len(field) - 1) if field[0] == 0o377 else value
    try:
        return int(field.split(b"\0", 1)[0].decode("ascii").strip() or "0", 8)
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        raise _BadHeader(f"unreadable {what} field {field!r}") from exc


def _checksums(block: bytes) -> tuple[int, int]:
    """The header sum with the checksum field as spaces, unsigned and signed (old tars)."""
    unsigned = sum(block[:148]) + 8 * 0x20 + sum(block[156:])
    high = sum(1 for b in block[:148] if b > 0x7F) + sum(1 for b in block[156:] if b > 0x7F)
    return unsigned, unsigned - 256 * high


def _cstring(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _parse_header(block: bytes, offset: int) -> _Header:
    """One non-zero 512-byte header block, validated as tarfile validates it."""
    if _number(block[148:156], "checksum") not in _checksums(block):
        raise _BadHeader("header checksum mismatch")
    numbers = {what: _number(block[where], what) for what, where in _NUMBER_FIELDS.items()}
    typeflag = block[156:157]
    name = _cstring(block[0:100])
    if typeflag == _AREGTYPE and name.endswith("/"):  # old tars mark directories so
        typeflag = _DIRTYPE
    prefix = _cstring(block[345:500])
    if prefix and typeflag not in _GNU_TYPES:
        name = f"{prefix}/{name}"
    return _Header(offset=offset, name=name, size=numbers["size"], typeflag=typeflag)


def _parse_pax(data: bytes) -> dict[str, str]:
    """Records ``"<len> <key>=<value>\\n"``, up to the first one that does not parse (as
    tarfile does: what follows is ignored)."""
    records: dict[str, str] = {}
    pos = 0
    while match := _PAX_RECORD.match(data, pos):
        length = int(match.group(1))
        if length == 0:
            raise _BadHeader("pax record of length 0")
        value = data[match.end(2) + 1 : match.start(1) + length - 1]
        records[match.group(2).decode("utf-8", "surrogateescape")] = value.decode(
            "utf-8", "surrogateescape"
        )
        pos += length
    return records


class TarStreamReader:
    """Iterate the regular files of one tar stream, validating as it goes.

    Args:
        stream: file-like positioned at the start of the archive; only ``read`` is used.
        shard: label used in errors, e.g. ``"ais://bucket/shard-0001.tar"``.
        staged: count each member's parsing as the stage clock's ``tar_parse``. False when
            the caller counts a coarser step instead (:func:`iter_staged_samples`: a sample).
    """

    def __init__(self, stream: ReadableStream | BinaryIO, shard: str, staged: bool = True) -> None:
        self._stream = stream
        self._shard = shard
        self._offset = 0  # bytes consumed so far
        self._staged = staged

    def _error(
        self, what: str, offset: int, fix: str, member: str | None = None
    ) -> ShardFormatError:
        where = f" (member {member!r})" if member else ""
        return ShardFormatError(
            f"shard {self._shard}{where}: {what} at byte offset {offset}; {fix}"
        )

    def _read(self, size: int, member: str | None, what: str) -> bytes:
        data = _read_exact(self._stream, size)
        self._offset += len(data)
        if len(data) < size:
            raise self._error(
                f"truncated {what}: got {len(data)} of {size} bytes", self._offset, _CUT, member
            )
        return data

    def _read_entry_data(self, size: int, member: str | None, what: str) -> bytes:
        """``size`` bytes of entry data and the padding to the next 512-byte boundary."""
        data = self._read(size, member, what)
        if pad := -size % BLOCK_SIZE:
            self._read(pad, member, "padding")
        return data

    def _next_block(self, extended: bool) -> bytes | None:
        """The next header block; ``None`` where the archive ends."""
        start = self._offset
        block = _read_exact(self._stream, BLOCK_SIZE)
        self._offset += len(block)
        if len(block) == BLOCK_SIZE and block != _ZERO_BLOCK:
            return block
        if extended:  # tarfile: "SubsequentHeaderError"
            raise self._error("archive ends right after an extended header", start, _CUT)
        if start == 0 and len(block) < BLOCK_SIZE:
            what = f"object of {len(block)} bytes is shorter than one tar header"
            raise self._error("empty object" if not block else what, start, _CUT)
        if block.count(0) < len(block):  # a header cut short: a member was lost
            raise self._error(
                f"truncated header: got {len(block)} of {BLOCK_SIZE} bytes", start, _CUT
            )
        # A zero block, a zero block cut short, or nothing at all after a complete member:
        # the end of the archive (tarfile also accepts the last two, which writers omit).
        return None

    def _next_header(self) -> _Header | None:
        """The next entry's header, with pax/GNU name records folded in; ``None`` at the end."""
        long_name: str | None = None
        pax: dict[str, str] = {}
        entry_offset = self._offset
        extended = False  # an extended header was read: a real header must follow
        while (block := self._next_block(extended)) is not None:
            offset = self._offset - BLOCK_SIZE
            try:
                header = _parse_header(block, offset)
            except _BadHeader as exc:
                raise self._error(str(exc), offset, _CORRUPT) from exc
            if header.typeflag not in _EXTENDED_TYPES:
                if header.typeflag == _GNU_SPARSE:
                    raise self._error(
                        "GNU sparse member (not supported)",
                        offset,
                        "re-create the shard without --sparse",
                        header.name,
                    )
                return self._complete(header, entry_offset, long_name, pax)
            data = self._extended_data(header)
            if header.typeflag == _GNU_LONGNAME:
                long_name = _cstring(data)
            elif header.typeflag in _PAX_TYPES:
                pax.update(self._pax_records(data, header))
            elif header.typeflag == _PAX_GLOBAL:
                self._check_global_pax(self._pax_records(data, header), header)
            extended = True
        return None

    def _extended_data(self, header: _Header) -> bytes:
        if not 0 <= header.size <= _MAX_META_SIZE:
            raise self._error(
                f"extended header of {header.size} bytes", header.offset, _CORRUPT, header.name
            )
        return self._read_entry_data(header.size, header.name, "extended header")

    def _pax_records(self, data: bytes, header: _Header) -> dict[str, str]:
        try:
            return _parse_pax(data)
        except _BadHeader as exc:
            raise self._error(f"corrupt pax header: {exc}", header.offset, _CORRUPT) from exc

    def _check_global_pax(self, records: dict[str, str], header: _Header) -> None:
        for key in ("path", "size"):
            if key in records:
                raise self._error(
                    f"global pax header sets {key!r} for every later member (not supported)",
                    header.offset,
                    "re-create the shard without a global path/size",
                )

    def _complete(
        self, header: _Header, offset: int, long_name: str | None, pax: dict[str, str]
    ) -> _Header:
        name = header.name if long_name is None else long_name
        if "path" in pax:
            name = pax["path"].rstrip("/")
        size = header.size
        if "size" in pax:
            try:
                size = int(pax["size"])
            except ValueError as exc:  # tarfile reads it as 0, and then the data as headers
                what = f"pax size {pax['size']!r} is not an integer"
                raise self._error(what, offset, _CORRUPT, name) from exc
        if size < 0:
            raise self._error(f"negative size {size}", offset, _CORRUPT, name)
        return _Header(offset=offset, name=name, size=size, typeflag=header.typeflag)

    def __iter__(self) -> Iterator[TarMember]:
        clock = STAGE_CLOCK
        while True:
            # One stage per member, not per block: the clock stays out of the 512-byte loop,
            # and off it costs one check here.
            if self._staged and clock.on:
                previous = clock.enter(TAR_PARSE)
                try:
                    member = self._next_member()
                finally:
                    clock.leave(previous)
            else:
                member = self._next_member()
            if member is None:
                return
            yield member

    def _next_member(self) -> TarMember | None:
        while (header := self._next_header()) is not None:
            if header.typeflag in _REGULAR_TYPES:
                data = self._read_entry_data(header.size, header.name, "member data")
                return TarMember(header.name, data)
            if header.typeflag not in _NO_DATA_TYPES:  # e.g. GNU dumpdirs: skip their data
                self._read_entry_data(header.size, header.name, "entry data")
        return None


def iter_tar_members(stream: ReadableStream | BinaryIO, shard: str) -> Iterator[TarMember]:
    """Yield every regular file of the tar read from ``stream``, in archive order."""
    return iter(TarStreamReader(stream, shard))


def iter_staged_samples(
    stream: ReadableStream | BinaryIO, shard: str
) -> Iterator[tuple[str, dict[str, bytes]]]:
    """:func:`iter_samples` of the tar read from ``stream``, its parsing counted as the stage
    clock's ``tar_parse`` once per sample rather than per member (half the boundaries for
    two-member samples: the clock's cost is per boundary)."""
    samples = iter_samples(TarStreamReader(stream, shard, staged=False), shard)
    while True:
        previous = STAGE_CLOCK.enter(TAR_PARSE)
        try:
            sample = next(samples, None)
        finally:
            STAGE_CLOCK.leave(previous)
        if sample is None:
            return
        yield sample


def split_sample_key(member_name: str) -> tuple[str, str] | None:
    """Split a member path into ``(sample key, extension)`` the way webdataset does.

    The key is the path up to the first dot of the file name; the extension is the rest
    (``"a/b.seg.png"`` → ``("a/b", "seg.png")``). Names without a dot in the file name
    have no extension and belong to no sample (``None``).
    """
    directory, slash, file_name = member_name.rpartition("/")
    stem, dot, extension = file_name.partition(".")
    if not dot or not stem:
        return None
    return f"{directory}{slash}{stem}", extension


def is_meta_member(member_name: str) -> bool:
    """Shard metadata such as ``__index__`` that webdataset skips; not part of any sample."""
    return _META_MEMBER.match(member_name) is not None


def iter_samples(
    members: Iterable[TarMember], shard: str
) -> Iterator[tuple[str, dict[str, bytes]]]:
    """Group consecutive members with the same key into ``(key, {extension: bytes})``.

    As in webdataset, only *consecutive* members are grouped (a key that reappears later
    starts a new sample), which keeps memory bounded by one sample. Members without an
    extension and metadata members are skipped. A repeated extension within a sample is a
    :class:`~aisref.client.ShardFormatError`.
    """
    key: str | None = None
    fields: dict[str, bytes] = {}
    for member in members:
        if is_meta_member(member.name):
            continue
        split = split_sample_key(member.name)
        if split is None:
            continue
        member_key, extension = split
        if member_key != key:
            if key is not None:
                yield key, fields
            key, fields = member_key, {}
        if extension in fields:
            raise ShardFormatError(
                f"shard {shard} (member {member.name!r}): sample {member_key!r} has two "
                f"members with extension {extension!r}; names within a sample must be unique"
            )
        fields[extension] = member.data
    if key is not None:
        yield key, fields
