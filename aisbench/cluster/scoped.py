"""A cluster for the length of a `with` block: the external one named, untouched, or a local
one on free loopback ports in a scratch directory, stopped and deleted at the end."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aisbench.cluster.base import Topology
from aisbench.cluster.binaries import find_binary
from aisbench.cluster.local import LocalCluster

ONE_PROXY_TWO_TARGETS = Topology(proxies=1, targets=2, mountpaths=1)


@contextmanager
def scoped_cluster(home: Path, external_endpoint: str | None = None, *,
                   topology: Topology = ONE_PROXY_TWO_TARGETS,
                   state_prefix: str = "aisbench-test-cluster-") -> Iterator[str]:
    """The endpoint of ``external_endpoint``'s cluster (never started or stopped), or of a local
    cluster of ``topology`` (aisnode from ``<home>/bin`` or AISNODE_BIN) that lives as long as
    the block."""
    if external_endpoint:
        yield external_endpoint.rstrip("/")
        return
    # Not pytest's tmp_path: a later pytest session prunes old basetemp dirs, and with them the
    # data of a cluster another session still runs.
    state_dir = Path(tempfile.mkdtemp(prefix=state_prefix))
    cluster = LocalCluster(state_dir, find_aisnode=lambda: find_binary("aisnode", home))
    try:
        yield cluster.up(topology).endpoint
    finally:
        cluster.down(keep_data=False)
        shutil.rmtree(state_dir, ignore_errors=True)
