"""Cluster helpers, unreachable endpoints and token hygiene against the real cluster."""

from __future__ import annotations

import socket
import uuid

import pytest

from aisref.client import AISError, Client, ClusterUnreachable
from tests.integration.client_fixtures import client

__all__ = ["client"]  # fixtures used below

pytestmark = pytest.mark.integration

TOKEN = "client-test-SECRET-9d1e"


@pytest.fixture
def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_cluster_is_ready(client: Client) -> None:
    assert client.cluster().is_ready()


def test_smap_lists_proxies_and_targets(client: Client) -> None:
    smap = client.cluster().smap()
    assert smap["pmap"]
    assert smap["tmap"]


def test_version_is_reported_as_5(client: Client) -> None:
    assert client.cluster().version().startswith("5.")


def test_unreachable_endpoint_raises_cluster_unreachable_naming_it(closed_port_url: str) -> None:
    unreachable = Client(closed_port_url, timeout=(1.0, 2.0), retries=1)
    with pytest.raises(ClusterUnreachable) as info:
        unreachable.bucket("b").list_objects()
    assert closed_port_url in info.value.message
    assert "connect 1 s, read 2 s" in info.value.message
    assert unreachable.request_client.retries_made == 1


def test_unreachable_cluster_is_not_ready(closed_port_url: str) -> None:
    assert not Client(closed_port_url, timeout=1.0).cluster().is_ready()


def test_token_never_appears_in_server_errors(ais_endpoint: str) -> None:
    with_token = Client(ais_endpoint, token=TOKEN)
    with pytest.raises(AISError) as info:
        with_token.bucket("client-test-none").object("o").get_reader().read_all()
    assert TOKEN not in f"{info.value} {info.value!r} {info.value.url}"


def test_token_never_appears_in_unreachable_errors(closed_port_url: str) -> None:
    with_token = Client(closed_port_url, timeout=1.0, retries=0, token=TOKEN)
    with pytest.raises(ClusterUnreachable) as info:
        with_token.bucket("b").object("o").head()
    assert TOKEN not in f"{info.value} {info.value!r} {info.value.url}"
    assert TOKEN not in repr(with_token) + repr(with_token.request_client)


def test_reading_from_unreachable_endpoint_names_the_object(closed_port_url: str) -> None:
    unreachable = Client(closed_port_url, timeout=1.0, retries=0)
    with pytest.raises(ClusterUnreachable, match=r"reading ais://b/some obj\.bin"):
        unreachable.bucket("b").object("some obj.bin").get_reader().read_all()


def test_client_with_token_works_on_cluster_without_auth(client: Client, ais_endpoint: str) -> None:
    bucket = client.bucket(f"client-test-tok-{uuid.uuid4().hex[:8]}").create()
    try:
        with_token = Client(ais_endpoint, token=TOKEN).bucket(bucket.name)
        with_token.put_object("o", b"payload")
        assert with_token.object("o").get_reader().read_all() == b"payload"
    finally:
        bucket.delete(missing_ok=True)
