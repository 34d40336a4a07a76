"""Object payloads as ``torch.uint8`` tensors (the datasets' ``tensor_payloads=True``).

A DataLoader worker sends each batch to the main process: ``bytes`` are pickled through a
pipe (copied into the pickle, through the pipe, out of it); tensors are stacked by default
collation into one shared-memory batch in the worker, and only its file descriptor crosses
the pipe. An object's body is read from the socket straight into the tensor's memory
(:meth:`aisref.client.ObjectReader.read_all_into`), without a ``bytes`` of the whole object.
Members of shards and of GetBatch replies come from the tar parser as ``bytes``: those are
copied once into a tensor.

See "Zero-copy samples" in ``impl/aisref/README.md`` for what it gives, measured, and why
it is not the default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import torch

from aisref.client import ObjectReader

# What a dataset yields for an object's data: bytes, or with tensor_payloads=True a tensor.
Payload = bytes | torch.Tensor
PayloadT = TypeVar("PayloadT", bytes, torch.Tensor, Payload)


def empty_payload(size: int) -> tuple[torch.Tensor, memoryview]:
    """A ``torch.uint8`` tensor of ``size`` bytes and a writable view of its memory.

    Private memory, also inside a DataLoader worker: allocating each sample in shared
    memory there made batches slower (default collation copies the samples into one new
    shared-memory batch anyway), measured in "Zero-copy samples" in the README.
    """
    tensor = torch.empty(size, dtype=torch.uint8)
    array: Any = tensor.numpy()  # numpy's stubs do not declare the buffer protocol
    return tensor, memoryview(array)


def read_tensor(reader: ObjectReader) -> torch.Tensor:
    """The reader's whole body as a 1-D ``torch.uint8`` tensor, read straight into it."""
    return reader.read_all_into(empty_payload)


def read_bytes(reader: ObjectReader) -> bytes:
    """The reader's whole body as ``bytes`` (the datasets' default)."""
    return reader.read_all()


def payload_reader(tensor_payloads: bool) -> Callable[[ObjectReader], Payload]:
    """How a dataset reads an object: into a tensor, or as bytes."""
    return read_tensor if tensor_payloads else read_bytes


def member_payload(tensor_payloads: bool) -> Callable[[bytes], Payload]:
    """What a dataset makes of a member's bytes from the tar parser: a tensor, or them."""
    return tensor_of if tensor_payloads else bytes


def tensor_of(data: bytes) -> torch.Tensor:
    """``data`` copied once into a 1-D ``torch.uint8`` tensor."""
    tensor, view = empty_payload(len(data))
    view[:] = data
    return tensor


def tensors_of(content: Mapping[str, bytes]) -> dict[str, torch.Tensor]:
    """Each field's bytes as a tensor (a missing field's ``b""`` as an empty one)."""
    return {field: tensor_of(data) for field, data in content.items()}
