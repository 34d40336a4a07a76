"""Data for the aisref.pytorch integration tests: small buckets PUT once, deleted after.

Import the fixtures into a test module (``from tests.integration.pytorch_fixtures import *``
is avoided; import the names used). ``pt_endpoint`` uses the session's ``ais_endpoint``
fixture from tests/conftest.py, or $AIS_ENDPOINT / /tmp/aisbench-dev-endpoint when that
fixture cannot be used.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import random
import tarfile
import types
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aisref.client import Bucket, Client, RequestClient

DEV_ENDPOINT_FILE = Path("/tmp/aisbench-dev-endpoint")
N_OBJECTS = 60
N_SHARDS = 6
SAMPLES_PER_SHARD = 5
EXTENSIONS = ("jpg", "cls", "txt")
EMPTY_MEMBER = ("s02-01", "txt")  # (sample key, extension): a member of 0 bytes


@dataclass(frozen=True)
class ObjectsBucket:
    """A bucket of small objects: ``contents`` is exactly what was PUT."""

    endpoint: str
    name: str
    contents: dict[str, bytes]

    def bucket(self) -> Bucket:
        return Client(self.endpoint).bucket(self.name)


@dataclass(frozen=True)
class ShardsBucket:
    """A bucket of tar shards; ``samples`` maps (shard, sample key) to its members."""

    endpoint: str
    name: str
    shards: dict[str, bytes]
    samples: dict[tuple[str, str], dict[str, bytes]]

    def bucket(self) -> Bucket:
        return Client(self.endpoint).bucket(self.name)

    def sample_multiset(
        self, fill: Iterable[str] = EXTENSIONS
    ) -> Counter[tuple[str, tuple[tuple[str, bytes], ...]]]:
        """The samples with ``b""`` for each extension of ``fill`` they lack: with the
        default, what AISShardReader yields (ZeroDicts of every extension of the dataset);
        with ``fill=()``, exactly what the shards hold."""
        return sample_multiset(
            (key, {**dict.fromkeys(fill, b""), **fields})
            for (_, key), fields in self.samples.items()
        )

    def member_streams(self, prefix: str = "") -> list[bytes]:
        """Every member's bytes, shard by shard in name order, members in name order (the
        order of AIStore's archive listing, which AISMultiShardStream follows); only shards
        whose names start with ``prefix``."""
        out: list[bytes] = []
        for name in sorted(name for name in self.shards if name.startswith(prefix)):
            with tarfile.open(fileobj=io.BytesIO(self.shards[name])) as tar:
                for member in sorted(tar.getmembers(), key=lambda m: m.name.encode()):
                    extracted = tar.extractfile(member)
                    assert extracted is not None
                    out.append(extracted.read())
        return out


def sample_multiset(
    samples: Iterable[tuple[str, dict[str, bytes]]],
) -> Counter[tuple[str, tuple[tuple[str, bytes], ...]]]:
    """Samples as a comparable multiset, every field kept (``b""`` ones too: a ZeroDict's
    fill-ins, an empty member and a missing one must each be accounted for)."""
    return Counter((key, tuple(sorted(fields.items()))) for key, fields in samples)


def resolve_endpoint(request: pytest.FixtureRequest) -> str:
    try:
        return str(request.getfixturevalue("ais_endpoint"))
    except pytest.FixtureLookupError:
        pass
    endpoint = os.environ.get("AIS_ENDPOINT") or (
        DEV_ENDPOINT_FILE.read_text().strip() if DEV_ENDPOINT_FILE.exists() else ""
    )
    if not endpoint:
        pytest.fail("no AIStore endpoint: no ais_endpoint fixture, AIS_ENDPOINT or dev file")
    return endpoint.rstrip("/")


@pytest.fixture(scope="session")
def pt_endpoint(request: pytest.FixtureRequest) -> str:
    """The real cluster's endpoint, e.g. ``"http://127.0.0.1:18080"``."""
    return resolve_endpoint(request)


def new_bucket(endpoint: str, purpose: str) -> Bucket:
    return Client(endpoint).bucket(f"pt-test-{purpose}-{uuid.uuid4().hex[:8]}").create()


@pytest.fixture(scope="session")
def objects_bucket(pt_endpoint: str) -> Iterator[ObjectsBucket]:
    """60 objects of 0-2000 random bytes, under prefixes ``a/``, ``b/`` and none."""
    rng = random.Random(7)
    bucket = new_bucket(pt_endpoint, "objs")
    contents: dict[str, bytes] = {}
    for i in range(N_OBJECTS):
        prefix = ("a/", "b/", "")[i % 3]
        name = f"{prefix}obj-{i:03d}.bin"
        contents[name] = rng.randbytes(rng.randrange(0, 2000))
        bucket.put_object(name, contents[name])
    try:
        yield ObjectsBucket(pt_endpoint, bucket.name, contents)
    finally:
        bucket.delete(missing_ok=True)


def make_shard(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture(scope="session")
def shards_bucket(pt_endpoint: str) -> Iterator[ShardsBucket]:
    """6 webdataset shards of 5 samples; some samples lack some of jpg/cls/txt, and one
    sample's txt member is present but empty (``EMPTY_MEMBER``)."""
    rng = random.Random(11)
    bucket = new_bucket(pt_endpoint, "shards")
    shards: dict[str, bytes] = {}
    samples: dict[tuple[str, str], dict[str, bytes]] = {}
    for s in range(N_SHARDS):
        shard = f"shard-{s:02d}.tar"
        members: list[tuple[str, bytes]] = []
        for i in range(SAMPLES_PER_SHARD):
            key = f"s{s:02d}-{i:02d}"
            # Sample (s + i) % 4 == 0 keeps only its jpg; == 1 lacks txt; else all three.
            keep = EXTENSIONS[: {0: 1, 1: 2}.get((s + i) % 4, 3)]
            fields = {ext: rng.randbytes(rng.randrange(1, 3000)) for ext in keep}
            if (key, "txt") == EMPTY_MEMBER:
                fields["txt"] = b""
            samples[(shard, key)] = fields
            members.extend((f"{key}.{ext}", data) for ext, data in fields.items())
        shards[shard] = make_shard(members)
        bucket.put_object(shard, shards[shard])
    try:
        yield ShardsBucket(pt_endpoint, bucket.name, shards, samples)
    finally:
        bucket.delete(missing_ok=True)


@contextmanager
def temporary_bucket(endpoint: str, purpose: str) -> Iterator[Bucket]:
    """A new empty bucket, deleted (with its objects) on leaving."""
    bucket = new_bucket(endpoint, purpose)
    try:
        yield bucket
    finally:
        bucket.delete(missing_ok=True)


@pytest.fixture
def scratch_bucket(pt_endpoint: str) -> Iterator[Bucket]:
    """An empty bucket for a test that mutates its data; deleted after."""
    with temporary_bucket(pt_endpoint, "scratch") as bucket:
        yield bucket


def import_official_pytorch() -> types.ModuleType:
    """``aistore.pytorch`` 2.0.0, the peer (a dev dependency: aistore[pytorch])."""
    import aistore.pytorch

    return aistore.pytorch


def count_list_requests(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Count list requests (GET buckets/...) from this process and its forked workers.

    Returns a shared ``multiprocessing.Value``; read ``.value``.
    """
    counter = multiprocessing.get_context("fork").Value("i", 0)
    real_request = RequestClient.request

    def counting_request(self: RequestClient, method: str, path: str, **kwargs: Any) -> Any:
        if method.upper() == "GET" and path.startswith("buckets/"):
            with counter.get_lock():
                counter.value += 1
        return real_request(self, method, path, **kwargs)

    monkeypatch.setattr(RequestClient, "request", counting_request)
    return counter
