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

To reach object bytes anyway, :func:`cluster_link` puts one proxy in front of each target and
one in front of the primary proxy that rewrites the ``Location`` of each redirect to the
target's proxy, so every hop of a read crosses a faulty link. Such a link can also cut a
reply's body after a chosen number of bytes (:class:`BodyCut`), as a connection that breaks
mid-body would. Either makes the link carry one reply per connection (it adds
``Connection: close``), so it can count replies and their bytes without parsing bodies.
"""

from __future__ import annotations

import contextlib
import re
import selectors
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType

_CHUNK = 64 * 1024  # bytes
_HTTP_METHODS = (b"GET ", b"PUT ", b"POST ", b"HEAD ", b"DELETE ", b"PATCH ", b"OPTIONS ")
_POLL_S = 0.1


@dataclass(frozen=True)
class BodyCut:
    """Cut reply number ``reply`` (1-based, in the order replies start on this link) after
    ``after_bytes`` bytes of its body: both connections close there. A body no longer than
    that passes whole."""

    reply: int
    after_bytes: int

    def __post_init__(self) -> None:
        if self.reply < 1 or self.after_bytes < 0:
            raise ValueError(f"BodyCut reply ({self.reply}) must be >= 1 and after_bytes "
                             f"({self.after_bytes}) >= 0")


@dataclass(frozen=True)
class LinkFaults:
    """What the link does to traffic.

    Attributes:
        delay_s: seconds slept before forwarding each chunk, in both directions.
        drop_every: drop every N-th HTTP request (1 drops all, 0 drops none).
        body_cuts: replies whose body the link cuts short, and where.
    """

    delay_s: float = 0.0
    drop_every: int = 0
    body_cuts: tuple[BodyCut, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.delay_s < 0 or self.drop_every < 0:
            raise ValueError(f"delay_s ({self.delay_s}) and drop_every ({self.drop_every}) "
                             "must be >= 0")

    def cut_of(self, reply: int) -> int | None:
        """Body bytes after which reply number ``reply`` is cut, or None."""
        return next((cut.after_bytes for cut in self.body_cuts if cut.reply == reply), None)


_HEAD_END = b"\r\n\r\n"
_CONNECTION_LINE = re.compile(rb"\r\nconnection:[^\r]*", re.IGNORECASE)
_LOCATION_PORT = re.compile(rb"(\r\nlocation:\s*https?://)[^/:\r]+:(\d+)", re.IGNORECASE)


def split_reply_head(buffer: bytes) -> tuple[bytes, bytes] | None:
    """``(status line and headers up to the blank line, the body bytes after it)``, or None
    while the head is not complete."""
    end = buffer.find(_HEAD_END)
    if end < 0:
        return None
    return buffer[:end], buffer[end + len(_HEAD_END):]


def rewrite_reply_head(head: bytes, redirects: Mapping[int, int]) -> bytes:
    """``head`` (without its blank line) with ``Connection: close`` and each ``Location`` to a
    port in ``redirects`` pointed at ``127.0.0.1:<redirects[port]>``; blank line added."""
    def to_link(match: re.Match[bytes]) -> bytes:
        port = int(match.group(2))
        if port not in redirects:
            return match.group(0)
        return match.group(1) + f"127.0.0.1:{redirects[port]}".encode()

    head = _LOCATION_PORT.sub(to_link, _CONNECTION_LINE.sub(b"", head))
    return head + b"\r\nConnection: close" + _HEAD_END


@dataclass
class _Reply:
    """Where one connection's reply stands, as it passes upstream -> client."""

    head: bytes = b""
    number: int = 0  # 0 until the head is complete
    body_sent: int = 0
    cut_at: int | None = None


class FaultyTcpProxy:
    """Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:``upstream_port``.

    Use as a context manager; :attr:`url` is ``http://127.0.0.1:<port>``. :attr:`requests_seen`
    and :attr:`requests_dropped` count HTTP requests (a chunk that starts with a method name);
    with body cuts or redirects, :attr:`replies_seen` and :attr:`bodies_cut` count replies.

    Args:
        upstream_port: the node behind the link.
        faults: what the link does.
        redirects: ``{node port: link port}``; a reply's ``Location`` to a node port is
            rewritten to the link's, so a redirected request crosses that link too.
    """

    def __init__(self, upstream_port: int, faults: LinkFaults,
                 redirects: Mapping[int, int] | None = None) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.faults = faults
        self.redirects = dict(redirects or {})
        self.requests_seen = 0
        self.requests_dropped = 0
        self.replies_seen = 0
        self.bodies_cut = 0
        self._per_reply = bool(faults.body_cuts or self.redirects)
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

    def _next_reply(self) -> int:
        with self._lock:
            self.replies_seen += 1
            return self.replies_seen

    def _to_client(self, reply: _Reply, chunk: bytes, client: socket.socket) -> bool:
        """Forward upstream bytes of ``reply``; False once the link has cut it."""
        if reply.number == 0:
            parts = split_reply_head(reply.head + chunk)
            if parts is None:
                reply.head += chunk
                return True
            head, chunk = parts
            reply.number = self._next_reply()
            reply.cut_at = self.faults.cut_of(reply.number)
            client.sendall(rewrite_reply_head(head, self.redirects))
        if reply.cut_at is not None and reply.body_sent + len(chunk) > reply.cut_at:
            client.sendall(chunk[:reply.cut_at - reply.body_sent])
            with self._lock:
                self.bodies_cut += 1
            return False
        client.sendall(chunk)
        reply.body_sent += len(chunk)
        return True

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=5.0)
        except OSError:
            client.close()
            return
        peer = {client: upstream, upstream: client}
        reply = _Reply()
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
                        if source is upstream and self._per_reply:
                            if not self._to_client(reply, chunk, client):
                                return  # cut: closing both ends breaks the body mid-way
                        else:
                            peer[source].sendall(chunk)
                    except OSError:
                        return


@dataclass
class ClusterLink:
    """Faulty links in front of a cluster's primary proxy and each of its targets."""

    primary: FaultyTcpProxy
    targets: dict[int, FaultyTcpProxy]  # target port -> its link

    @property
    def url(self) -> str:
        """The endpoint to give a client: the primary proxy's link."""
        return self.primary.url

    @property
    def target_requests(self) -> int:
        """HTTP requests that reached targets through their links."""
        return sum(link.requests_seen for link in self.targets.values())

    @property
    def bodies_cut(self) -> int:
        return self.primary.bodies_cut + sum(link.bodies_cut for link in self.targets.values())


@contextlib.contextmanager
def cluster_link(primary_port: int, target_ports: Sequence[int], target_faults: LinkFaults,
                 primary_faults: LinkFaults | None = None) -> Iterator[ClusterLink]:
    """One link per target (with ``target_faults``) and one in front of the primary proxy
    whose redirects lead to them: every hop of an object read crosses a faulty link."""
    with contextlib.ExitStack() as stack:
        targets = {port: stack.enter_context(FaultyTcpProxy(port, target_faults))
                   for port in target_ports}
        primary = stack.enter_context(FaultyTcpProxy(
            primary_port, primary_faults or LinkFaults(),
            redirects={port: link.port for port, link in targets.items()}))
        yield ClusterLink(primary, targets)
