"""The official module path ``aistore.pytorch.base_iter_dataset``: an alias of
:mod:`aisref.pytorch.base`."""

from aisref.pytorch.base import AISBaseIterDataset

__all__ = ["AISBaseIterDataset"]
