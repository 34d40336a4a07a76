"""Streaming tar parsing: members and webdataset-style samples from a file-like, one pass.

Memory is bounded by the largest member (plus one 512-byte header), never by the shard: the
stream is read strictly forwards and each member's bytes are released once yielded.

We parse the tar format ourselves rather than use :mod:`tarfile` in stream mode, because
``tarfile`` ends silently on many truncated archives (a cut at a header boundary, or inside a
header after the first member); here an archive that ends before its end-of-archive block, or
whose header checksum is wrong, raises :class:`~aisref.client.ShardFormatError` naming the shard
and, where known, the member.

Supported: POSIX ustar (with its name prefix), GNU long names (``L``), pax extended headers
(``x``: ``path`` and ``size``), base-256 sizes. Only regular files are yielded; directories,
links and other entries are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from aisref.client import ShardFormatError

BLOCK_SIZE = 512  # bytes
_REGULAR_TYPES = frozenset({b"0", b"\0", b"7"})
_PAX_HEADER, _PAX_GLOBAL, _GNU_LONGNAME, _GNU_LONGLINK = b"x", b"g", b"L", b"K"
# webdataset's default skip_meta: members like "__index__" carry shard metadata, not samples.
_META_MEMBER = re.compile(r"__[^/]*__($|/)")
_MAX_META_SIZE = 1 << 20  # bytes; a longer pax/GNU name record is a corrupt header


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
    name: str
    size: int  # bytes of member data that follow the header
    typeflag: bytes


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


def _octal(field: bytes) -> int:
    if field and field[0] & 0x80:  # GNU base-256 for values that do not fit in octal
        value = int.from_bytes(field[1:], "big")
        return -value if field[0] == 0xFF else value
    text = field.split(b"\0", 1)[0].strip(b" \0")
    return int(text, 8) if text else 0


def _checksum_ok(block: bytes) -> bool:
    try:
        stored = _octal(block[148:156])
    except ValueError:
        return False
    unsigned = sum(block[:148]) + 8 * 0x20 + sum(block[156:])
    high = sum(1 for b in block[:148] if b > 0x7F) + sum(1 for b in block[156:] if b > 0x7F)
    signed = unsigned - 256 * high  # some old tars sum the bytes as signed chars
    return stored in (unsigned, signed)


def _cstring(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _parse_pax(data: bytes) -> dict[str, str]:
    """Records of the form ``"<len> <key>=<value>\\n"``."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.index(b" ", pos)
        length = int(data[pos:space])
        if length <= 0:
            raise ValueError(f"pax record length {length}")
        key, _, value = data[space + 1 : pos + length - 1].partition(b"=")
        records[key.decode("utf-8")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return records


class TarStreamReader:
    """Iterate the regular files of one tar stream, validating as it goes.

    Args:
        stream: file-like positioned at the start of the archive; only ``read`` is used.
        shard: label used in errors, e.g. ``"ais://bucket/shard-0001.tar"``.
    """

    def __init__(self, stream: ReadableStream | BinaryIO, shard: str) -> None:
        self._stream = stream
        self._shard = shard
        self._offset = 0  # bytes consumed so far, for error messages

    def _error(self, what: str, member: str | None = None) -> ShardFormatError:
        where = f" (member {member!r})" if member else ""
        return ShardFormatError(
            f"shard {self._shard}{where}: {what} at byte offset {self._offset}; "
            "the object is not a complete tar archive - re-upload the shard"
        )

    def _read(self, size: int, member: str | None, what: str) -> bytes:
        data = _read_exact(self._stream, size)
        if len(data) < size:
            self._offset += len(data)
            raise self._error(f"truncated {what}: got {len(data)} of {size} bytes", member)
        self._offset += size
        return data

    def _skip_padding(self, size: int, member: str | None) -> None:
        pad = -size % BLOCK_SIZE
        if pad:
            self._read(pad, member, "padding")

    def _next_header(self) -> _Header | None:
        """The next header, folding pax/GNU name records into it; ``None`` at end of archive."""
        long_name: str | None = None
        pax: dict[str, str] = {}
        while True:
            block = _read_exact(self._stream, BLOCK_SIZE)
            if len(block) < BLOCK_SIZE:
                self._offset += len(block)
                if not block and self._offset == 0:
                    raise self._error("empty object")
                raise self._error("archive ends without its end-of-archive block")
            if block == bytes(BLOCK_SIZE):
                self._offset += BLOCK_SIZE
                return None
            if not _checksum_ok(block):
                raise self._error("header checksum mismatch (corrupt or not a tar)")
            self._offset += BLOCK_SIZE
            try:
                size = _octal(block[124:136])
            except ValueError as exc:
                raise self._error(f"unreadable size field {block[124:136]!r}") from exc
            typeflag = block[156:157]
            name = _cstring(block[0:100])
            if block[257:265] == b"ustar\x0000" and block[345] != 0:
                name = f"{_cstring(block[345:500])}/{name}"
            if typeflag in (_PAX_HEADER, _PAX_GLOBAL, _GNU_LONGNAME, _GNU_LONGLINK):
                if not 0 <= size <= _MAX_META_SIZE:
                    raise self._error(f"extended header of {size} bytes", name)
                data = self._read(size, name, "extended header")
                self._skip_padding(size, name)
                if typeflag == _GNU_LONGNAME:
                    long_name = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
                elif typeflag == _PAX_HEADER:
                    try:
                        pax = _parse_pax(data)
                    except ValueError as exc:
                        raise self._error(f"corrupt pax header: {exc}", name) from exc
                continue
            name = pax.get("path", long_name if long_name is not None else name)
            if "size" in pax:
                size = int(pax["size"])
            if size < 0:
                raise self._error(f"negative size {size}", name)
            return _Header(name=name, size=size, typeflag=typeflag)

    def __iter__(self) -> Iterator[TarMember]:
        while (header := self._next_header()) is not None:
            if header.typeflag in _REGULAR_TYPES:
                data = self._read(header.size, header.name, "member data")
                self._skip_padding(header.size, header.name)
                yield TarMember(header.name, data)
            else:  # directories, links, devices: skip whatever data they carry
                self._read(header.size, header.name, "entry data")
                self._skip_padding(header.size, header.name)


def iter_tar_members(stream: ReadableStream | BinaryIO, shard: str) -> Iterator[TarMember]:
    """Yield every regular file of the tar read from ``stream``, in archive order."""
    return iter(TarStreamReader(stream, shard))


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
