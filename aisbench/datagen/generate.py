"""Put a synthetic dataset into the cluster, or reuse it when a verified copy is already there.

A dataset lives in the bucket its spec names (`DatasetSpec.bucket_name`). The manifest object is
written last, so an interrupted generation is never mistaken for a complete one; reuse requires
the manifest to match the spec AND the listing to show every expected object with its exact size.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tqdm import tqdm

from aisbench.datagen.content import (
    MANIFEST_NAME,
    expected_items,
    item_bytes,
    item_name,
    manifest,
)
from aisbench.scenario import DatasetSpec
from aisref.client import AISError, Bucket, Client, ObjectNotFound


@dataclass(frozen=True)
class DatasetInfo:
    bucket: str
    objects: int
    samples: int
    bytes: int
    reused: bool


def _stored_manifest(bucket: Bucket) -> dict[str, object] | None:
    try:
        data = bucket.object(MANIFEST_NAME).get_reader().read_all()
    except ObjectNotFound:
        return None
    try:
        loaded: dict[str, object] = json.loads(data)
    except ValueError:
        return None
    return loaded


def missing_or_wrong(spec: DatasetSpec, listed: dict[str, int | None]) -> list[str]:
    """Names of expected objects that are absent or have the wrong size."""
    return [item.name for item in expected_items(spec) if listed.get(item.name) != item.size]


def is_complete(bucket: Bucket, spec: DatasetSpec) -> bool:
    stored = _stored_manifest(bucket)
    if stored is None or stored.get("spec_hash") != spec.spec_hash:
        return False
    listed = {entry.name: entry.size for entry in bucket.list_objects_iter(props="name,size")}
    return not missing_or_wrong(spec, listed)


def ensure_dataset(endpoint: str, spec: DatasetSpec, *, parallel: int = 8,
                   progress: bool = True, client_factory: Callable[[], Client] | None = None
                   ) -> DatasetInfo:
    """Make sure the dataset of `spec` is in the cluster at `endpoint`; return where and how big.

    Parallel PUTs use one HTTP session per thread (requests sessions are not thread-safe).
    """
    make_client = client_factory or (lambda: Client(endpoint, timeout=(5.0, 120.0)))
    bucket = make_client().bucket(spec.bucket_name)
    summary = manifest(spec)
    info = DatasetInfo(bucket=spec.bucket_name, objects=int(str(summary["objects"])),
                       samples=int(str(summary["samples"])), bytes=int(str(summary["bytes"])),
                       reused=True)
    bucket.create(exist_ok=True)
    if is_complete(bucket, spec):
        return info

    local = threading.local()

    def put(index: int) -> int:
        if not hasattr(local, "bucket"):
            local.bucket = make_client().bucket(spec.bucket_name)
        data = item_bytes(spec, index)
        local.bucket.object(item_name(spec, index)).put_content(data)
        return len(data)

    with tqdm(total=info.bytes, unit="B", unit_scale=True, unit_divisor=1024,
              desc=f"generating {spec.bucket_name}", disable=not progress) as bar, \
            ThreadPoolExecutor(max_workers=parallel) as pool:
        for written in pool.map(put, range(spec.count)):
            bar.update(written)
    bucket.object(MANIFEST_NAME).put_content(json.dumps(summary, indent=2).encode())
    if not is_complete(bucket, spec):
        raise AISError(f"dataset {spec.bucket_name} is incomplete after generation; "
                       f"check the cluster's free space (`aisbench cluster logs`)")
    return DatasetInfo(**{**info.__dict__, "reused": False})
