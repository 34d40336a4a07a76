"""A slow, lossy TCP link in userspace: a proxy on 127.0.0.1 in front of one AIStore node.

Where the kernel's netem is missing (no sch_netem module), this stands in for it. It forwards
bytes between a client and ``127.0.0.1:<upstream_port>``, sleeping ``delay_s`` before each chunk
it forwards (either direction), and drops every ``drop_every``-th HTTP request: it closes the
connection instead of forwarding it, as a lost link would, so the client sees a disconnect with
no reply. Drops are deterministic (by count, not chance), so a test can assert the exact number
of retries.

What it covers, placed in front of the primary proxy: every request's first hop - listings,
bucket calls, HEAD and the GET that the proxy answers with a redirect. What it does NOT cover:
AIStore redirects object GETs/PUTs to the target's own URL (from the cluster map), so object
bytes flow from the target straight to the client, around this proxy. Delaying those would need
one such proxy per target *and* targets that advertise the proxies' ports - a cluster configured
for it - or netem on the loopback device (see netem.py).
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from dataclasses import dataclass
from types import TracebackType

_CHUNK = 64 * 1024  # bytes
_HTTP_METHODS = (b"GET ", b"PUT ", b"POST ", b"HEAD ", b"DELETE ", b"PATCH ", b"OPTIONS ")
_POLL_S = 0.1


@dataclass(frozen=True)
class LinkFaults:
    """What the link does to traffic.

    Attributes:
        delay_s: seconds slept before forwarding each chunk, in both directions.
        drop_every: drop every N-th HTTP request (1 drops all, 0 drops none).
    """

    delay_s: float = 0.0
    drop_every: int = 0

    def __post_init__(self) -> None:
        if self.delay_s < 0 or self.drop_every < 0:
            raise ValueError(f"delay_s ({self.delay_s}) and drop_every ({self.drop_every}) "
                             "must be >= 0")


class FaultyTcpProxy:
    """Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:``upstream_port``.

    Use as a context manager; :attr:`url` is ``http://127.0.0.1:<port>``. :attr:`requests_seen`
    and :attr:`requests_dropped` count HTTP requests (a chunk that starts with a method name).
    """

    def __init__(self, upstream_port: int, faults: LinkFaults) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.faults = faults
        self.requests_seen = 0
        self.requests_dropped = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(_POLL_S)
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultyTcpProxy:
        self._spawn(self._accept_loop)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop accepting, close every connection, and join the threads."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5.0)
        self._listener.close()

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True,  # type: ignore[arg-type]
                                  name="faulty-tcp-proxy")
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._serve, client)

    def _should_drop(self, chunk: bytes) -> bool:
        if not chunk.startswith(_HTTP_METHODS):
            return False  # a body (or the rest of a request) belongs to a request already counted
        with self._lock:
            self.requests_seen += 1
            every = self.faults.drop_every
            drop = every > 0 and self.requests_seen % every == 0
            if drop:
                self.requests_dropped += 1
            return drop

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=5.0)
        except OSError:
            client.close()
            return
        peer = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector, client, upstream:
            selector.register(client, selectors.EVENT_READ)
            selector.register(upstream, selectors.EVENT_READ)
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=_POLL_S):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        chunk = source.recv(_CHUNK)
                    except OSError:
                        return
                    if not chunk:
                        return
                    if source is client and self._should_drop(chunk):
                        # A lost request: the client's connection ends with no reply.
                        with contextlib.suppress(OSError):
                            client.shutdown(socket.SHUT_RDWR)
                        return
                    if self.faults.delay_s:
                        time.sleep(self.faults.delay_s)
                    try:
                        peer[source].sendall(chunk)
                    except OSError:
                        return
