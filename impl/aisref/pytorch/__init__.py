"""PyTorch datasets and datapipes over AIStore, on aisref's requests-based client.

Same public names and arguments as ``aistore.pytorch`` 2.0.0 (plus the torchdata-era
datapipes), with these deliberate differences:

- Iterable datasets and datapipes split work over torch.distributed ranks, then DataLoader
  workers, with the same number of samples on every rank (padding by repeating the first
  samples, as DistributedSampler does; ``drop_last=True`` drops instead;
  ``split_by_rank=False`` turns the rank split off) and ``len()`` per rank. The official
  splits over workers only, so every rank reads everything.
- Sources are listed once, at construction, not once per worker per epoch.
- The shard reader and multishard stream parse each tar while it streams (one GET per shard;
  memory bounded by the largest sample). The official reader loads whole shards into memory;
  the official multishard stream sends one GET per member.
- Shard members group into samples as in webdataset (key keeps directories; extension is
  everything after the first dot); the official drops directories, so same-named files in
  different directories of a shard merge into one sample.
- Shard reader samples carry every extension of the dataset (``b""`` where missing), listed
  once at construction from member names, so default collation never drops a field from a
  batch; the official fills the extensions seen so far, and drops a field new in a later
  shard from a batch that spans both.
- Truncated or corrupt shards raise ``ShardFormatError`` (a ``tarfile.TarError``) naming the
  shard and byte offset, also where tarfile would stop silently with members missing;
  ``len()`` of the shard reader works (the official raises AttributeError).
- ``AISMapDataset.__getitems__`` fetches a batch with one GetBatch request (concurrent GETs
  where the cluster has no GetBatch); the official fetches in turn.

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
    "ShardCountChanged",
    "WorkerRequestClient",
    "ZeroDict",
]


def __getattr__(name: str) -> Any:
    if name in _DATAPIPES:
        from aisref.pytorch import datapipes

        return getattr(datapipes, name)
    raise AttributeError(f"module 'aisref.pytorch' has no attribute {name!r}")
