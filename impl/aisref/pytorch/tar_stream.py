"""The streaming tar parser now lives in :mod:`aisref.client.tar_stream` (GetBatch replies are
tars too, and the client must not import torch); this module keeps the old import path."""

from aisref.client.tar_stream import (
    BLOCK_SIZE,
    ReadableStream,
    TarMember,
    TarStreamReader,
    is_meta_member,
    iter_samples,
    iter_staged_samples,
    iter_tar_members,
    split_sample_key,
)

__all__ = [
    "BLOCK_SIZE",
    "ReadableStream",
    "TarMember",
    "TarStreamReader",
    "is_meta_member",
    "iter_samples",
    "iter_staged_samples",
    "iter_tar_members",
    "split_sample_key",
]
