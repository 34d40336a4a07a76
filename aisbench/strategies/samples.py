"""What every DataLoader strategy shares: per-sample transforms and byte counting in the workers.

Counting happens where the sample is made (inside the DataLoader worker), so the main process
only adds up two integers per batch and the measurement costs the loop almost nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from torch.utils.data import DataLoader, Dataset, IterableDataset
from torch.utils.data._utils.collate import default_collate

from aisbench.scenario import Case
from aisref.client.stage_clock import COLLATE, STAGE_CLOCK, TRANSFORM, enable_in_worker

Transform = Callable[[bytes], Any]


# Object bytes read into a tensor or array; a decoded sample (floats) is not payload.
_RAW_DTYPES = frozenset({"torch.uint8", "uint8"})


def payload_bytes(sample: Any) -> int:
    """Bytes of object data in a sample: every bytes leaf (or uint8 tensor, as aisref's
    ``tensor_payloads=True`` yields) of tuples, lists and dicts.

    Names (str) and webdataset's "__key__"-style metadata do not count.
    """
    if isinstance(sample, bytes | bytearray | memoryview):
        return len(sample)
    if str(getattr(sample, "dtype", "")) in _RAW_DTYPES:  # bytes read into a uint8 tensor
        return int(sample.nbytes)
    if isinstance(sample, dict):
        return sum(payload_bytes(v) for k, v in sample.items() if not str(k).startswith("__"))
    if isinstance(sample, tuple | list):
        return sum(payload_bytes(v) for v in sample)
    return 0


def _decode(data: bytes) -> Any:
    # Like an image decode: bytes -> normalised float pixels.
    return np.frombuffer(data, dtype=np.uint8).astype(np.float32) / 255.0


def _hash(data: bytes) -> Any:
    return hashlib.sha256(data).digest()


def _resize(data: bytes) -> Any:
    # Like a resize: a square-ish uint8 image downsampled 2x by averaging 2x2 blocks.
    pixels = np.frombuffer(data, dtype=np.uint8)
    side = int(len(pixels) ** 0.5) & ~1
    if side < 2:
        return pixels.astype(np.float32)
    image = pixels[: side * side].reshape(side, side).astype(np.float32)
    return image.reshape(side // 2, 2, side // 2, 2).mean(axis=(1, 3))


TRANSFORMS: dict[str, Transform | None] = {
    "none": None,
    "decode": _decode,
    "hash": _hash,
    "resize": _resize,
}


def apply_transform(sample: Any, transform: Transform) -> Any:
    """The transform applied to every bytes leaf (metadata keys untouched)."""
    if isinstance(sample, bytes | bytearray):
        return transform(bytes(sample))
    if isinstance(sample, dict):
        return {k: v if str(k).startswith("__") else apply_transform(v, transform)
                for k, v in sample.items()}
    if isinstance(sample, tuple | list):
        return type(sample)(apply_transform(v, transform) for v in sample)
    return sample


def _counted(sample: Any, transform: Transform | None) -> tuple[int, Any]:
    nbytes = payload_bytes(sample)
    if transform is None:
        return nbytes, sample
    previous = STAGE_CLOCK.enter(TRANSFORM)
    try:
        return nbytes, apply_transform(sample, transform)
    finally:
        STAGE_CLOCK.leave(previous)


class CountedMapDataset(Dataset[tuple[int, Any]]):
    """A map-style dataset whose samples become (payload bytes, transformed sample)."""

    def __init__(self, inner: Any, transform: Transform | None) -> None:
        self.inner = inner
        self.transform = transform

    def __len__(self) -> int:
        return len(self.inner)

    def __getitem__(self, index: int) -> tuple[int, Any]:
        return _counted(self.inner[index], self.transform)

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[int, Any]]:
        # Keep the inner dataset's batched fetch (aisref's map dataset reads a batch concurrently).
        getitems = getattr(self.inner, "__getitems__", None)
        samples = getitems(list(indices)) if getitems else [self.inner[i] for i in indices]
        return [_counted(sample, self.transform) for sample in samples]


class CountedIterDataset(IterableDataset[tuple[int, Any]]):
    """An iterable dataset whose samples become (payload bytes, transformed sample)."""

    def __init__(self, inner: Any, transform: Transform | None) -> None:
        self.inner = inner
        self.transform = transform

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        for sample in self.inner:
            yield _counted(sample, self.transform)


def collate_counted(batch: list[tuple[int, Any]]) -> tuple[int, int, Any]:
    """(samples, payload bytes, collated payload); untransformed payloads use torch's default
    collate, as a user's DataLoader would; transformed ones of varying shape stay a list."""
    previous = STAGE_CLOCK.enter(COLLATE)
    try:
        payloads = [payload for _, payload in batch]
        try:
            collated = default_collate(payloads)
        except (RuntimeError, TypeError, KeyError):  # KeyError: samples with different members
            collated = payloads
        return len(batch), sum(nbytes for nbytes, _ in batch), collated
    finally:
        STAGE_CLOCK.leave(previous)


def make_dataloader(dataset: Any, case: Case, *, iterable: bool,
                    batch_sampler: Iterable[list[int]] | None = None) -> DataLoader[Any]:
    """The DataLoader a case asks for, over a counted (and maybe transformed) dataset.

    With ``batch_sampler`` (map datasets only) the sampler makes the batches and the case's
    batch_size is not passed (torch refuses both). Over ranks (``loader.ranks`` > 1, the
    process group initialised) a map dataset is split by torch's DistributedSampler (no
    shuffle, padded to equal shares), as a DDP training script splits it."""
    transform = TRANSFORMS[case.transform]
    wrapped: Dataset[Any] = (CountedIterDataset(dataset, transform) if iterable
                             else CountedMapDataset(dataset, transform))
    kwargs = case.loader.dataloader_kwargs()
    if case.loader.num_workers > 0:  # workers count their stages where the runner measures
        kwargs["worker_init_fn"] = enable_in_worker
    if batch_sampler is not None:
        del kwargs["batch_size"]
        return DataLoader(wrapped, collate_fn=collate_counted, batch_sampler=batch_sampler,
                          **kwargs)
    if case.loader.ranks > 1 and not iterable:
        from torch.utils.data.distributed import DistributedSampler

        return DataLoader(wrapped, collate_fn=collate_counted,
                          sampler=DistributedSampler(wrapped, shuffle=False), **kwargs)
    return DataLoader(wrapped, collate_fn=collate_counted, shuffle=False, **kwargs)

