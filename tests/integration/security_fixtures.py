"""Real clusters with HTTPS or with token checks, one per test module (1 proxy + 1 target).

Each starts in its own state directory on free ports and is stopped at the end of the module;
both start together with the fault cluster when the first of them is asked for
(cluster_starts.py), so the second costs no wait.
The ports come from blocks of their own (28000+ for TLS, 28500+ for auth), clear of the 21080+
block other test clusters scan, since a port found free can be taken by a concurrent session
before aisnode binds it. Tokens come from AIStore's AuthN (built by scripts/setup.sh).

State lives in a directory of our own, not pytest's tmp_path: a concurrent pytest session
prunes old /tmp/pytest-of-<user>/pytest-N directories, and with them a running cluster's files.
"""

from __future__ import annotations

import io
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aisbench.cluster.authn import ClusterAuth, TokenRequest, issue_token
from aisbench.cluster.base import ClusterError, Topology
from aisbench.cluster.binaries import find_binary
from aisbench.cluster.local import LocalCluster
from aisbench.cluster.ports import find_free_plan, loopback_aliases_present
from aisbench.cluster.tls import TlsFiles, make_self_signed
from tests.integration.cluster_starts import ClusterStarts

QUICK = Topology(proxies=1, targets=1, mountpaths=1)
TLS_PORTS = 28000  # below the ephemeral port range (32768+), see cluster/ports.py
AUTH_PORTS = 28500
_PORT_STEP = 20
_PORT_TRIES = 20


@dataclass(frozen=True)
class SecureCluster:
    """A running cluster and what a client needs to reach it."""

    cluster: LocalCluster
    endpoint: str
    tls: TlsFiles | None = None
    token: str | None = field(default=None, repr=False)


def free_base_port(first: int) -> int:
    """The first base port from `first` (in steps of 20) whose whole plan is free."""
    aliases = loopback_aliases_present()
    for attempt in range(_PORT_TRIES):
        base = first + attempt * _PORT_STEP
        try:
            find_free_plan(QUICK, base, aliases=aliases)
        except ClusterError:
            continue
        return base
    raise ClusterError(f"no free ports in {first}..{first + _PORT_TRIES * _PORT_STEP}")


@contextmanager
def tls_cluster_running(ais_home: Path) -> Iterator[SecureCluster]:
    """An HTTPS cluster whose certificate is signed by a CA made for it."""
    with tempfile.TemporaryDirectory(prefix="aisbench-sec-tls-") as tmp:
        root = Path(tmp)
        tls = make_self_signed(root / "tls")
        cluster = LocalCluster(root / "state",
                               find_aisnode=lambda: find_binary("aisnode", ais_home),
                               base_port=free_base_port(TLS_PORTS), tls=tls)
        try:
            yield SecureCluster(cluster, cluster.up(QUICK).endpoint, tls=tls)
        finally:
            cluster.down(keep_data=False)


@contextmanager
def auth_cluster_running(ais_home: Path) -> Iterator[SecureCluster]:
    """A cluster that requires tokens, and a read-write user's token issued by AuthN."""
    with tempfile.TemporaryDirectory(prefix="aisbench-sec-auth-") as tmp:
        root = Path(tmp)
        auth = ClusterAuth.generate()
        cluster = LocalCluster(root / "state",
                               find_aisnode=lambda: find_binary("aisnode", ais_home),
                               base_port=free_base_port(AUTH_PORTS), auth=auth)
        try:
            endpoint = cluster.up(QUICK).endpoint
            token = issue_token(find_binary("authn", ais_home), root / "authn", auth,
                                TokenRequest(user="bench"))
            yield SecureCluster(cluster, endpoint, token=token)
        finally:
            cluster.down(keep_data=False)


@pytest.fixture(scope="module")
def tls_cluster(private_clusters: ClusterStarts) -> Iterator[SecureCluster]:
    """The HTTPS cluster (tls_cluster_running), for one module."""
    with private_clusters.held("tls_cluster") as cluster:
        yield cluster


@pytest.fixture(scope="module")
def auth_cluster(private_clusters: ClusterStarts) -> Iterator[SecureCluster]:
    """The token-checking cluster (auth_cluster_running), for one module."""
    with private_clusters.held("auth_cluster") as cluster:
        yield cluster


def make_tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
