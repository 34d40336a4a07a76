"""The official module path ``aistore.pytorch.base_map_dataset``: an alias of
:mod:`aisref.pytorch.base`."""

from aisref.pytorch.base import AISBaseMapDataset

__all__ = ["AISBaseMapDataset"]
