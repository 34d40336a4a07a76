"""PyTorch datasets and datapipes over AIStore, on aisref's requests-based client.

The datapipes need ``torch.utils.data.datapipes``; they are imported on first use so the
datasets keep working on a torch without them.
"""

from __future__ import annotations

from typing import Any

from aisref.pytorch.base import AISBaseIterDataset, AISBaseMapDataset
from aisref.pytorch.iter_dataset import AISIterDataset
from aisref.pytorch.map_dataset import AISMapDataset
from aisref.pytorch.multishard import AISMultiShardStream
from aisref.pytorch.shard_reader import AISShardReader
from aisref.pytorch.worker_client import WorkerRequestClient
from aisref.pytorch.zero_dict import ZeroDict

_DATAPIPES = frozenset(
    {
        "AISFileLister",
        "AISFileListerIterDataPipe",
        "AISFileLoader",
        "AISFileLoaderIterDataPipe",
        "AISSourceLister",
    }
)

__all__ = [
    "AISBaseIterDataset",
    "AISBaseMapDataset",
    "AISFileLister",
    "AISFileListerIterDataPipe",
    "AISFileLoader",
    "AISFileLoaderIterDataPipe",
    "AISIterDataset",
    "AISMapDataset",
    "AISMultiShardStream",
    "AISShardReader",
    "AISSourceLister",
    "WorkerRequestClient",
    "ZeroDict",
]


def __getattr__(name: str) -> Any:
    if name in _DATAPIPES:
        from aisref.pytorch import datapipes

        return getattr(datapipes, name)
    raise AttributeError(f"module 'aisref.pytorch' has no attribute {name!r}")
