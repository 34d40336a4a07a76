from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.unit.client.fake_ais import FakeAIS, running_fake


@pytest.fixture
def fake_ais() -> Iterator[FakeAIS]:
    with running_fake() as fake:
        yield fake


@pytest.fixture
def closed_port_url() -> str:
    """http://127.0.0.1:<port> where nothing listens (the port was just released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
