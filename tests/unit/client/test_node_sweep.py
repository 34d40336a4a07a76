"""The sweep a broken GetBatch adds to its error: which targets do not answer right now."""

from __future__ import annotations

import json

from aisref.client.node_sweep import target_urls, unreachable_targets
from tests.unit.client.fake_ais import FakeAIS, Reply, Seen, fast_client


def _smap(targets: dict[str, str]) -> bytes:
    return json.dumps({"tmap": {node_id: {"public_net": {"direct_url": url}}
                                for node_id, url in targets.items()}}).encode()


def test_target_urls_come_from_the_cluster_maps_tmap() -> None:
    smap = json.loads(_smap({"t1": "http://127.0.0.1:1", "t2": "http://127.0.0.1:2"}))
    assert target_urls(smap) == {"t1": "http://127.0.0.1:1", "t2": "http://127.0.0.1:2"}
    assert target_urls({}) == {}


def test_only_the_target_that_does_not_answer_is_named_with_its_url_and_why(
        fake_ais: FakeAIS, closed_port_url: str) -> None:
    smap = _smap({"t-alive": fake_ais.url, "t-dead": closed_port_url})

    def route(seen: Seen) -> Reply:
        return Reply(200, smap) if "what=smap" in seen.path else Reply(200)

    fake_ais.route = route
    assert unreachable_targets(fast_client(fake_ais.url)) == [
        f"t-dead ({closed_port_url}: connection refused)"]
    assert any(seen.path.startswith("/v1/health") for seen in fake_ais.seen)  # t-alive asked


def test_no_cluster_map_means_no_diagnosis_rather_than_a_second_error(fake_ais: FakeAIS) -> None:
    fake_ais.route = lambda seen: Reply(503)
    assert unreachable_targets(fast_client(fake_ais.url)) == []
