"""The bytes of a synthetic dataset, as pure functions of its spec: same spec, same bytes.

Objects are `obj-<index>.bin` of seeded random bytes. Shards are WebDataset-style tars
`shard-<index>.tar`: each sample `sample-<global index>` has one member per spec extension, in
the spec's order (`.cls` holds the class label as text, `.json` a small JSON document, anything
else random bytes), each padded or cut to the spec's size.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from aisbench.scenario import DatasetSpec

MANIFEST_NAME = "_aisbench/manifest.json"
NUM_CLASSES = 1000
_TAR_MTIME = 1_700_000_000  # fixed, so tar bytes do not depend on when they were made


@dataclass(frozen=True)
class DatasetItem:
    """One object of the dataset: its name and how many bytes it has."""

    name: str
    size: int
    samples: int


def _rng(spec: DatasetSpec, index: int, salt: int = 0) -> np.random.Generator:
    return np.random.default_rng([spec.seed, index, salt])


def data_prefix(spec: DatasetSpec) -> str:
    """The prefix every data object shares (the manifest does not): loaders list with it."""
    return "obj-" if spec.kind == "objects" else "shard-"


def object_name(index: int) -> str:
    return f"obj-{index:07d}.bin"


def shard_name(index: int) -> str:
    return f"shard-{index:06d}.tar"


def sample_key(global_index: int) -> str:
    return f"sample-{global_index:08d}"


def object_size(spec: DatasetSpec, index: int) -> int:
    assert spec.object_size is not None
    low, high = spec.object_size.min_bytes, spec.object_size.max_bytes
    return low if low == high else int(_rng(spec, index, 1).integers(low, high + 1))


def object_bytes(spec: DatasetSpec, index: int) -> bytes:
    return _rng(spec, index).bytes(object_size(spec, index))


def _fit(data: bytes, size: int, pad: bytes) -> bytes:
    return data[:size] if len(data) >= size else data + pad * (size - len(data))


def member_bytes(spec: DatasetSpec, global_index: int, ext: str, size: int) -> bytes:
    label = int(_rng(spec, global_index, 2).integers(0, NUM_CLASSES))
    if ext == "cls":
        return _fit(str(label).encode(), size, b" ")
    if ext == "json":
        doc = json.dumps({"key": sample_key(global_index), "label": label}).encode()
        return _fit(doc, size, b" ")
    return _rng(spec, global_index, 3 + hash_ext(ext)).bytes(size)


def hash_ext(ext: str) -> int:
    """A small stable number per extension (Python's hash() is salted per process)."""
    return sum(ext.encode()) % 997


def shard_bytes(spec: DatasetSpec, index: int) -> bytes:
    """The whole tar of shard `index`."""
    assert spec.samples_per_shard is not None
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for offset in range(spec.samples_per_shard):
            global_index = index * spec.samples_per_shard + offset
            for ext, size in spec.members:
                data = member_bytes(spec, global_index, ext, size)
                info = tarfile.TarInfo(f"{sample_key(global_index)}.{ext}")
                info.size, info.mtime, info.mode = len(data), _TAR_MTIME, 0o644
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def item_bytes(spec: DatasetSpec, index: int) -> bytes:
    return object_bytes(spec, index) if spec.kind == "objects" else shard_bytes(spec, index)


def item_name(spec: DatasetSpec, index: int) -> str:
    return object_name(index) if spec.kind == "objects" else shard_name(index)


def expected_items(spec: DatasetSpec) -> Iterator[DatasetItem]:
    """Every object the dataset has, with its exact size (tars are sized by building them)."""
    for index in range(spec.count):
        if spec.kind == "objects":
            yield DatasetItem(object_name(index), object_size(spec, index), 1)
        else:
            assert spec.samples_per_shard is not None
            yield DatasetItem(shard_name(index), tar_size(spec), spec.samples_per_shard)


def tar_size(spec: DatasetSpec) -> int:
    """Bytes of one shard: every shard of a spec has the same layout, so the same size."""
    assert spec.samples_per_shard is not None
    per_member = sum(512 + -(-size // 512) * 512 for _, size in spec.members)
    body = per_member * spec.samples_per_shard
    # tarfile ends with two zero blocks and pads the archive to a multiple of 10240 bytes.
    total = body + 1024
    return -(-total // tarfile.RECORDSIZE) * tarfile.RECORDSIZE


def manifest(spec: DatasetSpec) -> dict[str, object]:
    items = list(expected_items(spec))
    return {
        "spec_hash": spec.spec_hash,
        "spec": spec.canonical(),
        "objects": len(items),
        "samples": sum(i.samples for i in items),
        "bytes": sum(i.size for i in items),
    }
