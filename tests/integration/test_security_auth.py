"""A cluster that requires tokens (issued by AIStore's AuthN): with one the client works,
without one it fails clearly, and the token never leaks into errors, reprs or logs.

aisnode's own logs are not ours and are not checked here.
"""

from __future__ import annotations

import logging
import pickle
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from aisbench import commands
from aisbench.cluster.authn import ClusterAuth, control_token
from aisbench.cluster.select import ClusterSettings
from aisbench.datagen.generate import ensure_dataset
from aisbench.runner import ResultPaths
from aisbench.scenario.dataset import DatasetSpec, SizeRange
from aisref.client import AISError, AuthenticationRequired, Bucket, Client, DataShard
from aisref.pytorch import AISIterDataset, AISMapDataset, AISMultiShardStream, AISShardReader
from tests.integration.security_fixtures import SecureCluster, auth_cluster, make_tar

__all__ = ["auth_cluster"]  # the fixture, imported for pytest

pytestmark = pytest.mark.integration

OBJECTS = {f"auth/obj-{i}.bin": bytes([65 + i]) * (50 + i) for i in range(4)}
SHARD = {"k0.jpg": b"J" * 40, "k0.cls": b"3"}


@pytest.fixture(scope="module")
def auth_bucket(auth_cluster: SecureCluster) -> Iterator[Bucket]:
    bucket = Client(auth_cluster.endpoint, token=auth_cluster.token).bucket(
        f"sec-auth-{uuid.uuid4().hex[:8]}"
    ).create()
    for name, data in OBJECTS.items():
        bucket.object(name).put_content(data)
    bucket.object("shards/k.tar").put_content(make_tar(SHARD))
    try:
        yield bucket
    finally:
        bucket.delete(missing_ok=True)


def _token(cluster: SecureCluster) -> str:
    assert cluster.token is not None
    return cluster.token


def test_client_with_a_token_lists_and_reads(auth_bucket: Bucket) -> None:
    assert {e.name for e in auth_bucket.list_objects_iter(prefix="auth/")} == set(OBJECTS)
    for name, data in OBJECTS.items():
        assert auth_bucket.object(name).get_reader().read_all() == data


def test_listing_without_a_token_raises_authentication_required(
    auth_cluster: SecureCluster, auth_bucket: Bucket
) -> None:
    anonymous = Client(auth_cluster.endpoint).bucket(auth_bucket.name)
    with pytest.raises(AuthenticationRequired) as info:
        list(anonymous.list_objects_iter())
    assert info.value.status == 401
    assert "requires a valid token" in str(info.value)
    assert "Client(endpoint, token=...)" in str(info.value)


def test_reading_without_a_token_raises_authentication_required(
    auth_cluster: SecureCluster, auth_bucket: Bucket
) -> None:
    anonymous = Client(auth_cluster.endpoint).bucket(auth_bucket.name)
    with pytest.raises(AuthenticationRequired):
        anonymous.object("auth/obj-0.bin").get_reader().read_all()


def test_token_signed_with_another_key_is_rejected(
    auth_cluster: SecureCluster, auth_bucket: Bucket
) -> None:
    forged = control_token(ClusterAuth.generate())
    intruder = Client(auth_cluster.endpoint, token=forged).bucket(auth_bucket.name)
    with pytest.raises(AuthenticationRequired):
        intruder.object("auth/obj-0.bin").get_reader().read_all()


def test_datasets_read_with_a_token(auth_bucket: Bucket) -> None:
    mapped = AISMapDataset(auth_bucket, prefix_map={auth_bucket: ["auth/"]})
    assert sorted(mapped[i] for i in range(len(mapped))) == sorted(OBJECTS.items())
    assert sorted(AISIterDataset(auth_bucket, prefix_map={auth_bucket: ["auth/"]})) == sorted(
        OBJECTS.items()
    )
    shards = AISShardReader(auth_bucket, prefix_map={auth_bucket: ["shards/"]})
    assert [(key, dict(fields)) for key, fields in shards] == [
        ("k0", {"jpg": SHARD["k0.jpg"], "cls": SHARD["k0.cls"]})
    ]


def test_get_batch_reads_with_a_token(auth_bucket: Bucket) -> None:
    """The token reaches the designated target the proxy redirects the GetBatch to."""
    mapped = AISMapDataset(auth_bucket, prefix_map={auth_bucket: ["auth/"]})
    assert sorted(mapped.__getitems__(list(range(len(mapped))))) == sorted(OBJECTS.items())
    assert mapped._get_batch is True  # served by GetBatch, not the object-by-object fallback


def test_data_shards_take_the_token_from_ais_authn_token(
    auth_cluster: SecureCluster, auth_bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIS_AUTHN_TOKEN", _token(auth_cluster))
    stream = AISMultiShardStream([DataShard(auth_cluster.endpoint, auth_bucket.name,
                                            prefix="shards/")])
    assert sorted(stream) == sorted((member,) for member in SHARD.values())


def test_cluster_status_is_ready_with_token_checks_on(auth_cluster: SecureCluster) -> None:
    status = auth_cluster.cluster.status()
    assert status is not None and status.ready


def test_token_never_appears_in_errors_reprs_or_debug_logs(
    auth_cluster: SecureCluster, auth_bucket: Bucket, caplog: pytest.LogCaptureFixture
) -> None:
    token = _token(auth_cluster)
    caplog.set_level(logging.DEBUG)
    client = Client(auth_cluster.endpoint, token=token)
    bucket = client.bucket(auth_bucket.name)
    texts = [repr(client), repr(client.request_client), repr(bucket)]
    bucket.object("auth/obj-1.bin").get_reader().read_all()  # redirected: logged at DEBUG
    failures: list[AISError] = []
    for failing in (
        lambda: bucket.object("auth/missing").get_reader().read_all(),  # 404 from the target
        lambda: client.bucket("sec-auth-no-such-bucket").list_objects(),
        lambda: Client("http://127.0.0.1:9", token=token, retries=0).cluster().list_buckets(),
    ):
        with pytest.raises(AISError) as info:
            failing()
        failures.append(info.value)
    for err in failures:
        texts += [str(err), repr(err), err.url, repr(pickle.loads(pickle.dumps(err)))]
    texts += [record.getMessage() for record in caplog.records] + [caplog.text]
    assert caplog.records, "expected DEBUG records to check"
    leaks = [text for text in texts if token in text]
    assert leaks == []


def test_token_never_appears_in_harness_datagen_output(
    auth_cluster: SecureCluster, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    token = _token(auth_cluster)
    monkeypatch.setenv("AIS_AUTHN_TOKEN", token)
    caplog.set_level(logging.DEBUG)
    spec = DatasetSpec(kind="objects", count=10, seed=11, object_size=SizeRange(500, 500))
    info = ensure_dataset(auth_cluster.endpoint, spec, progress=True)
    try:
        captured = capsys.readouterr()
        texts = [repr(info), caplog.text, captured.out, captured.err]
        assert info.objects == 10
        assert [text for text in texts if token in text] == []
    finally:
        Client(auth_cluster.endpoint).bucket(info.bucket).delete(missing_ok=True)


TINY_SCENARIO = """\
name: sec-auth-tiny
description: one short case on a cluster that requires tokens
cluster: {backend: external}
dataset: {kind: objects, count: 40, object_size: 1KiB, seed: 5}
loader: {batch_size: 8}
transform: none
accelerator: {compute_ms_per_batch: 0}
run: {duration_s: 1, warmup_s: 0, repeats: 1}
matrix:
  strategy: [aisref-map]
  loader.num_workers: [0]
"""


def test_token_never_appears_in_a_harness_run_its_results_or_report(
    auth_cluster: SecureCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    token = _token(auth_cluster)
    monkeypatch.setenv("AIS_AUTHN_TOKEN", token)  # how the harness and its cases get it
    caplog.set_level(logging.DEBUG)
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY_SCENARIO)
    lines: list[str] = []
    reports = tmp_path / "reports"
    outcome = commands.run(scenario, ClusterSettings(home=tmp_path / "home",
                                                     endpoint=auth_cluster.endpoint),
                           ResultPaths(reports), report=True, progress=True,
                           log=lines.append)
    assert [(case.status, case.reason) for case in outcome.record.cases] == [("ok", "")]
    written = [p for p in reports.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite" for p in written) and any(p.suffix == ".json"
                                                               for p in written)
    leaks = [str(p) for p in written if token.encode() in p.read_bytes()]
    captured = capsys.readouterr()
    leaks += [text for text in (*lines, caplog.text, captured.out, captured.err) if token in text]
    assert leaks == []
    spec = DatasetSpec(kind="objects", count=40, seed=5, object_size=SizeRange(1024, 1024))
    Client(auth_cluster.endpoint, token=token).bucket(spec.bucket_name).delete(missing_ok=True)


def test_tokens_can_be_issued_again_and_again_for_several_users(
    auth_cluster: SecureCluster, auth_bucket: Bucket, ais_home: Path
) -> None:
    from aisbench.cluster.binaries import find_binary

    authn = find_binary("authn", ais_home)
    # AuthN keeps its users between starts: the second start used to fail to log in as admin.
    tokens = [auth_cluster.cluster.issue_token(user, authn) for user in ("alice", "bob", "alice")]
    for token in tokens:
        bucket = Client(auth_cluster.endpoint, token=token).bucket(auth_bucket.name)
        assert {e.name for e in bucket.list_objects_iter(prefix="auth/")} == set(OBJECTS)
