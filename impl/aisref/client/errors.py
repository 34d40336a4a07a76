"""Typed errors raised by the client, built from AIStore's JSON error bodies.

AIStore answers a failed request with a JSON body ``{"tcode", "message", "status", ...}``; for
HEAD (no body allowed) the same JSON travels in the ``Hdr-Error`` header. :func:`error_from_reply`
turns one such reply into the most specific :class:`AISError` subclass. Every message is free of
the bearer token: the token only ever travels in a request header, never in a URL.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Mapping
from typing import Any


class AISError(Exception):
    """A request to AIStore failed.

    Attributes:
        status: HTTP status code, or 0 when no HTTP reply was received (or the error is about
            content, e.g. a corrupt shard).
        message: what went wrong and, where known, how to fix it.
        url: the request URL (it never carries the bearer token); "" when not applicable.
    """

    def __init__(self, message: str, status: int = 0, url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.url = url

    def __str__(self) -> str:
        prefix = f"HTTP {self.status}: " if self.status else ""
        return f"{prefix}{self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions cross process boundaries (DataLoader workers); keep all three fields.
        return (_rebuild_error, (type(self), self.message, self.status, self.url))


def _rebuild_error(cls: type[AISError], message: str, status: int, url: str) -> AISError:
    err = cls.__new__(cls)
    AISError.__init__(err, message, status, url)
    return err


class BucketNotFound(AISError):
    """The bucket does not exist (HTTP 404, tcode ErrBckNotFound)."""


class ObjectNotFound(AISError):
    """The object does not exist (HTTP 404 on an object path)."""


class BucketAlreadyExists(AISError):
    """Creating a bucket that exists (HTTP 409); pass ``exist_ok=True`` to accept it."""


class ETLNotAvailable(AISError):
    """The cluster cannot run ETL at all: aisnode built without ETL, or not on Kubernetes."""


class ETLNotFound(AISError):
    """The named ETL is not running on the cluster (HTTP 404 for an ETL request)."""


class ClusterUnreachable(AISError):
    """No HTTP reply: connection refused, DNS failure or timeout (status 0)."""


class CertificateNotTrusted(ClusterUnreachable):
    """The cluster's TLS certificate could not be verified (status 0): pass its CA bundle as
    ``Client(endpoint, verify="/path/to/ca.crt")``."""


class AuthenticationRequired(AISError):
    """HTTP 401: the cluster requires a valid token; pass ``Client(endpoint, token=...)``."""


class AccessDenied(AISError):
    """HTTP 403: the token is valid but does not grant this operation."""


class ObjectReadInterrupted(AISError):
    """The connection broke while an object's bytes were streaming and the read could not be
    resumed (status 0); the message names the object, the node and the byte offset."""


class ObjectChangedDuringRead(ObjectReadInterrupted):
    """A read broke, and the reply that was to resume it is of another version of the object
    (its version, checksum or size differ): the bytes are never joined; read it again."""


class GetBatchError(AISError):
    """A GetBatch request (``/v1/ml/moss``) failed as a whole; the message names the batch
    (its size and first entry) and the node that served it."""


class GetBatchUnsupported(GetBatchError):
    """The cluster has no GetBatch endpoint (an AIStore before v1.4, or a proxy in front that
    rejects ``GET /v1/ml/moss``): read the objects one by one instead."""


class GetBatchTooManyMissing(GetBatchError):
    """With continue-on-error, more entries were missing than the cluster allows per request
    (``get_batch.max_soft_errs``, 8 by default in AIStore v1.5.0): the server aborted it."""


class GetBatchIncomplete(GetBatchError):
    """The reply's archive ended, cleanly, before every requested entry was in it: the server
    stopped assembling (a missing entry without continue-on-error, or too many missing with
    it). The message names the first entry not delivered and how many were."""


class GetBatchInterrupted(ObjectReadInterrupted, GetBatchError):
    """The connection broke while a GetBatch archive streamed, and re-requesting the entries
    not yet delivered failed too (or retries ran out); names the batch, the node, the entry
    being read and the byte offset in the reply."""


class ShardFormatError(AISError, tarfile.TarError):
    """A shard is not a complete, well-formed archive (status 0); the message names it and
    the byte offset. Also a :class:`tarfile.TarError`, which code written for the official
    reader (it re-raises ``TarError``) catches."""


class UnexpectedSampleField(AISError):
    """A shard's sample has a field (extension) that samples already yielded lacked and that
    the dataset's member listing did not name (status 0): default collation could drop it
    from a batch, so the reader stops instead. The message names shard, sample and field."""


def parse_error_body(text: str) -> tuple[str, str]:
    """Return ``(message, tcode)`` from an AIStore error body; non-JSON text is the message."""
    text = text.strip()
    if text.startswith("{"):
        try:
            body = json.loads(text)
        except ValueError:
            return text, ""
        if isinstance(body, dict):
            return str(body.get("message") or text), str(body.get("tcode") or "")
    return text, ""


def error_from_reply(
    status: int,
    body: str,
    url: str,
    *,
    path: str = "",
    headers: Mapping[str, str] | None = None,
    etl_name: str | None = None,
) -> AISError:
    """Build the most specific error for one failed reply.

    Args:
        status: HTTP status code (>= 400).
        body: response text; empty for HEAD, whose error JSON is in ``headers["Hdr-Error"]``.
        url: request URL, token-free.
        path: request path relative to ``/v1/`` (e.g. ``"objects/b/o"``), to tell buckets from
            objects when the server's code is generic.
        headers: response headers.
        etl_name: the ETL the request named, if any, so ETL errors can name it.
    """
    if not body.strip() and headers is not None:
        body = headers.get("Hdr-Error", "") or ""
    message, tcode = parse_error_body(body)
    if not message:
        message = f"HTTP {status} with an empty body"
    lowered = message.lower()

    if etl_name and _is_etl_unsupported(status, lowered):
        return ETLNotAvailable(
            f"ETL {etl_name!r} cannot run: this AIStore cluster has no ETL support. AIStore ETL "
            "needs Kubernetes (and aisnode built with the 'etl' build tag); read without "
            f"etl_name, or use a Kubernetes deployment. Server said: {message}",
            status,
            url,
        )
    etl_request = bool(etl_name) or path.startswith("etl")
    if status == 404 and etl_request and tcode not in _NOT_ETL_CODES and "etl" in lowered:
        name = etl_name or path.removeprefix("etl").strip("/") or "?"
        return ETLNotFound(
            f"ETL {name!r} is not running on the cluster; initialise it first "
            f"(ais etl init). Server said: {message}",
            status,
            url,
        )
    if status == 401:
        return AuthenticationRequired(
            f"{message} - this AIStore cluster requires a valid token (none was sent, or it "
            "expired or was not signed by the cluster's key): get one from AuthN and pass "
            "Client(endpoint, token=...)",
            status,
            url,
        )
    if status == 403:
        return AccessDenied(
            f"{message} - the token does not grant this operation; ask for a token whose "
            "role has the permission",
            status,
            url,
        )
    if status == 404:
        if tcode == "ErrBckNotFound" or (not path.startswith("objects/") and "bucket" in lowered):
            return BucketNotFound(message, status, url)
        if path.startswith("objects/"):
            return ObjectNotFound(message, status, url)
    if status == 409 and ("already exists" in lowered or tcode == "ErrBucketAlreadyExists"):
        return BucketAlreadyExists(message, status, url)
    return AISError(message, status, url)


_NOT_ETL_CODES = frozenset({"ErrBckNotFound", "ErrNotFound"})


def _is_etl_unsupported(status: int, lowered_message: str) -> bool:
    """501 "... without ETL support" (build without the etl tag) or 400 "requires Kubernetes"."""
    if status == 501 and "etl" in lowered_message:
        return True
    return status == 400 and "kubernetes" in lowered_message
