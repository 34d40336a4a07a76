"""Streaming reads of one object: whole (``read_all``), chunked (iteration) or as a file."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.structures import CaseInsensitiveDict

from aisref.client.errors import ClusterUnreachable, ObjectReadInterrupted
from aisref.client.request_client import RequestClient

DEFAULT_CHUNK_SIZE = 1 << 20  # bytes

# What a broken connection looks like while a body streams, via requests or raw urllib3.
_STREAM_ERRORS: tuple[type[BaseException], ...] = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    OSError,
)


class ObjectReader:
    """Reads one object (or an archive member, byte range or ETL output of it).

    Every read method sends its own GET with ``stream=True`` and holds at most one network
    chunk beyond what it returns. Unlike the official SDK, whose ``read_all`` is a single
    non-streaming ``GET`` (``response.content``), ``read_all`` here streams too, so the same
    code path (and socket reuse) serves all three ways of reading.

    A connection that breaks mid-body, or a body shorter than its ``Content-Length``, raises
    :class:`~aisref.client.errors.ObjectReadInterrupted` naming the object.
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
        self._open_response: requests.Response | None = None

    @property
    def response_headers(self) -> Mapping[str, str]:
        """Headers of the last GET (empty before the first read)."""
        return self._response_headers

    def _get(self) -> requests.Response:
        headers = {}
        if self.byte_range is not None:
            first, last = self.byte_range
            headers["Range"] = f"bytes={first}-{'' if last is None else last}"
        try:
            response = self.client.request(
                "GET", self.path, params=self.params, headers=headers, stream=True
            )
        except ClusterUnreachable as err:  # keep the subclass (e.g. CertificateNotTrusted)
            raise type(err)(f"reading {self.label}: {err.message}", 0, err.url) from None
        self._response_headers = response.headers
        self._open_response = response
        return response

    def read_all(self) -> bytes:
        """All bytes, streamed in ``chunk_size`` pieces and joined once at the end."""
        return b"".join(self.iter_content())

    def __iter__(self) -> Iterator[bytes]:
        return self.iter_content()

    def iter_content(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """Yield the body in chunks of up to ``chunk_size`` bytes (default: the reader's)."""
        response = self._get()
        received = 0
        try:
            try:
                for chunk in response.iter_content(chunk_size or self.chunk_size):
                    received += len(chunk)
                    yield chunk
            except _STREAM_ERRORS as err:
                raise self._interrupted(received, response, err) from None
            expected = _expected_length(response)
            if expected is not None and received != expected:
                raise self._interrupted(received, response, None)
        finally:
            response.close()

    def raw(self) -> io.BufferedReader:
        """A binary file over the streaming body, for one forward pass (e.g. ``tarfile`` "r|").

        Use it as a context manager (``with reader.raw() as f:``) or call ``close()``: closing
        releases the connection.
        """
        response = self._get()
        return io.BufferedReader(_ResponseStream(self, response), buffer_size=self.chunk_size)

    def close(self) -> None:
        """Release the connection of the last read, if it is still open."""
        if self._open_response is not None:
            self._open_response.close()
            self._open_response = None

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _interrupted(
        self, received: int, response: requests.Response, cause: BaseException | None
    ) -> ObjectReadInterrupted:
        expected = _expected_length(response)
        of = f" of {expected}" if expected is not None else ""
        why = f": {type(cause).__name__}" if cause is not None else ""
        # The node that was sending: after a redirect that is the target, not the endpoint.
        node = urlsplit(response.url or "")
        sender = f" from node {node.scheme}://{node.netloc}" if node.netloc else ""
        return ObjectReadInterrupted(
            f"reading {self.label}{sender} stopped after {received}{of} bytes{why}; the "
            "connection broke or the server closed it early - retry the read",
            0,
            response.url,
        )


class _ResponseStream(io.RawIOBase):
    """``RawIOBase`` over a streaming response's socket; closing it closes the response."""

    def __init__(self, reader: ObjectReader, response: requests.Response) -> None:
        super().__init__()
        self._reader = reader
        self._response = response
        self._received = 0
        self._expected = _expected_length(response)
        response.raw.decode_content = True

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data = self._response.raw.read(len(view))
        except _STREAM_ERRORS as err:
            raise self._reader._interrupted(self._received, self._response, err) from None
        n = len(data)
        view[:n] = data
        self._received += n
        if n == 0 and len(view) and self._expected is not None and self._received < self._expected:
            raise self._reader._interrupted(self._received, self._response, None)
        return n

    def close(self) -> None:
        if not self.closed:
            self._response.close()
        super().close()


def _expected_length(response: requests.Response) -> int | None:
    """The body length promised by ``Content-Length``, unless the body is re-encoded."""
    length = response.headers.get("Content-Length")
    if length is None or response.headers.get("Content-Encoding"):
        return None
    try:
        return int(length)
    except ValueError:
        return None
