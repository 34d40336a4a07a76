"""A tiny scripted HTTP server on 127.0.0.1 standing in for AIStore in unit tests."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aisref.client import RequestClient, RetryPolicy


@dataclass
class Reply:
    """What the fake sends. ``cut_after`` sends only that many body bytes, then waits
    ``stall`` seconds and hangs up."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None
    stall: float = 0.0


@dataclass
class Seen:
    """One request the fake received."""

    method: str
    path: str  # with the query string
    headers: dict[str, str]
    body: bytes
    peer: tuple[str, int] = ("", 0)  # the client's address: one per connection


class FakeAIS:
    """Answers each request with the next scripted :class:`Reply` (or ``route(seen)``)."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.replies: deque[Reply] = deque()
        self.route: Callable[[Seen], Reply] | None = None
        self.url = ""

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def answer(self, seen: Seen) -> Reply:
        self.seen.append(seen)
        if self.route is not None:
            return self.route(seen)
        if self.replies:
            return self.replies.popleft()
        return Reply(500, b'{"message":"fake: no reply scripted","status":500}')


def _handler(fake: FakeAIS) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                parts: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _handle(self) -> None:
            seen = Seen(
                self.command, self.path, dict(self.headers.items()), self._body(),
                self.client_address[:2],
            )
            reply = fake.answer(seen)
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.body)))
            if reply.cut_after is not None:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command == "HEAD":
                return
            if reply.cut_after is None:
                self.wfile.write(reply.body)
            else:
                self.wfile.write(reply.body[: reply.cut_after])
                self.wfile.flush()
                time.sleep(reply.stall)
                self.close_connection = True

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

    return Handler


@contextmanager
def running_fake() -> Iterator[FakeAIS]:
    fake = FakeAIS()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def fast_client(endpoint: str, retries: int = 3, token: str | None = None) -> RequestClient:
    """A client whose retries sleep a millisecond, so retry tests stay quick."""
    client = RequestClient(endpoint, timeout=(2.0, 5.0), retries=retries, token=token)
    client.retry_policy = RetryPolicy(max_retries=retries, budget=1.0, base_delay=0.001)
    return client
