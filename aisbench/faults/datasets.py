"""Fault-test data with self-checking bytes, and every aisref dataset reduced to sample ids.

Every object, shard member and sample carries its own name in its bytes (`content_for`), so a
delivered sample is identified - and checked byte for byte - inside the DataLoader worker, and
only a short id string crosses to the main process. A sample whose bytes are wrong becomes
``"CORRUPT:<name>"``, which the tally counts as unexpected.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from torch.utils.data import DataLoader, Dataset, IterableDataset

from aisbench.errors import InvalidValue
from aisbench.runner.retries import RetryCounter
from aisref.client import Bucket, DataShard, RequestClient

DATASET_KINDS = (
    "AISMapDataset",
    "AISIterDataset",
    "AISShardReader",
    "AISMultiShardStream",
    "datapipes",
)
# Take a URL, not a client: their retry settings are the Client defaults, whatever we want.
URL_CONFIGURED_KINDS = frozenset({"AISMultiShardStream", "datapipes"})
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
        return tuple(f"{key}.{ext}" for key in self.sample_keys for ext in _MEMBER_EXTENSIONS)

    def expected_ids(self, kind: str) -> list[str]:
        """The ids one epoch of ``kind`` must deliver, each exactly once, in listing order."""
        return [i for ids in self.ids_by_label(kind).values() for i in ids]

    def object_labels(self, kind: str) -> list[str]:
        """Names an error about ``kind`` may use for what failed (objects or shards)."""
        return list(self.ids_by_label(kind))

    def ids_by_label(self, kind: str) -> dict[str, tuple[str, ...]]:
        """``ais://bucket/name`` of each object or shard -> the sample ids it delivers."""
        if kind in ("AISShardReader", "AISMultiShardStream"):
            members = kind == "AISMultiShardStream"
            return {f"ais://{self.shards_bucket}/{name}":
                    tuple(f"{k}.{ext}" for k in keys for ext in _MEMBER_EXTENSIONS)
                    if members else keys
                    for name, keys in zip(self.shard_names, self.shard_keys, strict=True)}
        if kind not in DATASET_KINDS:
            raise InvalidValue(f"unknown dataset kind {kind!r}; known: {', '.join(DATASET_KINDS)}")
        return {f"ais://{self.objects_bucket}/{name}":
                (f"ais://{self.objects_bucket}/{name}" if kind == "datapipes" else name,)
                for name in self.object_names}


_MEMBER_EXTENSIONS = ("txt", "cls")


def make_shard(shard_index: int, samples: int) -> tuple[bytes, list[str], list[str]]:
    """A tar shard: ``(bytes, sample keys, member names)``."""
    buffer = io.BytesIO()
    keys, members = [], []
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for k in range(samples):
            key = f"s{shard_index:02d}-k{k:02d}"
            keys.append(key)
            for extension in _MEMBER_EXTENSIONS:
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


# -- datasets reduced to ids (module-level classes: they must pickle into workers) -------


class _MapIds(Dataset[str]):
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __len__(self) -> int:
        return len(self.inner)

    def __getitem__(self, index: int) -> str:
        name, data = self.inner[index]
        return checked_id(name, data)

    def __getitems__(self, indices: list[int]) -> list[str]:
        # Keep AISMapDataset's concurrent batch fetch in the path under test.
        return [checked_id(name, data) for name, data in self.inner.__getitems__(indices)]


class _IterIds(IterableDataset[str]):
    def __init__(self, inner: Any, kind: str) -> None:
        self.inner = inner
        self.kind = kind

    def __iter__(self) -> Iterator[str]:
        for sample in self.inner:
            yield _sample_id(self.kind, sample)


def _sample_id(kind: str, sample: Any) -> str:
    if kind == "AISIterDataset":
        name, data = sample
        return checked_id(name, data)
    if kind == "AISShardReader":
        key, fields = sample
        ok = all(fields.get(ext) == content_for(f"{key}.{ext}") for ext in _MEMBER_EXTENSIONS)
        return key if ok else f"CORRUPT:{key}"
    if kind == "AISMultiShardStream":
        (data,) = sample
        return id_from_content(data)
    url, stream = sample  # datapipes
    try:
        data = stream.read()
    finally:
        stream.close()
    return datapipe_id(url, data)


class IdLoader:
    """A DataLoader over one dataset kind, flattened to sample ids, and the retries its
    clients made since it was built.

    Args:
        loader: yields lists of checked sample ids (one list per batch).
    """

    def __init__(self, loader: DataLoader[Any], retries_before: int = 0) -> None:
        """``retries_before``: what the dataset's clients had counted before it was built
        (a client that outlives loaders, as DataShard's per-URL one, keeps counting)."""
        self.loader = loader
        self._retries = RetryCounter(loader)
        self._retries_before = retries_before

    def __iter__(self) -> Iterator[str]:
        for batch in self.loader:
            yield from batch

    def retries_made(self) -> int | None:
        """Retries made by the dataset's clients since this loader was built, here and in
        forked DataLoader workers (their counts live in shared memory), listings included.
        None when that is not observable: workers started by spawn/forkserver count in
        pickled copies, or no aisref client is reachable from the loader (see
        aisbench.runner.retries)."""
        if not self._retries.sees_workers or not self._retries.clients_found:
            return None
        return self._retries.total() - self._retries_before


def _as_list(batch: list[str]) -> list[str]:
    return list(batch)


ID_BATCH_SIZE = 4
PREFETCH_FACTOR = 2


def samples_in_flight(num_workers: int, batch_size: int = ID_BATCH_SIZE) -> int:
    """Samples a DataLoader may have fetched beyond what it delivered: a fault injected now
    cannot reach those (workers x prefetch_factor batches; none without workers)."""
    return num_workers * PREFETCH_FACTOR * batch_size


def id_loader(kind: str, data: FaultData, client: RequestClient, num_workers: int,
              batch_size: int = ID_BATCH_SIZE) -> IdLoader:
    """Dataset ``kind`` in a DataLoader that yields checked sample ids.

    ``client`` carries the retry and timeout settings for the kinds built on a Bucket; the
    URL-configured kinds (`URL_CONFIGURED_KINDS`) make their own default clients.
    """
    from aisref.pytorch import (
        AISIterDataset,
        AISMapDataset,
        AISMultiShardStream,
        AISShardReader,
    )

    dataset: Dataset[Any]
    retries_before = 0  # the other kinds read through new clients
    if kind == "AISMapDataset":
        dataset = _MapIds(AISMapDataset(Bucket(client, data.objects_bucket)))
    elif kind == "AISIterDataset":
        dataset = _IterIds(AISIterDataset(Bucket(client, data.objects_bucket)), kind)
    elif kind == "AISShardReader":
        dataset = _IterIds(AISShardReader(Bucket(client, data.shards_bucket)), kind)
    elif kind == "AISMultiShardStream":
        source = DataShard(client_url=data.endpoint, bucket_name=data.shards_bucket)
        retries_before = RetryCounter(source.client).total()  # its client is per URL, reused
        dataset = _IterIds(AISMultiShardStream([source]), kind)
    elif kind == "datapipes":
        from aisref.pytorch import AISFileLister, AISFileLoader

        urls = AISFileLister([f"ais://{data.objects_bucket}"], url=data.endpoint)
        dataset = _IterIds(AISFileLoader(urls, url=data.endpoint), kind)
    else:
        raise InvalidValue(f"unknown dataset kind {kind!r}; known: {', '.join(DATASET_KINDS)}")
    loader: DataLoader[Any] = DataLoader(
        dataset, batch_size=batch_size, num_workers=num_workers, collate_fn=_as_list,
        prefetch_factor=PREFETCH_FACTOR if num_workers else None,
    )
    return IdLoader(loader, retries_before)


def persistent_loader(kind: str, data: FaultData, workers: int,
                      batch_size: int = 8) -> DataLoader[Any]:
    """Checked sample ids of AISMapDataset or AISShardReader, in batches, from workers that
    live across epochs (``persistent_workers=True``): what a soak watches for leaks."""
    from aisref.pytorch import AISMapDataset, AISShardReader

    client = RequestClient(data.endpoint)
    dataset: Dataset[Any]
    if kind == "AISMapDataset":
        dataset = _MapIds(AISMapDataset(Bucket(client, data.objects_bucket)))
    elif kind == "AISShardReader":
        dataset = _IterIds(AISShardReader(Bucket(client, data.shards_bucket)), kind)
    else:
        raise InvalidValue(f"soak reads AISMapDataset or AISShardReader, not {kind!r}")
    return DataLoader(dataset, batch_size=batch_size, num_workers=workers,
                      persistent_workers=True, collate_fn=_as_list, prefetch_factor=2)
