"""Real-cluster fixtures for the aisref.client integration tests (test_client_*.py).

Import the fixture names used into a test module. Buckets are named ``client-test-...`` and
deleted afterwards.
"""

from __future__ import annotations

import io
import random
import tarfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from aisref.client import Bucket, Client

# Names the server must see exactly: spaces, percent, query/fragment marks, unicode, paths.
ODD_NAMES = (
    "with space.bin",
    "100%.bin",
    "%41%42.bin",
    "what?.bin",
    "tag#1.bin",
    "ünïcødé-文件.bin",
    "deep/dir/path.bin",
    "plus+sign&amp=1.bin",
)
N_OBJECTS = 200
SHARD_MEMBERS = {"s0/a.jpg": b"jpeg" * 100, "s0/a.cls": b"7", "s1/b.jpg": b"J" * 3000, "x.txt": b""}


@dataclass(frozen=True)
class PopulatedBucket:
    """A bucket of ``N_OBJECTS`` objects; ``contents`` is exactly what was PUT."""

    bucket: Bucket
    contents: dict[str, bytes]


def make_tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture(scope="session")
def client(ais_endpoint: str) -> Client:
    return Client(ais_endpoint)


@pytest.fixture(scope="session")
def populated_bucket(client: Client) -> Iterator[PopulatedBucket]:
    """200 objects: the odd names plus ``obj-NNNN.bin`` under two prefixes, 0-3000 bytes."""
    rng = random.Random(11)
    bucket = client.bucket(f"client-test-pop-{uuid.uuid4().hex[:8]}").create()
    names = list(ODD_NAMES)
    names += [f"{('a/', 'b/')[i % 2]}obj-{i:04d}.bin" for i in range(N_OBJECTS - len(names))]
    contents = {name: rng.randbytes(rng.randrange(0, 3000)) for name in names}
    try:
        for name, data in contents.items():
            bucket.put_object(name, data)
        yield PopulatedBucket(bucket, contents)
    finally:
        bucket.delete(missing_ok=True)


@pytest.fixture
def scratch_bucket(client: Client) -> Iterator[Bucket]:
    """An empty bucket for one test."""
    bucket = client.bucket(f"client-test-{uuid.uuid4().hex[:10]}").create()
    try:
        yield bucket
    finally:
        bucket.delete(missing_ok=True)
