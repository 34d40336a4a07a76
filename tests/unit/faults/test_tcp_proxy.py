"""The userspace faulty link: exact, countable drops and added delay, on 127.0.0.1 only."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from aisbench.faults.tcp_proxy import FaultyTcpProxy, LinkFaults


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

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
