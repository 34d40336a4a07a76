"""An HTTPS cluster: clients that trust its CA work, clients that do not fail clearly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import certifi
import pytest
import requests

from aisbench import commands
from aisbench.cluster.health import ClusterAccess, fetch_smap
from aisbench.cluster.select import ClusterSettings
from aisbench.datagen.generate import ensure_dataset
from aisbench.runner import ResultPaths
from aisbench.scenario.dataset import DatasetSpec, SizeRange
from aisref.client import Bucket, CertificateNotTrusted, Client, DataShard
from aisref.pytorch import AISIterDataset, AISMapDataset, AISMultiShardStream, AISShardReader
from tests.integration.security_fixtures import SecureCluster, make_tar, tls_cluster

__all__ = ["tls_cluster"]  # the fixture, imported for pytest

pytestmark = pytest.mark.integration

OBJECTS = {f"tls/obj-{i}.bin": bytes([i]) * (100 + i) for i in range(5)}
SHARD = {"s0.jpg": b"J" * 50, "s0.cls": b"1", "s1.jpg": b"K" * 60, "s1.cls": b"2"}


@pytest.fixture(scope="module")
def tls_bucket(tls_cluster: SecureCluster) -> Iterator[Bucket]:
    client = Client(tls_cluster.endpoint, verify=str(tls_cluster.tls.ca) if tls_cluster.tls
                    else True)
    bucket = client.bucket(f"sec-tls-{uuid.uuid4().hex[:8]}").create()
    for name, data in OBJECTS.items():
        bucket.object(name).put_content(data)
    bucket.object("shards/a.tar").put_content(make_tar(SHARD))
    try:
        yield bucket
    finally:
        bucket.delete(missing_ok=True)


def test_endpoint_of_a_tls_cluster_is_https(tls_cluster: SecureCluster) -> None:
    assert tls_cluster.endpoint.startswith("https://127.0.0.1:")


def test_client_with_the_ca_bundle_lists_and_reads(tls_bucket: Bucket) -> None:
    listed = {e.name for e in tls_bucket.list_objects_iter(prefix="tls/")}
    assert listed == set(OBJECTS)
    for name, data in OBJECTS.items():
        assert tls_bucket.object(name).get_reader().read_all() == data


def test_client_without_the_ca_bundle_raises_certificate_not_trusted(
    tls_cluster: SecureCluster, tls_bucket: Bucket
) -> None:
    stranger = Client(tls_cluster.endpoint).bucket(tls_bucket.name)
    with pytest.raises(CertificateNotTrusted) as info:
        stranger.object("tls/obj-0.bin").get_reader().read_all()
    message = str(info.value)
    assert "could not be verified" in message
    assert "verify='/path/to/ca.crt'" in message


def test_untrusted_certificate_is_not_retried(tls_cluster: SecureCluster) -> None:
    client = Client(tls_cluster.endpoint, retries=3)
    with pytest.raises(CertificateNotTrusted):
        client.cluster().list_buckets()
    assert client.request_client.retries_made == 0


def test_cluster_status_is_ready_over_https(tls_cluster: SecureCluster) -> None:
    status = tls_cluster.cluster.status()
    assert status is not None and status.ready
    assert status.version is not None and status.version.startswith("5.0")


def test_readiness_checks_use_the_ca_bundle_they_are_given(tls_cluster: SecureCluster) -> None:
    assert tls_cluster.tls is not None
    smap = fetch_smap(tls_cluster.endpoint, access=ClusterAccess(verify=str(tls_cluster.tls.ca)))
    assert len(smap["tmap"]) == 1


def test_map_and_iter_datasets_read_over_https(tls_bucket: Bucket) -> None:
    mapped = AISMapDataset(tls_bucket, prefix_map={tls_bucket: ["tls/"]})
    assert sorted(mapped[i] for i in range(len(mapped))) == sorted(OBJECTS.items())
    iterated = AISIterDataset(tls_bucket, prefix_map={tls_bucket: ["tls/"]})
    assert sorted(iterated) == sorted(OBJECTS.items())


def test_shard_reader_reads_over_https(tls_bucket: Bucket) -> None:
    reader = AISShardReader(tls_bucket, prefix_map={tls_bucket: ["shards/"]})
    samples = {key: dict(fields) for key, fields in reader}
    assert samples == {"s0": {"jpg": SHARD["s0.jpg"], "cls": SHARD["s0.cls"]},
                       "s1": {"jpg": SHARD["s1.jpg"], "cls": SHARD["s1.cls"]}}


def test_data_shards_trust_the_ca_from_requests_ca_bundle(
    tls_cluster: SecureCluster, tls_bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DataShard names its cluster by URL only, as the official API does: trust comes from
    # requests' standard REQUESTS_CA_BUNDLE.
    assert tls_cluster.tls is not None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_cluster.tls.ca))
    stream = AISMultiShardStream([DataShard(tls_cluster.endpoint, tls_bucket.name,
                                            prefix="shards/")])
    assert sorted(stream) == sorted((member,) for member in SHARD.values())


def test_harness_generates_a_dataset_over_https(
    tls_cluster: SecureCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tls_cluster.tls is not None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_cluster.tls.ca))
    spec = DatasetSpec(kind="objects", count=20, seed=7, object_size=SizeRange(1000, 1000))
    info = ensure_dataset(tls_cluster.endpoint, spec, progress=False)
    bucket = Client(tls_cluster.endpoint).bucket(info.bucket)
    try:
        assert info.objects == 20
    finally:
        bucket.delete(missing_ok=True)


TINY_SCENARIO = """\
name: sec-tls-tiny
description: one short case over https
cluster: {backend: external}
dataset: {kind: objects, count: 40, object_size: 1KiB, seed: 3}
loader: {batch_size: 8}
transform: none
accelerator: {compute_ms_per_batch: 0}
run: {duration_s: 1, warmup_s: 0, repeats: 1}
matrix:
  strategy: [aisref-map, official-map, official-iter]
  loader.num_workers: [0]
"""


def test_harness_runs_a_scenario_over_https(
    tls_cluster: SecureCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The whole harness (its requests calls and the case subprocess) trusts the CA through
    # requests' standard REQUESTS_CA_BUNDLE.
    assert tls_cluster.tls is not None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_cluster.tls.ca))
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY_SCENARIO)
    settings = ClusterSettings(home=tmp_path / "home", endpoint=tls_cluster.endpoint)
    outcome = commands.run(scenario, settings, ResultPaths(tmp_path / "reports"),
                           report=False, progress=False, log=lambda line: None)
    assert [(case.status, case.reason) for case in outcome.record.cases] == [("ok", "")] * 3
    assert all(case.repeats[0].samples > 0 for case in outcome.record.cases)


def _official_client(endpoint: str, ca: Path) -> Any:
    """The official SDK's client given the CA, with no retries (it would retry a certificate
    failure 7 times, up to 30 s apart)."""
    from aistore.sdk import Client as OfficialClient
    from aistore.sdk.retry_config import RetryConfig
    from tenacity import Retrying, stop_after_attempt
    from urllib3.util.retry import Retry

    no_retries = RetryConfig(http_retry=Retry(total=0),
                             network_retry=Retrying(stop=stop_after_attempt(1), reraise=True))
    return OfficialClient(endpoint, ca_cert=str(ca), retry_config=no_retries)


def test_official_sdk_ca_cert_loses_to_another_requests_ca_bundle(
    tls_cluster: SecureCluster, tls_bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why `Client(endpoint, ca_cert=CA)` of the official SDK failed on this VM (README, HTTPS):
    REQUESTS_CA_BUNDLE names the system bundle, and requests prefers it to Session.verify."""
    pytest.importorskip("aistore")
    assert tls_cluster.tls is not None
    obj = "tls/obj-1.bin"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        _official_client(tls_cluster.endpoint, tls_cluster.tls.ca).bucket(
            tls_bucket.name).object(obj).get_reader().read_all()
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    sdk = _official_client(tls_cluster.endpoint, tls_cluster.tls.ca)
    assert sdk.bucket(tls_bucket.name).object(obj).get_reader().read_all() == OBJECTS[obj]
    # aisref's verify=CA holds whatever the environment says
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    ours = Client(tls_cluster.endpoint, verify=str(tls_cluster.tls.ca)).bucket(tls_bucket.name)
    assert ours.object(obj).get_reader().read_all() == OBJECTS[obj]
