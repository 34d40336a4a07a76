"""Streaming reads of one object: whole (``read_all``), chunked (iteration) or as a file."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, TypeVar

import requests
from requests.structures import CaseInsensitiveDict

from aisref.client.config import QPARAM_ARCHPATH, QPARAM_ARCHREGX, QPARAM_ETL_NAME
from aisref.client.errors import ClusterUnreachable, ObjectReadInterrupted
from aisref.client.request_client import RequestClient
from aisref.client.resume import ResumingBody
from aisref.client.stage_clock import FIRST_BYTE, STAGE_CLOCK

DEFAULT_CHUNK_SIZE = 1 << 20  # bytes

Owner = TypeVar("Owner")
# Makes a buffer of a given number of bytes: what owns it (e.g. a tensor) and a writable
# byte view of its memory.
Allocate = Callable[[int], tuple[Owner, memoryview]]


class ObjectReader:
    """Reads one object (or an archive member, byte range or ETL output of it).

    Every read method sends its own GET with ``stream=True`` and holds at most one network
    chunk beyond what it returns. Unlike the official SDK, whose ``read_all`` is a single
    non-streaming ``GET`` (``response.content``), ``read_all`` here streams too, so the same
    code path (and socket reuse) serves all three ways of reading.

    A connection that breaks mid-body (or a body shorter than its ``Content-Length``) is
    resumed: a Range GET for the rest, from the first byte not yet returned (inside the
    caller's ``byte_range``, if one was given), checked to be of the same object version
    (``Ais-Version``, ``Ais-Checksum-*``, size; see :mod:`aisref.client.resume`). At most the
    client's ``retries`` resumes per read, with its backoff. Archive members and ETL output
    cannot be fetched by range: ``read_all`` reads them again from the start instead, and a
    stream of them is not resumed. When resuming is not possible or runs out,
    :class:`~aisref.client.errors.ObjectReadInterrupted` names the object, the node and the
    byte offset; a changed object raises
    :class:`~aisref.client.errors.ObjectChangedDuringRead`.
    """

    def __init__(
        self,
        client: RequestClient,
        path: str,
        params: Mapping[str, str],
        label: str,
        byte_range: tuple[int, int | None] | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1 byte, got {chunk_size}")
        if byte_range is not None:
            first, last = byte_range
            if first < 0 or (last is not None and last < first):
                raise ValueError(
                    f"byte_range {byte_range} of {label} must be (first >= 0, last >= first)"
                )
        self.client = client
        self.path = path
        self.params = dict(params)
        self.label = label
        self.byte_range = byte_range
        self.chunk_size = chunk_size
        self._response_headers: Mapping[str, str] = CaseInsensitiveDict()
        self._open: ResumingBody | None = None

    @property
    def response_headers(self) -> Mapping[str, str]:
        """Headers of the first GET of the last read (empty before the first read)."""
        return self._response_headers

    def _range_header(self) -> str | None:
        if self.byte_range is None:
            return None
        first, last = self.byte_range
        return f"bytes={first}-{'' if last is None else last}"

    def _request(self, range_header: str | None, retry: bool = True) -> requests.Response:
        headers = {"Range": range_header} if range_header else {}
        previous = STAGE_CLOCK.enter(FIRST_BYTE)
        try:
            return self.client.request(
                "GET", self.path, params=self.params, headers=headers, stream=True, retry=retry
            )
        finally:
            STAGE_CLOCK.leave(previous)

    def _open_body(self) -> ResumingBody:
        """The first GET of a read, as a body that resumes after a break."""
        first_range = self._range_header()
        try:
            response = self._request(first_range)
        except ClusterUnreachable as err:  # keep the subclass (e.g. CertificateNotTrusted)
            raise type(err)(f"reading {self.label}: {err.message}", 0, err.url) from None
        self._response_headers = response.headers
        body = ResumingBody(
            response,
            lambda range_header: self._request(range_header, retry=False),
            self.client,
            self.label,
            first_range=first_range,
            unresumable=_why_not_by_range(self.params),
        )
        self._open = body
        return body

    def read_all(self) -> bytes:
        """All bytes, streamed in ``chunk_size`` pieces and joined once at the end."""
        body = self._open_body()
        try:
            return body.read_all(self.chunk_size)
        finally:
            body.close()

    def read_all_into(self, allocate: Allocate[Owner]) -> Owner:
        """All bytes, read from the socket straight into a buffer of the body's size.

        ``allocate(size)`` is called once the reply's headers are in, with its
        ``Content-Length`` in bytes, and returns ``(owner, view)``: e.g. a ``torch.uint8``
        tensor and a memoryview of its memory. No ``bytes`` of the whole body is made. A
        break is resumed into the same buffer (see the class notes). A reply without a
        length (re-encoded) is read as :meth:`read_all` and copied in once.
        """
        body = self._open_body()
        try:
            size = body.length
            if size is None:
                data = body.read_all(self.chunk_size)
                owner, view = allocate(len(data))
                view.cast("B")[:] = data
                return owner
            owner, view = allocate(size)
            written = body.read_all_into(view.cast("B"))
            if written != size:  # a reply read again from the start was shorter
                raise ObjectReadInterrupted(
                    f"reading {self.label}: {written} bytes arrived of the {size} its first "
                    "reply announced; read it again",
                    0,
                    "",
                )
            return owner
        finally:
            body.close()

    def __iter__(self) -> Iterator[bytes]:
        return self.iter_content()

    def iter_content(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """Yield the body in chunks of up to ``chunk_size`` bytes (default: the reader's)."""
        size = chunk_size or self.chunk_size
        body = self._open_body()
        try:
            while chunk := body.read(size):
                yield chunk
        finally:
            body.close()

    def raw(self) -> io.BufferedReader:
        """A binary file over the streaming body, for one forward pass (e.g. ``tarfile`` "r|").

        Use it as a context manager (``with reader.raw() as f:``) or call ``close()``: closing
        releases the connection. A break is resumed underneath, so a parser reading it (e.g.
        the shard readers' tar parser) sees every byte exactly once.
        """
        return io.BufferedReader(_BodyStream(self._open_body()), buffer_size=self.chunk_size)

    def close(self) -> None:
        """Release the connection of the last read, if it is still open."""
        if self._open is not None:
            self._open.close()
            self._open = None

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_NOT_BY_RANGE = {
    QPARAM_ARCHPATH: "AIStore does not range-read archive members",
    QPARAM_ARCHREGX: "AIStore does not range-read archive members",
    QPARAM_ETL_NAME: "ETL output is made anew by each GET, so its byte offsets may not repeat",
}


def _why_not_by_range(params: Mapping[str, str]) -> str:
    """Why a GET with these query parameters cannot be resumed by range; "" if it can."""
    return next((why for name, why in _NOT_BY_RANGE.items() if params.get(name)), "")


class _BodyStream(io.RawIOBase):
    """``RawIOBase`` over a resuming body; closing it releases the connection."""

    def __init__(self, body: ResumingBody) -> None:
        super().__init__()
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._body.read(len(view))
        n = len(data)
        view[:n] = data
        return n

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()
