"""Self-checking data: every object, shard member and sample carries its own name in its bytes
(`content_for`), so a delivered sample is identified - and checked byte for byte - wherever it
lands, and only a short id string needs to travel. A sample whose bytes are wrong becomes
``"CORRUPT:<name>"``. The fault suite reads it (aisbench.faults.id_loaders).
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass
from typing import Literal, TypeAlias

from aisref.client import Bucket, RequestClient

# What a reader delivers per sample: an object by name or by ais:// URL, a shard's sample (its
# members together) or each shard member on its own.
Unit: TypeAlias = Literal["object", "object-url", "shard-sample", "shard-member"]
CONTENT_BYTES = 4096  # per object or member


def content_for(name: str, size: int = CONTENT_BYTES) -> bytes:
    """Bytes that name their owner: ``"<name>|<name>|..."`` cut to ``size`` bytes."""
    unit = f"{name}|".encode()
    return (unit * (size // len(unit) + 1))[:size]


def checked_id(name: str, data: bytes) -> str:
    """``name`` when ``data`` is exactly `content_for(name)`, else ``"CORRUPT:<name>"``."""
    return name if data == content_for(name) else f"CORRUPT:{name}"


def datapipe_id(url: str, data: bytes) -> str:
    """A datapipe sample is its URL ``ais://bucket/name``, checked against the name's bytes."""
    return url if data == content_for(url.rsplit("/", 1)[-1]) else f"CORRUPT:{url}"


def id_from_content(data: bytes) -> str:
    """The id of a member whose bytes are `content_for(name)`: the name, checked."""
    name = data.split(b"|", 1)[0].decode(errors="replace")
    return checked_id(name, data)


@dataclass(frozen=True)
class FaultData:
    """What the fault tests read: objects in one bucket, tar shards in another.

    Objects are ``obj-NNNN``; shard ``shard-SS.tar`` holds samples ``sSS-kKK`` with members
    ``sSS-kKK.txt`` and ``sSS-kKK.cls``.
    """

    endpoint: str
    objects_bucket: str
    object_names: tuple[str, ...]
    shards_bucket: str
    shard_names: tuple[str, ...]
    shard_keys: tuple[tuple[str, ...], ...]  # the sample keys of each shard, in order

    @property
    def sample_keys(self) -> tuple[str, ...]:
        return tuple(key for keys in self.shard_keys for key in keys)

    @property
    def member_names(self) -> tuple[str, ...]:
        return tuple(f"{key}.{ext}" for key in self.sample_keys for ext in MEMBER_EXTENSIONS)

    def expected_ids(self, unit: Unit) -> list[str]:
        """The ids one epoch must deliver, each exactly once, in listing order."""
        return [i for ids in self.ids_by_label(unit).values() for i in ids]

    def ids_by_label(self, unit: Unit) -> dict[str, tuple[str, ...]]:
        """``ais://bucket/name`` of each object or shard -> the sample ids it delivers."""
        if unit in ("shard-sample", "shard-member"):
            return {f"ais://{self.shards_bucket}/{name}":
                    tuple(f"{k}.{ext}" for k in keys for ext in MEMBER_EXTENSIONS)
                    if unit == "shard-member" else keys
                    for name, keys in zip(self.shard_names, self.shard_keys, strict=True)}
        return {f"ais://{self.objects_bucket}/{name}":
                (f"ais://{self.objects_bucket}/{name}" if unit == "object-url" else name,)
                for name in self.object_names}


# In name order, so a shard's tar order is its archive listing's order (AISMultiShardStream
# yields members by the listing, as the official does; the fault judge holds it to one order).
MEMBER_EXTENSIONS = ("cls", "txt")


def make_shard(shard_index: int, samples: int) -> tuple[bytes, list[str], list[str]]:
    """A tar shard: ``(bytes, sample keys, member names)``."""
    buffer = io.BytesIO()
    keys, members = [], []
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for k in range(samples):
            key = f"s{shard_index:02d}-k{k:02d}"
            keys.append(key)
            for extension in MEMBER_EXTENSIONS:
                member = f"{key}.{extension}"
                data = content_for(member)
                info = tarfile.TarInfo(member)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                members.append(member)
    return buffer.getvalue(), keys, members


def put_fault_data(endpoint: str, prefix: str, objects: int, shards: int,
                   samples_per_shard: int) -> FaultData:
    """Create two buckets (``<prefix>-obj``, ``<prefix>-shd``) and fill them."""
    client = RequestClient(endpoint)
    objects_bucket = Bucket(client, f"{prefix}-obj").create(exist_ok=True)
    names = tuple(f"obj-{i:04d}" for i in range(objects))
    for name in names:
        objects_bucket.put_object(name, content_for(name))
    shards_bucket = Bucket(client, f"{prefix}-shd").create(exist_ok=True)
    shard_names, shard_keys = [], []
    for index in range(shards):
        data, keys, _ = make_shard(index, samples_per_shard)
        shard_name = f"shard-{index:02d}.tar"
        shards_bucket.put_object(shard_name, data)
        shard_names.append(shard_name)
        shard_keys.append(tuple(keys))
    return FaultData(endpoint=endpoint, objects_bucket=objects_bucket.name, object_names=names,
                     shards_bucket=shards_bucket.name, shard_names=tuple(shard_names),
                     shard_keys=tuple(shard_keys))


def delete_fault_data(data: FaultData) -> None:
    client = RequestClient(data.endpoint)
    for name in (data.objects_bucket, data.shards_bucket):
        Bucket(client, name).delete(missing_ok=True)
