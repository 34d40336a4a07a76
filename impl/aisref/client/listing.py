"""Decoding one page of AIStore's object listing (msgpack or JSON) into plain values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgpack

# List-objects request flags (apc.Ls*), sent as a decimal string.
LS_ARCH_DIR = 1 << 3  # also list the members of archives (tar shards)
LS_NAME_ONLY = 1 << 4
LS_NAME_SIZE = 1 << 5

# Per-entry flags (apc.Entry*).
ENTRY_IS_ARCH_MEMBER = 1 << 7  # entry is a file inside an archive: "<shard>/<member>"
ENTRY_IS_ARCHIVE = 1 << 9  # entry is an archive whose members were listed

MAX_PAGE_SIZE = 10_000  # entries; the server's cap per page

MSGPACK_MIME = "application/msgpack"


@dataclass(frozen=True, slots=True)
class ObjectEntry:
    """One listed object: name, size in bytes (None when not requested), entry flags."""

    name: str
    size: int | None
    flags: int = 0


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of a listing. ``continuation_token == ""`` means it is the last page."""

    entries: tuple[ObjectEntry, ...]
    continuation_token: str = ""
    uuid: str = ""
    flags: int = 0


def decode_page(body: bytes, content_type: str) -> ListPage:
    """Decode a list-objects reply body by its ``Content-Type`` (msgpack, else JSON)."""
    if MSGPACK_MIME in content_type.lower():
        return decode_msgpack_page(body)
    return decode_json_page(body)


def decode_msgpack_page(body: bytes) -> ListPage:
    """Decode the msgpack form: keys UUID/ContinuationToken/Entries/Flags, entries n/s/f."""
    raw = msgpack.unpackb(body, raw=False, strict_map_key=False)
    if not isinstance(raw, dict):
        raise ValueError(f"list-objects msgpack reply is a {type(raw).__name__}, not a map")
    entries = tuple(
        ObjectEntry(e["n"], _size(e.get("s")), int(e.get("f") or 0))
        for e in raw.get("Entries") or ()
    )
    return ListPage(
        entries,
        str(raw.get("ContinuationToken") or ""),
        str(raw.get("UUID") or ""),
        int(raw.get("Flags") or 0),
    )


def decode_json_page(body: bytes | str) -> ListPage:
    """Decode the JSON form: ``{"uuid","continuation_token","entries":[...]|null,"flags"}``.

    JSON carries ``size`` as a decimal string.
    """
    raw = json.loads(body)
    if not isinstance(raw, dict):
        raise ValueError(f"list-objects JSON reply is a {type(raw).__name__}, not an object")
    entries = tuple(
        ObjectEntry(e["name"], _size(e.get("size")), int(e.get("flags") or 0))
        for e in raw.get("entries") or ()
    )
    return ListPage(
        entries,
        str(raw.get("continuation_token") or ""),
        str(raw.get("uuid") or ""),
        int(raw.get("flags") or 0),
    )


def _size(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)
