"""The official 1.9.2 module path ``aistore.pytorch.aisio`` (the datapipes): an alias of
:mod:`aisref.pytorch.datapipes`, which needs ``torch.utils.data.datapipes``."""

from aisref.pytorch.datapipes import (
    AISFileListerIterDataPipe,
    AISFileLoaderIterDataPipe,
    AISSourceLister,
)

__all__ = ["AISFileListerIterDataPipe", "AISFileLoaderIterDataPipe", "AISSourceLister"]
