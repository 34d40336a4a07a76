"""The official SDK's client objects on the real cluster, and ``aistore.pytorch`` aliased to
``aisref.pytorch`` - what a user who swaps that one import has.

``aliased_aistore_pytorch`` puts every ``aisref.pytorch`` module that has an official path
under that path in ``sys.modules`` (and an official path aisref lacks as ``None``, so its
import fails instead of loading the official module), for one test.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import random
import string
import sys
import types
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.pytorch_fixtures import pt_endpoint

__all__ = ["pt_endpoint"]

OFFICIAL_PACKAGE = "aistore.pytorch"
OURS = "aisref.pytorch"
OLD_OFFICIAL_MODULES = ("aisio",)  # 1.9.2's datapipes, no longer in the installed SDK


def official_module_names() -> list[str]:
    """The submodules of the installed ``aistore.pytorch``, and 1.9.2's ``aisio``."""
    spec = importlib.util.find_spec(OFFICIAL_PACKAGE)
    assert spec is not None and spec.submodule_search_locations is not None
    found = [info.name for info in pkgutil.iter_modules(spec.submodule_search_locations)]
    return sorted({*found, *OLD_OFFICIAL_MODULES})


def alias_table() -> dict[str, types.ModuleType | None]:
    """``sys.modules`` entries that make ``aistore.pytorch[.x]`` resolve to aisref."""
    table: dict[str, types.ModuleType | None] = {OFFICIAL_PACKAGE: importlib.import_module(OURS)}
    for name in official_module_names():
        ours = f"{OURS}.{name}"
        table[f"{OFFICIAL_PACKAGE}.{name}"] = (
            importlib.import_module(ours) if importlib.util.find_spec(ours) else None
        )
    return table


@pytest.fixture
def aliased_aistore_pytorch(monkeypatch: pytest.MonkeyPatch) -> dict[str, types.ModuleType | None]:
    """``import aistore.pytorch`` (and its submodules) gives aisref's, for this test only."""
    import aistore

    table = alias_table()
    for name, module in table.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(aistore, "pytorch", table[OFFICIAL_PACKAGE], raising=False)
    return table


@pytest.fixture
def official_client(pt_endpoint: str) -> Any:
    """``aistore.sdk.Client`` on the test cluster."""
    from aistore.sdk import Client

    return Client(pt_endpoint)


def random_text(rng: random.Random, length: int) -> bytes:
    return "".join(rng.choices(string.ascii_lowercase, k=length)).encode()


def new_official_bucket(client: Any, purpose: str) -> Any:
    bucket = client.bucket(f"pt-official-{purpose}-{uuid.uuid4().hex[:8]}")
    bucket.create()
    return bucket


@pytest.fixture
def official_bucket(official_client: Any) -> Iterator[Any]:
    """A new empty bucket made with the official client; deleted after the test."""
    bucket = new_official_bucket(official_client, "b")
    try:
        yield bucket
    finally:
        bucket.delete(missing_ok=True)


def put_objects(bucket: Any, names: list[str], seed: int = 5) -> dict[str, bytes]:
    """PUT 10-20 random letters under each name, through the official SDK."""
    rng = random.Random(seed)
    contents = {name: random_text(rng, rng.randrange(10, 20)) for name in names}
    for name, data in contents.items():
        bucket.object(name).get_writer().put_content(data)
    return contents
