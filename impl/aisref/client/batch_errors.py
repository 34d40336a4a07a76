"""How GetBatch failures are named and typed: the batch's label, and the error for a request
the server refused before any archive (AIStore v1.5.0's replies, seen on the real cluster)."""

from __future__ import annotations

from collections.abc import Sequence

from aisref.client.batch_types import MossIn
from aisref.client.errors import (
    AISError,
    BucketNotFound,
    GetBatchError,
    GetBatchTooManyMissing,
    GetBatchUnsupported,
    ObjectNotFound,
)


def batch_label(entries: Sequence[MossIn]) -> str:
    """How errors name a batch: ``GetBatch of 32 entries (ais://b/o-000 ... ais://b/o-031)``."""
    if len(entries) == 1:
        return f"GetBatch of 1 entry ({entries[0].uname})"
    return f"GetBatch of {len(entries)} entries ({entries[0].uname} ... {entries[-1].uname})"


_UNSUPPORTED_STATUSES = frozenset({404, 405, 501})


def batch_error(err: AISError, label: str) -> AISError:
    """The typed error for a GetBatch request the server refused (before any archive)."""
    message = f"{label}: {err.message}"
    lowered = err.message.lower()
    if isinstance(err, BucketNotFound):
        return BucketNotFound(message, err.status, err.url)
    if err.status == 404 and "does not exist" in lowered:
        return ObjectNotFound(message, err.status, err.url)  # names object and target
    if err.status == 400 and "soft-errors limit" in lowered:
        return GetBatchTooManyMissing(
            f"{message} - more entries were missing than the cluster allows per request "
            "(get_batch.max_soft_errs); split the batch or fix the missing objects",
            err.status,
            err.url,
        )
    if err.status in _UNSUPPORTED_STATUSES or (
        err.status == 400 and "invalid request uri" in lowered
    ):
        return GetBatchUnsupported(
            f"{message} - this cluster has no GetBatch endpoint (/v1/ml/moss, AIStore "
            "v1.4 and later); read the objects one by one",
            err.status,
            err.url,
        )
    if type(err) is not AISError:  # already specific (auth, ...): keep its type
        err.message = message
        err.args = (message,)
        return err
    return GetBatchError(message, err.status, err.url)
