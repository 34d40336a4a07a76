"""A cluster of our own for fault tests: 1 proxy + 3 targets in a tmp state dir, one per session
(tests/integration/conftest.py shares the fixture: imported into each module, it was one per
module). It starts together with the other private clusters (cluster_starts.py).

Fault tests kill and freeze nodes, so they never touch the session's shared cluster
(aisbench.faults.bench stops it, resuming frozen nodes first, even when a test fails).
Every outcome is also kept as a case of one fault run per test session, in the results store
under reports/faults-tests/ (AISBENCH_FAULTS_DIR says otherwise):
``aisbench report <run id> --reports reports/faults-tests`` renders it.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from aisbench.cluster.base import Topology
from aisbench.cluster.binaries import find_binary
from aisbench.faults.bench import FaultBench, fault_bench
from aisbench.results import FaultOutcome, Provenance, ResultStore, fault_case, make_run_id
from aisbench.runner import ResultPaths, RunJournal, collect_provenance
from tests.integration.cluster_starts import ClusterStarts

REPO = Path(__file__).resolve().parents[2]
FAULT_TESTS = ResultPaths(Path(os.environ.get("AISBENCH_FAULTS_DIR",
                                              REPO / "reports" / "faults-tests")))
SCENARIO = "faults-tests"
RUN_ID = make_run_id()  # this session's run
_steps = itertools.count(1)


@contextmanager
def fault_cluster_running(state_dir: Path, ais_home: Path) -> Iterator[FaultBench]:
    """The fault tests' cluster in ``state_dir``, its data put; stopped and removed on exit."""
    aisnode = find_binary("aisnode", ais_home)
    with fault_bench(state_dir, aisnode, Topology(proxies=1, targets=3, mountpaths=1)) as bench:
        yield bench


# One fault cluster for the session: each test heals it (restarts what it killed) before it
# ends, and a second 3-target cluster start costs ~20 s of suite time. Stopped at the end of
# the session, with the other private clusters.
@pytest.fixture(scope="session")
def fault_cluster(private_clusters: ClusterStarts) -> FaultBench:
    bench: FaultBench = private_clusters.get("fault_cluster")
    return bench


def record(outcome: FaultOutcome, extra: Mapping[str, Any] | None = None) -> FaultOutcome:
    """Keep the outcome (and ``extra``, e.g. a soak's series) as a case of this session's
    fault run, for the faults report; hand the outcome back for asserting."""
    with ResultStore(FAULT_TESTS.results_db) as store:
        journal = RunJournal.begin(store, RUN_ID, SCENARIO, _provenance(),
                                   FAULT_TESTS.runs_dir / f"{RUN_ID}.json",
                                   description="the fault tests of one test session")
        journal.record(fault_case(RUN_ID, SCENARIO, replace(outcome, step=next(_steps)),
                                  extra))
        journal.finish()  # a collection of tests, not a suite: it ends with its latest outcome
    return outcome


@functools.cache
def _provenance() -> Provenance:
    return collect_provenance(cluster="local: 1 proxy, 3 targets, 1 mountpath (one per test "
                              "session)", aisnode_version=None, scenario_hash="")
