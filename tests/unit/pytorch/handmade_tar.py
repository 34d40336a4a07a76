"""Tar archives built block by block, including the malformed ones writers never produce.

``tarfile`` can only write well-formed archives; these builders set every header field by
hand so tests can cut, corrupt or bend one thing at a time.
"""

from __future__ import annotations

BLOCK = 512
END = bytes(2 * BLOCK)  # the end-of-archive marker: two zero blocks


def _octal(value: int, width: int) -> bytes:
    return f"{value:0{width - 1}o}".encode() + b"\0"


def header(
    name: str | bytes,
    size: int = 0,
    typeflag: bytes = b"0",
    *,
    prefix: str = "",
    size_field: bytes | None = None,
    mtime_field: bytes | None = None,
    checksum_delta: int = 0,
    extra: dict[int, bytes] | None = None,
) -> bytes:
    """One ustar header block; ``*_field`` replace a field's bytes verbatim, ``extra`` writes
    bytes at given offsets (before the checksum), ``checksum_delta`` corrupts the checksum."""
    raw_name = name.encode() if isinstance(name, str) else name
    block = bytearray(BLOCK)
    block[0 : len(raw_name)] = raw_name
    block[100:108] = _octal(0o644, 8)
    block[108:116] = _octal(0, 8)
    block[116:124] = _octal(0, 8)
    block[124:136] = size_field if size_field is not None else _octal(size, 12)
    block[136:148] = mtime_field if mtime_field is not None else _octal(0, 12)
    block[156:157] = typeflag
    block[257:265] = b"ustar\x0000"
    block[345 : 345 + len(prefix)] = prefix.encode()
    for at, data in (extra or {}).items():
        block[at : at + len(data)] = data
    block[148:156] = b" " * 8
    block[148:156] = f"{sum(block) + checksum_delta:06o}".encode() + b"\0 "
    return bytes(block)


def padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % BLOCK)


def member(name: str | bytes, data: bytes, typeflag: bytes = b"0", prefix: str = "") -> bytes:
    """A header and its data, padded to the block size."""
    return header(name, len(data), typeflag, prefix=prefix) + padded(data)


def pax_record(key: str, value: str | bytes) -> bytes:
    body = f" {key}=".encode() + (value.encode() if isinstance(value, str) else value) + b"\n"
    length = len(body) + 1
    while len(str(length)) + len(body) != length:
        length += 1
    return str(length).encode() + body


def pax(records: dict[str, str], typeflag: bytes = b"x", raw: bytes = b"") -> bytes:
    """A pax extended (``x``) or global (``g``) header with its records (and ``raw`` after)."""
    data = b"".join(pax_record(k, v) for k, v in records.items()) + raw
    return member("PaxHeader", data, typeflag)


def gnu_long_name(name: str) -> bytes:
    return member("././@LongLink", name.encode() + b"\0", b"L")
