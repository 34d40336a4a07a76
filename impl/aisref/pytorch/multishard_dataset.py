"""The official module path ``aistore.pytorch.multishard_dataset``: an alias of
:mod:`aisref.pytorch.multishard`."""

from aisref.pytorch.multishard import AISMultiShardStream

__all__ = ["AISMultiShardStream"]
