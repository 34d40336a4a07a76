"""Micro-benchmarks: decoding one list-objects page (10,000 entries, the server's maximum)."""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest

from aisref.client.listing import decode_json_page, decode_msgpack_page

pytestmark = pytest.mark.benchmark

PAGE_ENTRIES = 10_000  # entries; AIStore's largest page


def synthetic_entries() -> list[dict[str, Any]]:
    """Entries as aisnode sends them for props "name,size": name, size, flags."""
    return [
        {"n": f"train/shard-{i // 100:05d}/sample-{i:08d}.jpg", "s": 100_000 + i, "f": 64}
        for i in range(PAGE_ENTRIES)
    ]


@pytest.fixture(scope="module")
def msgpack_page() -> bytes:
    page = {"UUID": "u", "ContinuationToken": "t", "Entries": synthetic_entries(), "Flags": 0}
    body = msgpack.packb(page)
    assert isinstance(body, bytes)
    return body


@pytest.fixture(scope="module")
def json_page() -> bytes:
    entries = [{"name": e["n"], "size": str(e["s"]), "flags": e["f"]} for e in synthetic_entries()]
    page = {"uuid": "u", "continuation_token": "t", "entries": entries, "flags": 0}
    return json.dumps(page).encode()


def test_decode_msgpack_page(benchmark: Any, msgpack_page: bytes) -> None:
    page = benchmark(decode_msgpack_page, msgpack_page)
    assert len(page.entries) == PAGE_ENTRIES


def test_decode_json_page(benchmark: Any, json_page: bytes) -> None:
    page = benchmark(decode_json_page, json_page)
    assert len(page.entries) == PAGE_ENTRIES
