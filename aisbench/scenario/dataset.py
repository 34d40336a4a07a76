"""Datasets described as values: equal specs name the same bucket and hold the same bytes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from aisbench.scenario.sizes import format_size

DATASET_KINDS = ("objects", "shards")
DatasetKind: TypeAlias = Literal["objects", "shards"]

# Part of every dataset hash: bump it when datagen changes how a spec becomes bytes, so old
# buckets are not mistaken for new data.
DATASET_LAYOUT_VERSION = 1


@dataclass(frozen=True, slots=True)
class SizeRange:
    """Object sizes drawn uniformly (seeded) from [min_bytes, max_bytes]; equal bounds = fixed."""

    min_bytes: int
    max_bytes: int

    def __post_init__(self) -> None:
        if not 1 <= self.min_bytes <= self.max_bytes:
            raise ValueError(f"need 1 <= min <= max bytes, got {self.min_bytes}..{self.max_bytes}")

    @property
    def is_fixed(self) -> bool:
        return self.min_bytes == self.max_bytes

    @property
    def mean_bytes(self) -> float:
        """Expected object size in bytes."""
        return (self.min_bytes + self.max_bytes) / 2

    @property
    def label(self) -> str:
        """ "16KiB" for a fixed size, "4KiB..64KiB" for a range."""
        if self.is_fixed:
            return format_size(self.min_bytes)
        return f"{format_size(self.min_bytes)}..{format_size(self.max_bytes)}"


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """A synthetic dataset as a value; equal specs name the same bucket and the same bytes.

    objects: ``count`` objects whose sizes come from ``object_size``.
    shards: ``count`` tar shards of ``samples_per_shard`` samples, each sample one file per
    ``members`` entry (extension, size in bytes), in that order.
    """

    kind: DatasetKind
    count: int
    seed: int = 0
    object_size: SizeRange | None = None
    samples_per_shard: int | None = None
    members: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"count must be >= 1, got {self.count}")
        if self.kind == "objects" and (
            self.object_size is None or self.samples_per_shard is not None or self.members
        ):
            raise ValueError("an objects dataset has object_size and no shard settings")
        if self.kind == "shards" and (
            self.object_size is not None or not self.samples_per_shard or not self.members
        ):
            raise ValueError("a shards dataset has samples_per_shard and members, no object_size")

    @property
    def samples(self) -> int:
        """Samples in the dataset: objects, or shards x samples_per_shard."""
        return self.count * (self.samples_per_shard or 1)

    @property
    def mean_sample_bytes(self) -> float:
        """Expected payload bytes per sample (tar headers not counted)."""
        if self.object_size is not None:
            return self.object_size.mean_bytes
        return float(sum(size for _, size in self.members))

    def canonical(self) -> dict[str, Any]:
        """The JSON-able content that defines the data, in a stable form."""
        return {
            "layout": DATASET_LAYOUT_VERSION,
            "kind": self.kind,
            "count": self.count,
            "seed": self.seed,
            "object_size": (
                None
                if self.object_size is None
                else [self.object_size.min_bytes, self.object_size.max_bytes]
            ),
            "samples_per_shard": self.samples_per_shard,
            "members": [[ext, size] for ext, size in self.members],
        }

    @property
    def spec_hash(self) -> str:
        """SHA-256 (hex) of `canonical`; stable across runs, machines and Python versions."""
        return canonical_sha256(self.canonical())

    @property
    def bucket_name(self) -> str:
        """``aisbench-<kind>-<first 12 hex of spec_hash>``, a valid AIStore bucket name."""
        return f"aisbench-{self.kind}-{self.spec_hash[:12]}"

    @property
    def label(self) -> str:
        """E.g. "1000 objects x 16KiB" or "16 shards x 64 samples (jpg=16KiB,cls=8B)"."""
        if self.object_size is not None:
            return f"{self.count} objects x {self.object_size.label}"
        members = ", ".join(f"{ext} {format_size(size)}" for ext, size in self.members)
        return f"{self.count} shards x {self.samples_per_shard} samples ({members})"


def members_label(members: tuple[tuple[str, int], ...]) -> str:
    """E.g. "jpg:16KiB+cls:8B" (no ',' or '=', so it can sit inside a case id)."""
    return "+".join(f"{ext}:{format_size(size)}" for ext, size in members)


def canonical_sha256(data: Any) -> str:
    """SHA-256 (hex) of ``data`` as canonical JSON (sorted keys, no spaces, ASCII)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()
