"""The byte framing of a GetBatch reply: a counted socket stream, the multipart form's two parts.

AIStore v1.5.0 answers ``GET /v1/ml/moss`` in one of two forms (``api/ml.go``, ``ais/ml.go``):

- ``strm: true``: the body *is* the archive (``Content-Type: application/x-tar`` or another
  ``application/...``), written while it is assembled.
- ``strm: false``: ``multipart/mixed; boundary=...`` with a part named ``metadata`` (JSON
  ``MossResp``) and then a part named ``archive`` (the tar).

Both are read forwards only, through :class:`CountingStream`, which counts the bytes taken
from the socket (for errors that name an offset) and turns a broken connection into
:class:`StreamBroken`. :class:`MultipartReader` splits the multipart body without holding
more than one read buffer: the archive part is handed to the tar parser as a stream.
"""

from __future__ import annotations

import io
import re
import zlib
from typing import Any

import requests
import urllib3

from aisref.client.stage_clock import RECEIVE, STAGE_CLOCK

READ_BUFFER = 1 << 20  # bytes; one socket read at most, the only memory a stream holds
# What a broken connection looks like while a body streams, via requests or raw urllib3.
_STREAM_ERRORS: tuple[type[BaseException], ...] = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    OSError,
)
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_PART_NAME = re.compile(rb'name="([^"]*)"', re.IGNORECASE)
_MAX_PART_HEADERS = 16 << 10  # bytes; longer part headers mean this is not the framing we know


class StreamBroken(Exception):
    """The reply stopped mid-way: the connection broke (``why`` says how) at byte ``offset``."""

    def __init__(self, why: str, offset: int) -> None:
        super().__init__(f"{why} at byte {offset}")
        self.why = why
        self.offset = offset


class FramingError(ValueError):
    """The reply is not framed as AIStore frames GetBatch replies (the message says how)."""


class CountingStream(io.RawIOBase):
    """The raw body of a streaming ``requests`` reply: counts bytes, reports breaks.

    ``offset`` is the number of bytes read from the socket so far; ``at_eof`` is True once
    the body ended cleanly. Closing releases the connection.
    """

    def __init__(self, response: requests.Response) -> None:
        super().__init__()
        self._response = response
        self.offset = 0
        self.at_eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        previous = STAGE_CLOCK.enter(RECEIVE)
        try:
            data: bytes = self._response.raw.read1(len(view))
        except _STREAM_ERRORS as err:
            raise StreamBroken(type(err).__name__, self.offset) from err
        finally:
            STAGE_CLOCK.leave(previous)
        n = len(data)
        if not n and len(view):
            self.at_eof = True
        view[:n] = data
        self.offset += n
        return n

    def close(self) -> None:
        if not self.closed:
            self._response.close()
        super().close()


def buffered(stream: io.RawIOBase) -> io.BufferedReader:
    """``stream`` behind one read buffer, so the tar parser's 512-byte reads stay cheap."""
    return io.BufferedReader(stream, buffer_size=READ_BUFFER)


class GunzipStream(io.RawIOBase):
    """The decompressed bytes of a gzip stream (``.tgz``/``.tar.gz`` batches), forwards only."""

    def __init__(self, compressed: io.BufferedReader) -> None:
        super().__init__()
        self._compressed = compressed
        self._inflate = zlib.decompressobj(wbits=31)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while True:
            data = self._inflate.decompress(self._inflate.unconsumed_tail, len(view))
            if not data and not self._inflate.eof:
                chunk = self._compressed.read1(READ_BUFFER)
                if not chunk:
                    return 0
                data = self._inflate.decompress(chunk, len(view))
            if data or self._inflate.eof:
                view[: len(data)] = data
                return len(data)


def multipart_boundary(content_type: str) -> str:
    """The boundary of a ``multipart/...`` Content-Type.

    Raises:
        FramingError: not multipart, or no boundary.
    """
    match = _BOUNDARY.search(content_type)
    if not content_type.lower().startswith("multipart/") or match is None:
        raise FramingError(f"expected a multipart reply, got Content-Type {content_type!r}")
    return match.group(1)


class MultipartReader:
    """The parts of one multipart body, in order, each readable as a stream.

    Args:
        stream: the body, positioned at its start.
        boundary: from the reply's Content-Type (:func:`multipart_boundary`).
    """

    def __init__(self, stream: io.BufferedReader, boundary: str) -> None:
        self._stream = stream
        self._delimiter = b"\r\n--" + boundary.encode("ascii")
        self._buffer = b"\r\n"  # the first delimiter has no CRLF before it: lend it one
        self._in_part = False
        self._done = False

    def _fill(self, at_least: int) -> bool:
        """Read until the buffer holds ``at_least`` bytes; False if the body ended first."""
        while len(self._buffer) < at_least:
            chunk = self._stream.read1(READ_BUFFER)
            if not chunk:
                return False
            self._buffer += chunk
        return True

    def next_part(self) -> tuple[str, PartStream] | None:
        """``(name, stream)`` of the next part (its ``Content-Disposition`` name), or None
        after the closing delimiter. The previous part is skipped to its end first."""
        while self._in_part:
            self.read_part(READ_BUFFER)
        if self._done:
            return None
        if not self._fill(len(self._delimiter) + 2) or not self._buffer.startswith(self._delimiter):
            raise FramingError("the multipart body does not start with its boundary")
        rest = self._buffer[len(self._delimiter) :]
        if rest.startswith(b"--"):
            self._done = True
            return None
        end = -1
        while (end := rest.find(b"\r\n\r\n")) < 0:
            if len(rest) > _MAX_PART_HEADERS or not self._fill(len(self._buffer) + 1):
                raise FramingError("a multipart part's headers do not end")
            rest = self._buffer[len(self._delimiter) :]
        headers = rest[:end]
        self._buffer = rest[end + 4 :]
        self._in_part = True
        name = _PART_NAME.search(headers)
        return (name.group(1).decode() if name else ""), PartStream(self)

    def read_part(self, size: int) -> bytes:
        """Up to ``size`` bytes of the current part; b"" at its end."""
        if not self._in_part:
            return b""
        keep = len(self._delimiter) - 1  # a delimiter may straddle two reads
        while True:
            found = self._buffer.find(self._delimiter)
            if found == 0:  # the part ends here; the delimiter stays for next_part
                self._in_part = False
                return b""
            if found > 0:
                take = min(size, found)
                data, self._buffer = self._buffer[:take], self._buffer[take:]
                return data
            if len(self._buffer) > keep:
                take = min(size, len(self._buffer) - keep)
                data, self._buffer = self._buffer[:take], self._buffer[take:]
                return data
            if not self._fill(len(self._buffer) + 1):
                raise FramingError("the multipart body ended inside a part")


class PartStream(io.RawIOBase):
    """One part of a :class:`MultipartReader`'s body, as a raw stream."""

    def __init__(self, reader: MultipartReader) -> None:
        super().__init__()
        self._reader = reader

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._reader.read_part(len(view))
        view[: len(data)] = data
        return len(data)

    def read_all(self, limit: int) -> bytes:
        """The whole part; FramingError if it is longer than ``limit`` bytes."""
        parts: list[bytes] = []
        total = 0
        while chunk := self._reader.read_part(READ_BUFFER):
            total += len(chunk)
            if total > limit:
                raise FramingError(f"a multipart part is longer than {limit} bytes")
            parts.append(chunk)
        return b"".join(parts)
