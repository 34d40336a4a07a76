"""ZeroDict: sample contents that default collation can batch across heterogeneous shards."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class ZeroDict(dict[str, bytes]):
    """A sample's ``{extension: bytes}`` with ``b""`` for every other extension of its dataset.

    ``torch.utils.data.default_collate`` batches a list of dicts key by key, taking the keys of
    the batch's *first* sample: a key missing there is dropped from the whole batch, a key
    missing from a later sample fails the batch. So every sample of a reader must carry the
    same keys from its first sample on: :class:`~aisref.pytorch.AISShardReader` passes the
    dataset's listed extensions as ``keys`` (see :mod:`aisref.pytorch.sample_fields`), and
    ``b""`` (zero bytes; ``None`` cannot be collated) stands for "this sample has no such
    member". A member that exists and is empty is ``b""`` too.

    Plain ``dict`` subclass without lambdas: picklable, so it crosses worker processes.

    Args:
        content: the sample's own ``{extension: bytes}``.
        keys: the extensions every sample carries; missing ones are set to ``b""``.
    """

    def __init__(
        self, content: Mapping[str, bytes] | None = None, keys: Iterable[str] = ()
    ) -> None:
        super().__init__(content or {})
        for key in keys:
            if key not in self:
                self[key] = b""
