"""A GET body that survives a broken connection: Range GETs from the first byte not yet read,
guarded so that bytes of two versions of an object are never joined.

What AIStore v1.5 sends, seen on the real cluster: a GET reply carries ``Ais-Version``,
``Ais-Checksum-Type`` and ``Ais-Checksum-Value`` (of the whole object, on a 206 as well) and
``Content-Length``; a 206 adds ``Content-Range: bytes <first>-<last>/<size>``; there is no
``ETag``. A read of an archive member (``archpath``) carries none of those headers, and AIStore
refuses ``Range`` together with ``archpath`` (400 ErrUnsupp).

The guard is the set of those validators the first reply sent (``ETag`` too, should a server
send one) plus the object's size: a resumed reply must repeat every one of them and start at
exactly the byte asked for, else :class:`ObjectChangedDuringRead` (or, for a reply that ignored
the range, :class:`ObjectReadInterrupted`). A reply without any validator is never resumed by
range: its bytes could not be told apart from a newer version's.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import urllib3

from aisref.client.errors import (
    AISError,
    CertificateNotTrusted,
    ClusterUnreachable,
    ObjectChangedDuringRead,
    ObjectReadInterrupted,
)
from aisref.client.request_client import RequestClient
from aisref.client.stage_clock import RECEIVE, STAGE_CLOCK

# What a broken connection looks like while a body streams, via requests, raw urllib3 or
# (for reads into a buffer) the http.client response beneath urllib3.
STREAM_ERRORS: tuple[type[BaseException], ...] = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
)
VALIDATOR_HEADERS = ("ETag", "Ais-Version", "Ais-Checksum-Type", "Ais-Checksum-Value")
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_RANGE_NOT_SATISFIABLE = 416

# Opens one GET (a single attempt, no retries) with the given Range header, or none.
Reopen = Callable[[str | None], requests.Response]


@dataclass(frozen=True)
class Span:
    """Where a reply's body lies in the object: bytes ``first..last`` (inclusive) of ``size``.

    ``last`` and ``size`` are None when the reply does not say (no length, or re-encoded).
    """

    first: int
    last: int | None
    size: int | None

    @property
    def length(self) -> int | None:
        return None if self.last is None else self.last - self.first + 1


@dataclass(frozen=True)
class ObjectIdentity:
    """What two replies must share for their bytes to be of one version of one object."""

    size: int | None  # bytes of the whole object
    validators: tuple[tuple[str, str], ...]  # (header, value), as the server sent them


def parse_content_range(value: str) -> tuple[int, int, int | None] | None:
    """``"bytes 5000-9999/100000"`` -> ``(5000, 9999, 100000)``; size None for ``*``."""
    match = _CONTENT_RANGE.fullmatch(value.strip())
    if match is None:
        return None
    first, last, size = match.groups()
    return int(first), int(last), None if size == "*" else int(size)


def reply_length(headers: Mapping[str, str]) -> int | None:
    """The body length promised by ``Content-Length``, unless the body is re-encoded."""
    length = headers.get("Content-Length")
    if length is None or headers.get("Content-Encoding"):
        return None
    try:
        return int(length)
    except ValueError:
        return None


def body_span(status: int, headers: Mapping[str, str]) -> Span:
    """The part of the object a reply's body holds: a 206's ``Content-Range``, else all of it."""
    if status == 206:
        parsed = parse_content_range(headers.get("Content-Range", ""))
        if parsed is not None:
            return Span(*parsed)
    length = reply_length(headers)
    return Span(0, None if length is None else length - 1, length)


def identity_of(status: int, headers: Mapping[str, str]) -> ObjectIdentity:
    """The validators a reply carries and the object size it states."""
    validators = tuple((name, headers[name]) for name in VALIDATOR_HEADERS if headers.get(name))
    return ObjectIdentity(body_span(status, headers).size, validators)


def identity_changes(before: ObjectIdentity, after: ObjectIdentity) -> list[str]:
    """How ``after`` differs from ``before``, e.g. ``["Ais-Version '1' -> '2'"]``; [] if same.

    A validator ``before`` had and ``after`` lacks is a change: it can no longer be checked.
    """
    now = dict(after.validators)
    changes = [
        f"{name} {value!r} -> {now.get(name, '(absent)')!r}"
        for name, value in before.validators
        if now.get(name) != value
    ]
    if before.size is not None and after.size != before.size:
        changes.append(f"size {before.size} -> {after.size} bytes")
    return changes


def resume_range(span: Span, delivered: int) -> str:
    """The ``Range`` header that asks for the rest of ``span`` after ``delivered`` bytes."""
    last = "" if span.last is None else str(span.last)
    return f"bytes={span.first + delivered}-{last}"


def range_problem(span: Span, delivered: int, status: int, headers: Mapping[str, str]) -> str:
    """Why a reply to :func:`resume_range` does not continue ``span``; "" when it does."""
    if status != 206:
        return f"it answered the Range GET with HTTP {status}, not 206 Partial Content"
    got = body_span(status, headers)
    if got.first != span.first + delivered or (span.last is not None and got.last != span.last):
        wanted = resume_range(span, delivered).removeprefix("bytes=")
        content_range = headers.get("Content-Range")
        return f"its Content-Range {content_range!r} is not the bytes {wanted} asked for"
    return ""


def node_of(url: str) -> str:
    """``scheme://host:port`` of the node that served ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def readinto_from_reply(raw: urllib3.BaseHTTPResponse, buffer: memoryview) -> int:
    """Read up to ``len(buffer)`` body bytes of ``raw`` into ``buffer``; 0 at the end.

    urllib3's own ``readinto`` reads into a new ``bytes`` and copies it; the
    :class:`http.client.HTTPResponse` beneath it (``raw._fp``, urllib3 2.x) reads from the
    socket straight into ``buffer``. That one is used when the body is not decoded; at the
    body's end the connection goes back to the pool, as urllib3 does when it reads the end.
    """
    below = getattr(raw, "_fp", None)
    if raw.decode_content or not isinstance(below, http.client.HTTPResponse):
        data = raw.read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)
    received = below.readinto(buffer)
    if below.isclosed() and below.length == 0:  # closed as its Content-Length bytes are in
        raw.release_conn()
    return received


class _Break(Exception):
    """The current reply stopped before its end: ``why`` says how; ``last_failure`` how the
    last GET sent to continue it failed, if one did."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why
        self.last_failure = ""


class ResumingBody:
    """The body of one GET, read forwards; when the connection breaks, the rest is fetched with
    a Range GET from the first byte not yet returned, checked against the first reply's
    identity (see the module notes).

    Resumes share the client's :class:`~aisref.client.RetryPolicy`: at most ``max_retries`` per
    read, with its backoff, each counted in ``client.retries_made`` and each a single GET.

    Args:
        reply: the first reply (streaming), status 200 or 206.
        reopen: sends one GET with a given ``Range`` header (or none) for the same object.
        client: whose retry policy, backoff and retry count to use.
        label: the object in messages, e.g. ``"ais://bucket/name"``.
        first_range: the ``Range`` header of the first GET (the caller's byte range), if any.
        unresumable: why this read cannot be resumed by range whatever the reply says (e.g.
            an archive member); "" when it may be.
    """

    def __init__(
        self,
        reply: requests.Response,
        reopen: Reopen,
        client: RequestClient,
        label: str,
        first_range: str | None = None,
        unresumable: str = "",
    ) -> None:
        self._reopen = reopen
        self._client = client
        self._label = label
        self._first_range = first_range
        self._unresumable = unresumable
        self._resumes = 0
        self._reply = reply
        self._start(reply)

    def _start(self, reply: requests.Response) -> None:
        """Take ``reply`` as the first reply of a read from the beginning."""
        self._use(reply)
        self._first = reply  # its span and identity are worked out only after a break
        self._delivered = 0  # bytes of the span returned to the caller

    @property
    def _span(self) -> Span:
        return body_span(self._first.status_code, self._first.headers)

    @property
    def _identity(self) -> ObjectIdentity:
        return identity_of(self._first.status_code, self._first.headers)

    def _use(self, reply: requests.Response) -> None:
        # Undecoded, urllib3 hands back the bytes a cut read got (decoding, it keeps them in
        # its own buffer and raises); without a Content-Encoding both are the same bytes.
        reply.raw.decode_content = bool(reply.headers.get("Content-Encoding"))
        self._reply = reply
        self._expected = reply_length(reply.headers)  # of this reply
        self._received = 0  # of this reply

    @property
    def length(self) -> int | None:
        """Bytes the first reply's body holds (its ``Content-Length``); None when unknown."""
        return reply_length(self._first.headers)

    @property
    def delivered(self) -> int:
        """Bytes returned so far (since the last restart of :meth:`read_all`)."""
        return self._delivered

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end of the body. Resumes after a break."""
        while True:
            try:
                data = self._read_once(size)
            except _Break as brk:
                self._resume(brk)
                continue
            self._delivered += len(data)
            return data

    def readinto(self, buffer: memoryview) -> int:
        """Fill up to ``len(buffer)`` bytes of ``buffer``; 0 at the end of the body. Resumes
        after a break, as :meth:`read`."""
        while True:
            try:
                received = self._read_once_into(buffer)
            except _Break as brk:
                self._resume(brk)
                continue
            self._delivered += received
            return received

    def read_all(self, chunk_size: int) -> bytes:
        """Every byte. As nothing reaches the caller before the end, a reply that cannot be
        resumed by range is read again from the start instead (as the official SDK does)."""
        parts: list[bytes] = []

        def next_chunk() -> int:
            data = self._read_once(chunk_size)
            if data:
                parts.append(data)
            return len(data)

        self._read_whole(next_chunk, parts.clear)
        return b"".join(parts)

    def read_all_into(self, buffer: memoryview) -> int:
        """Every byte, written into ``buffer`` from its start; the number of bytes written.

        As :meth:`read_all` (a reply that cannot be resumed is read again over the same
        bytes). A body longer than ``buffer`` raises :class:`ObjectReadInterrupted`.
        """
        self._read_whole(lambda: self._read_once_into(buffer[self._delivered :]), lambda: None)
        if self._expected is not None and self._received < self._expected:
            self.close()
            raise ObjectReadInterrupted(
                f"reading {self._label}: its body is longer than the {len(buffer)} bytes "
                "its Content-Length announced; read it again",
                0,
                self._reply.url or "",
            )
        return self._delivered

    def _read_whole(self, read_next: Callable[[], int], restarted: Callable[[], None]) -> None:
        """Call ``read_next`` (bytes it delivered) until it delivers none; after a break,
        resume by range, or restart from the first byte (then ``restarted``) when the reply
        cannot be resumed by range."""
        while True:
            try:
                received = read_next()
            except _Break as brk:
                if self._why_unresumable():
                    self._restart(brk)
                    restarted()
                else:
                    self._resume(brk)
                continue
            if not received:
                return
            self._delivered += received

    def close(self) -> None:
        """Release the connection of the current reply."""
        self._reply.close()

    def _read_once(self, size: int) -> bytes:
        if self._expected is not None and self._received >= self._expected:
            return b""  # all in (urllib3 has already put the connection back in the pool)
        previous = STAGE_CLOCK.enter(RECEIVE)
        try:
            data: bytes = self._reply.raw.read1(size)
        except STREAM_ERRORS as err:
            raise _Break(type(err).__name__) from None
        finally:
            STAGE_CLOCK.leave(previous)
        self._count_received(len(data), size)
        return data

    def _read_once_into(self, buffer: memoryview) -> int:
        if self._expected is not None and self._received >= self._expected:
            return 0
        previous = STAGE_CLOCK.enter(RECEIVE)
        try:
            received = readinto_from_reply(self._reply.raw, buffer)
        except STREAM_ERRORS as err:
            raise _Break(type(err).__name__) from None
        finally:
            STAGE_CLOCK.leave(previous)
        self._count_received(received, len(buffer))
        return received

    def _count_received(self, received: int, asked: int) -> None:
        self._received += received
        short = self._expected is not None and self._received < self._expected
        if not received and asked and short:
            raise _Break("the server closed the connection early")

    def _why_unresumable(self) -> str:
        if self._unresumable:
            return self._unresumable
        if self._first.headers.get("Content-Encoding"):
            return "the body is re-encoded (Content-Encoding), so byte offsets are not the object's"
        if not self._identity.validators:
            return (
                "the reply named no version, checksum or ETag to check a resumed reply against"
            )
        return ""

    def _restart(self, brk: _Break) -> None:
        """Read again from the start (read_all of a reply that cannot be resumed by range)."""
        self._next_attempt(brk, "")
        reply = self._try_reopen(self._first_range, brk)
        while reply is None:
            self._next_attempt(brk, "")
            reply = self._try_reopen(self._first_range, brk)
        self._reply.close()
        self._start(reply)

    def _resume(self, brk: _Break) -> None:
        """Continue the body after a break with a Range GET, or raise why it cannot be."""
        why_not = self._why_unresumable()
        if why_not:
            raise self._interrupted(brk, f"it cannot be resumed: {why_not}")
        asked = resume_range(self._span, self._delivered)
        reply = None
        while reply is None:
            self._next_attempt(brk, f" (resuming with Range {asked})")
            reply = self._try_reopen(asked, brk)
        changes = identity_changes(self._identity, identity_of(reply.status_code, reply.headers))
        problem = range_problem(self._span, self._delivered, reply.status_code, reply.headers)
        if changes or problem:
            reply.close()
            if changes:
                raise self._changed(brk, "; ".join(changes), reply.url)
            raise self._interrupted(brk, f"the resumed reply is unusable: {problem}")
        self._reply.close()
        self._use(reply)

    def _next_attempt(self, brk: _Break, what: str) -> None:
        """Back off before the next GET, or raise when the retry policy allows no more."""
        policy = self._client.retry_policy
        if not policy.should_retry(self._resumes):
            made = (
                f"{self._resumes} {'retry' if self._resumes == 1 else 'retries'} made"
                if self._resumes
                else "no retries allowed"
            )
            last = f", the last GET failed: {brk.last_failure}" if brk.last_failure else ""
            raise self._interrupted(
                brk, f"{made} (the client's retries={policy.max_retries}){last}"
            )
        self._resumes = self._client.sleep_before_retry(
            policy, self._resumes, "GET", self._reply.url or "", f"{brk.why}{what}"
        )

    def _try_reopen(self, range_header: str | None, brk: _Break) -> requests.Response | None:
        """One GET; None when it failed in a way the next attempt may not (no reply, 5xx)."""
        try:
            return self._reopen(range_header)
        except CertificateNotTrusted:
            raise
        except ClusterUnreachable as err:
            brk.last_failure = err.message
            return None
        except AISError as err:
            if self._client.retry_policy.is_retryable_status(err.status):
                brk.last_failure = str(err)
                return None
            if err.status == _RANGE_NOT_SATISFIABLE and self._span.last is not None:
                # The bytes asked for lay inside the object: it is shorter now than it was.
                raise self._changed(brk, str(err), err.url) from err
            raise self._interrupted(brk, f"resuming failed: {err}") from err

    def _offset(self) -> int:
        return self._span.first + self._delivered

    def _interrupted(self, brk: _Break, outcome: str) -> ObjectReadInterrupted:
        of = "" if self._span.length is None else f" of {self._span.length}"
        url = self._reply.url or ""
        return ObjectReadInterrupted(
            f"reading {self._label} from node {node_of(url)} stopped after "
            f"{self._delivered}{of} bytes, at byte offset {self._offset()} of the object "
            f"({brk.why}); {outcome} - the connection broke or the server closed it early: "
            "retry the read, or raise the client's retries",
            0,
            url,
        )

    def _changed(self, brk: _Break, changes: str, url: str) -> ObjectChangedDuringRead:
        return ObjectChangedDuringRead(
            f"{self._label} changed while it was being read: the read from node "
            f"{node_of(self._reply.url or '')} broke at byte offset {self._offset()} "
            f"({brk.why}) and the reply to resume it, from node {node_of(url)}, is of another "
            f"version ({changes}); the bytes read so far were not joined to it - read the "
            "object again",
            0,
            url,
        )
