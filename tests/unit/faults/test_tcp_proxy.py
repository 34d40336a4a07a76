"""The userspace faulty link: exact, countable drops and added delay, on 127.0.0.1 only."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from aisbench.faults.tcp_proxy import (
    BodyCut,
    FaultyTcpProxy,
    LinkFaults,
    rewrite_reply_head,
    split_reply_head,
)

BODY = bytes(range(256)) * 40  # what /big answers: 10240 bytes


class _Ok(BaseHTTPRequestHandler):
    """``/big``: BODY; ``/moved/<port>``: 301 to 127.0.0.1:<port>/big; else "ok"."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path.startswith("/moved/"):
            self.send_response(301)
            self.send_header("Location", f"http://127.0.0.1:{self.path.split('/')[2]}/big")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = BODY if self.path == "/big" else b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that timed out leaves a broken pipe behind: expected here


@pytest.fixture
def upstream_port() -> Iterator[int]:
    server = _QuietServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_every_second_request_is_dropped_without_a_reply(upstream_port: int) -> None:
    with FaultyTcpProxy(upstream_port, LinkFaults(drop_every=2)) as link, \
            requests.Session() as session:
        assert session.get(link.url, timeout=2).text == "ok"
        with pytest.raises(requests.ConnectionError):
            session.get(link.url, timeout=2)
        assert session.get(link.url, timeout=2).text == "ok"
    assert (link.requests_seen, link.requests_dropped) == (3, 1)


def test_delay_longer_than_the_read_timeout_times_out(upstream_port: int) -> None:
    with FaultyTcpProxy(upstream_port, LinkFaults(delay_s=1.0)) as link, \
            pytest.raises(requests.ReadTimeout):
        requests.get(link.url, timeout=(1.0, 0.3))


def test_proxy_listens_on_loopback_only(upstream_port: int) -> None:
    with FaultyTcpProxy(upstream_port, LinkFaults()) as link:
        assert link.url.startswith("http://127.0.0.1:")


def test_negative_faults_are_refused() -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        LinkFaults(delay_s=-1.0)


def _raw_get(url: str, path: str) -> tuple[bytes, bytes]:
    """``(head, body)`` of one GET read until the link closes: exactly the bytes that came."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    parts = split_reply_head(received)
    assert parts is not None
    return parts


def test_cut_reply_sends_exactly_the_chosen_body_bytes_then_closes(upstream_port: int) -> None:
    faults = LinkFaults(body_cuts=(BodyCut(reply=2, after_bytes=3000),))
    with FaultyTcpProxy(upstream_port, faults) as link:
        assert _raw_get(link.url, "/big")[1] == BODY  # reply 1 passes whole
        head, body = _raw_get(link.url, "/big")
        assert body == BODY[:3000]
        assert b"Content-Length: 10240" in head
        assert _raw_get(link.url, "/big")[1] == BODY
    assert (link.replies_seen, link.bodies_cut) == (3, 1)


def test_cut_reply_breaks_a_requests_read_mid_body(upstream_port: int) -> None:
    faults = LinkFaults(body_cuts=(BodyCut(1, 5000),))
    with FaultyTcpProxy(upstream_port, faults) as link, \
            pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(f"{link.url}/big", timeout=2)


def test_body_no_longer_than_the_cut_passes_whole(upstream_port: int) -> None:
    with FaultyTcpProxy(upstream_port, LinkFaults(body_cuts=(BodyCut(1, len(BODY)),))) as link:
        assert requests.get(f"{link.url}/big", timeout=2).content == BODY
    assert link.bodies_cut == 0


def test_redirect_to_a_linked_port_is_rewritten_to_its_link(upstream_port: int) -> None:
    with FaultyTcpProxy(upstream_port, LinkFaults()) as target_link, \
            FaultyTcpProxy(upstream_port, LinkFaults(),
                           redirects={upstream_port: target_link.port}) as front:
        reply = requests.get(f"{front.url}/moved/{upstream_port}", timeout=2)
    assert reply.content == BODY
    assert reply.url == f"{target_link.url}/big"
    assert target_link.requests_seen == 1


def test_reply_head_gets_connection_close_and_mapped_locations_only() -> None:
    head = (b"HTTP/1.1 301 Moved\r\nConnection: keep-alive\r\n"
            b"Location: http://127.0.0.1:8081/v1/objects/b/o?pid=p\r\nContent-Length: 0")
    assert rewrite_reply_head(head, {8081: 40001}) == (
        b"HTTP/1.1 301 Moved\r\nLocation: http://127.0.0.1:40001/v1/objects/b/o?pid=p\r\n"
        b"Content-Length: 0\r\nConnection: close\r\n\r\n")
    assert b"127.0.0.1:8081/" in rewrite_reply_head(head, {9999: 1})


def test_body_cut_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="reply"):
        BodyCut(reply=0, after_bytes=10)
