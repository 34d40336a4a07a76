"""PyTorch datasets and datapipes over AIStore, on aisref's requests-based client.

A drop-in for ``aistore.pytorch`` 2.0.0: every public name of it, at its module paths
(``base_iter_dataset``, ``base_map_dataset``, ``batch_iter_dataset``, ``dynamic_sampler``,
``iter_dataset``, ``map_dataset``, ``multishard_dataset``, ``parallel_map_dataset``,
``shard_reader``, ``utils``; and 1.9.2's datapipes, ``aisio``), each with the official
parameters in the official order - some with keyword-only additions - and taking the
official SDK's own ``Bucket``, ``ObjectGroup`` and ``DataShard`` objects. The parity table in
``impl/aisref/README.md`` lists every name and every behaviour that differs, with the reason;
a test checks it against this code and the installed official SDK. In short:

- Iterable datasets and datapipes split work over torch.distributed ranks, then DataLoader
  workers, with the same number of samples on every rank and ``len()`` per rank.
- Sources are listed once, at construction, not once per worker per epoch.
- The shard reader and multishard stream parse each tar while it streams (one GET per
  shard; memory bounded by the largest sample); shard members group into samples as in
  webdataset, and every sample carries every extension of the dataset.
- Truncated or corrupt shards raise ``ShardFormatError`` (a ``tarfile.TarError``) naming the
  shard and byte offset.
- ``AISMapDataset.__getitems__`` fetches a batch with one GetBatch request (concurrent GETs
  where the cluster has no GetBatch); the official fetches in turn.
- ``tensor_payloads=True`` (keyword-only, off by default) on ``AISIterDataset``,
  ``AISMapDataset`` and ``AISShardReader`` yields ``torch.uint8`` tensors instead of bytes.

The datapipes need ``torch.utils.data.datapipes``; they are imported on first use so the
datasets keep working on a torch without them.
"""

from __future__ import annotations

from typing import Any

from aisref.pytorch.base import AISBaseIterDataset, AISBaseMapDataset
from aisref.pytorch.batch_iter_dataset import AISBatchIterDataset
from aisref.pytorch.dynamic_sampler import DynamicBatchSampler
from aisref.pytorch.iter_dataset import AISIterDataset
from aisref.pytorch.map_dataset import AISMapDataset
from aisref.pytorch.multishard import AISMultiShardStream
from aisref.pytorch.official_sources import OfficialSourceNotSupported
from aisref.pytorch.parallel_map_dataset import AISParallelMapDataset
from aisref.pytorch.shard_map_dataset import AISShardMapDataset
from aisref.pytorch.shard_reader import AISShardReader
from aisref.pytorch.shard_spans import ShardCountChanged
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
    "AISBatchIterDataset",
    "AISFileLister",
    "AISFileListerIterDataPipe",
    "AISFileLoader",
    "AISFileLoaderIterDataPipe",
    "AISIterDataset",
    "AISMapDataset",
    "AISMultiShardStream",
    "AISParallelMapDataset",
    "AISShardMapDataset",
    "AISShardReader",
    "AISSourceLister",
    "DynamicBatchSampler",
    "OfficialSourceNotSupported",
    "ShardCountChanged",
    "WorkerRequestClient",
    "ZeroDict",
]


def __getattr__(name: str) -> Any:
    if name in _DATAPIPES:
        from aisref.pytorch import datapipes

        return getattr(datapipes, name)
    raise AttributeError(f"module 'aisref.pytorch' has no attribute {name!r}")
