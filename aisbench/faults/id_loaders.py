"""Every aisref dataset kind reduced to checked sample ids, in one registry: what the fault suite
runs an epoch of. Samples are identified and checked inside the DataLoader worker
(aisbench.datagen.self_checking), so only short id strings cross to the main process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, get_args

from torch.utils.data import DataLoader, Dataset, IterableDataset

from aisbench.datagen import (
    MEMBER_EXTENSIONS,
    FaultData,
    Unit,
    checked_id,
    content_for,
    datapipe_id,
    id_from_content,
)
from aisbench.errors import InvalidValue
from aisbench.runner import RetryCounter
from aisref.client import Bucket, DataShard, RequestClient

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
    def __init__(self, inner: Any, sample_id: Callable[[Any], str]) -> None:
        self.inner = inner
        self.sample_id = sample_id  # a module-level function: it pickles into workers

    def __iter__(self) -> Iterator[str]:
        for sample in self.inner:
            yield self.sample_id(sample)


def _object_id(sample: tuple[str, bytes]) -> str:
    name, data = sample
    return checked_id(name, data)


def _shard_sample_id(sample: tuple[str, dict[str, bytes]]) -> str:
    key, fields = sample
    ok = all(fields.get(ext) == content_for(f"{key}.{ext}") for ext in MEMBER_EXTENSIONS)
    return key if ok else f"CORRUPT:{key}"


def _member_id(sample: tuple[bytes]) -> str:
    (data,) = sample
    return id_from_content(data)


def _datapipe_id(sample: tuple[str, Any]) -> str:
    url, stream = sample
    try:
        data = stream.read()
    finally:
        stream.close()
    return datapipe_id(url, data)


# -- the registry ---------------------------------------------------------------------------

Built: TypeAlias = tuple[Dataset[Any], int]  # the dataset, and the retries its client had made


def _map_dataset(data: FaultData, client: RequestClient) -> Built:
    from aisref.pytorch import AISMapDataset

    return _MapIds(AISMapDataset(Bucket(client, data.objects_bucket))), 0


def _iter_dataset(data: FaultData, client: RequestClient) -> Built:
    from aisref.pytorch import AISIterDataset

    return _IterIds(AISIterDataset(Bucket(client, data.objects_bucket)), _object_id), 0


def _shard_reader(data: FaultData, client: RequestClient) -> Built:
    from aisref.pytorch import AISShardReader

    return _IterIds(AISShardReader(Bucket(client, data.shards_bucket)), _shard_sample_id), 0


def _multishard_stream(data: FaultData, client: RequestClient) -> Built:
    from aisref.pytorch import AISMultiShardStream

    source = DataShard(client_url=data.endpoint, bucket_name=data.shards_bucket)
    before = RetryCounter(source.client).total()  # its client is per URL, reused across loaders
    return _IterIds(AISMultiShardStream([source]), _member_id), before


def _datapipes(data: FaultData, client: RequestClient) -> Built:
    from aisref.pytorch import AISFileLister, AISFileLoader

    urls = AISFileLister([f"ais://{data.objects_bucket}"], url=data.endpoint)
    return _IterIds(AISFileLoader(urls, url=data.endpoint), _datapipe_id), 0


@dataclass(frozen=True)
class DatasetKind:
    """One reader under test. unit: what it delivers per sample; url_configured: it takes a URL,
    not a client, so its retry settings are the Client defaults whatever the suite asks;
    build: the reader over the data, reduced to checked ids."""

    name: str
    unit: Unit
    url_configured: bool
    build: Callable[[FaultData, RequestClient], Built]

    @property
    def reads_shards(self) -> bool:
        return self.unit in ("shard-sample", "shard-member")


# The names, as the scenario schema validates them; KINDS must hold exactly these (a test checks).
KindName: TypeAlias = Literal["AISMapDataset", "AISIterDataset", "AISShardReader",
                              "AISMultiShardStream", "datapipes"]
SoakKindName: TypeAlias = Literal["AISMapDataset", "AISShardReader"]

KINDS: dict[str, DatasetKind] = {k.name: k for k in (
    DatasetKind("AISMapDataset", "object", False, _map_dataset),
    DatasetKind("AISIterDataset", "object", False, _iter_dataset),
    DatasetKind("AISShardReader", "shard-sample", False, _shard_reader),
    DatasetKind("AISMultiShardStream", "shard-member", True, _multishard_stream),
    DatasetKind("datapipes", "object-url", True, _datapipes),
)}
DATASET_KINDS: tuple[str, ...] = get_args(KindName)
SHARD_KINDS = tuple(name for name, kind in KINDS.items() if kind.reads_shards)
URL_CONFIGURED_KINDS = frozenset(name for name, kind in KINDS.items() if kind.url_configured)
SOAK_KINDS: tuple[str, ...] = get_args(SoakKindName)  # with persistent workers


def dataset_kind(name: str) -> DatasetKind:
    try:
        return KINDS[name]
    except KeyError:
        raise InvalidValue(f"unknown dataset kind {name!r}; known: "
                           f"{', '.join(DATASET_KINDS)}") from None


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
    dataset, retries_before = dataset_kind(kind).build(data, client)
    loader: DataLoader[Any] = DataLoader(
        dataset, batch_size=batch_size, num_workers=num_workers, collate_fn=_as_list,
        prefetch_factor=PREFETCH_FACTOR if num_workers else None,
    )
    return IdLoader(loader, retries_before)


def persistent_loader(kind: str, data: FaultData, workers: int,
                      batch_size: int = 8) -> DataLoader[Any]:
    """Checked sample ids of one of `SOAK_KINDS`, in batches, from workers that live across
    epochs (``persistent_workers=True``): what a soak watches for leaks."""
    if kind not in SOAK_KINDS:
        raise InvalidValue(f"soak reads {' or '.join(SOAK_KINDS)}, not {kind!r}")
    dataset, _ = dataset_kind(kind).build(data, RequestClient(data.endpoint))
    return DataLoader(dataset, batch_size=batch_size, num_workers=workers,
                      persistent_workers=True, collate_fn=_as_list, prefetch_factor=2)
