"""A failed read names the node that failed it, not only the endpoint the client was given:
AIStore's proxy redirects object reads to targets, and the target is the one to look at."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aisref.client import Bucket, ClusterUnreachable, ObjectReadInterrupted, RequestClient


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class _Node(BaseHTTPRequestHandler):
    """/redirect/... -> 301 to a dead target; /short/... -> promises 100 bytes, sends 10."""

    dead_port = 0

    def do_GET(self) -> None:
        if "/short" in self.path:
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_response(301)
        self.send_header("Location", f"http://127.0.0.1:{self.dead_port}{self.path}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy_url() -> Iterator[str]:
    _Node.dead_port = _closed_port()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Node)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_unreachable_target_behind_a_redirect_is_named_with_the_object(proxy_url: str) -> None:
    client = RequestClient(proxy_url, timeout=1.0, retries=1, retry_budget=1.0)
    with pytest.raises(ClusterUnreachable) as info:
        Bucket(client, "b").object("redirect/o").get_reader().read_all()
    message = info.value.message
    assert "reading ais://b/redirect/o" in message
    assert f"node http://127.0.0.1:{_Node.dead_port} (redirected there by {proxy_url})" in message
    assert info.value.url.startswith(f"http://127.0.0.1:{_Node.dead_port}/")


def test_body_cut_short_names_the_object_and_the_sending_node(proxy_url: str) -> None:
    client = RequestClient(proxy_url, timeout=1.0, retries=0)
    with pytest.raises(ObjectReadInterrupted) as info:
        Bucket(client, "b").object("short/o").get_reader().read_all()
    assert f"reading ais://b/short/o from node {proxy_url} stopped after" in info.value.message
