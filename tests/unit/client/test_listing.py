"""Decoding list-objects pages in both encodings."""

from __future__ import annotations

import json

import msgpack

from aisref.client import ListPage, ObjectEntry
from aisref.client.listing import decode_page


def test_msgpack_page_decodes_names_sizes_flags_and_token() -> None:
    body = msgpack.packb(
        {
            "UUID": "u1",
            "ContinuationToken": "b",
            "Entries": [{"n": "a", "s": 10, "f": 64}, {"n": "b", "s": 0, "f": 64}],
            "Flags": 0,
        }
    )
    page = decode_page(body, "application/msgpack")
    assert page == ListPage(
        (ObjectEntry("a", 10, 64), ObjectEntry("b", 0, 64)), continuation_token="b", uuid="u1"
    )


def test_msgpack_entry_without_size_has_size_none() -> None:
    body = msgpack.packb({"Entries": [{"n": "a"}]})
    assert decode_page(body, "application/msgpack").entries == (ObjectEntry("a", None, 0),)


def test_json_page_sizes_are_decimal_strings() -> None:
    body = json.dumps(
        {"uuid": "u", "continuation_token": "", "entries": [{"name": "x", "size": "42"}]}
    ).encode()
    page = decode_page(body, "application/json")
    assert page.entries == (ObjectEntry("x", 42, 0),)
    assert page.continuation_token == ""


def test_json_page_with_null_entries_is_empty() -> None:
    body = b'{"uuid":"u","continuation_token":"","entries":null,"flags":0}'
    assert decode_page(body, "application/json; charset=utf-8").entries == ()
