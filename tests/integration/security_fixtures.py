"""Real clusters with HTTPS or with token checks, one per test module (1 proxy + 1 target).

Each starts in its own state directory on free ports and is stopped at the end of the module.
Tokens come from AIStore's AuthN (built by scripts/setup.sh into .ais/bin/authn).
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aisbench.cluster.authn import ClusterAuth, TokenRequest, issue_token
from aisbench.cluster.base import Topology
from aisbench.cluster.binaries import find_binary
from aisbench.cluster.local import LocalCluster
from aisbench.cluster.tls import TlsFiles, make_self_signed

QUICK = Topology(proxies=1, targets=1, mountpaths=1)


@dataclass(frozen=True)
class SecureCluster:
    """A running cluster and what a client needs to reach it."""

    cluster: LocalCluster
    endpoint: str
    tls: TlsFiles | None = None
    token: str | None = field(default=None, repr=False)
    state_dir: Path = Path()


def _start(cluster: LocalCluster) -> str:
    return cluster.up(QUICK).endpoint


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory: pytest.TempPathFactory,
                ais_home: Path) -> Iterator[SecureCluster]:
    """An HTTPS cluster whose certificate is signed by a CA made for it."""
    root = tmp_path_factory.mktemp("sec-tls")
    tls = make_self_signed(root / "tls")
    cluster = LocalCluster(root / "state", find_aisnode=lambda: find_binary("aisnode", ais_home),
                           tls=tls)
    try:
        yield SecureCluster(cluster, _start(cluster), tls=tls, state_dir=root / "state")
    finally:
        cluster.down(keep_data=False)


@pytest.fixture(scope="module")
def auth_cluster(tmp_path_factory: pytest.TempPathFactory,
                 ais_home: Path) -> Iterator[SecureCluster]:
    """A cluster that requires tokens, and a read-write user's token issued by AuthN."""
    root = tmp_path_factory.mktemp("sec-auth")
    auth = ClusterAuth.generate()
    cluster = LocalCluster(root / "state", find_aisnode=lambda: find_binary("aisnode", ais_home),
                           auth=auth)
    try:
        endpoint = _start(cluster)
        token = issue_token(find_binary("authn", ais_home), root / "authn", auth,
                            TokenRequest(user="bench"))
        yield SecureCluster(cluster, endpoint, token=token, state_dir=root / "state")
    finally:
        cluster.down(keep_data=False)


def make_tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
