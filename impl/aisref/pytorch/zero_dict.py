"""ZeroDict: sample contents that default collation can batch across heterogeneous shards."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class ZeroDict(dict[str, bytes]):
    """A sample's ``{extension: bytes}`` with ``b""`` for every extension seen so far.

    ``torch.utils.data.default_collate`` batches a list of dicts key by key, taking the keys of
    the *first* sample of the batch, so every sample must have those keys. The shard reader
    therefore fills in ``b""`` (zero bytes; ``None`` cannot be collated) for each extension it
    has already seen and this sample lacks. Keys only ever grow along one reader's stream,
    so later samples always carry the keys of earlier ones and collation never fails.

    Caveat of streaming (the official reader pre-scans each whole shard in memory instead): an
    extension seen for the first time in the middle of a batch is not in the first sample's
    keys, so ``default_collate`` leaves it out of that one batch; later batches have it.

    Plain ``dict`` subclass without lambdas: picklable, so it crosses worker processes.

    Args:
        content: the sample's own ``{extension: bytes}``.
        keys: every extension seen so far; missing ones are set to ``b""``.
    """

    def __init__(
        self, content: Mapping[str, bytes] | None = None, keys: Iterable[str] = ()
    ) -> None:
        super().__init__(content or {})
        for key in keys:
            if key not in self:
                self[key] = b""
