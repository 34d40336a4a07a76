"""Run a faults scenario: every fault it names, on a cluster of its own, recorded as it goes.

The order (the registry's, registry.py): for each dataset and worker count, a clean baseline
epoch, then the epoch faults (kill and restart, kill for good, slow link) timed against it;
then the bench faults (freeze, kill while streaming, the corrupt shards, the runner kill), the
soak, and last the faults on clusters of their own (netem, inside a network namespace). A fault
run is a run like a measuring one: each outcome is a case result kept by the runner's journal in
the one results store and the run's JSON the moment it exists, so a crash keeps what was
measured and the report renders from it.

A step whose fault machinery fails (a node that will not restart) is recorded as a HARNESS
ERROR naming the step, and stops the suite: the cluster is in an unknown state. SIGTERM (a CI
timeout) and Ctrl-C stop it the same way, cleanly: nodes stopped, ``stopped`` written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import signal
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from aisbench.cluster import LocalCluster, find_binary
from aisbench.faults.bench import FaultBench, fault_bench
from aisbench.faults.epoch_run import baseline, with_baseline
from aisbench.faults.id_loaders import dataset_kind, persistent_loader
from aisbench.faults.kinds import (
    BenchFault,
    BenchSite,
    EpochFault,
    FaultKind,
    FaultSettings,
    Judged,
    OwnClusterFault,
    Step,
)
from aisbench.faults.registry import FAULT_KINDS
from aisbench.faults.scenario import FaultScenario, SoakSettings
from aisbench.faults.soak import SOAK_SERIES, series_to_dict, soak_epochs, soak_outcome, trends
from aisbench.results import (
    HARNESS_ERROR,
    SKIPPED,
    FaultOutcome,
    ResultStore,
    RunRecord,
    fault_case,
    make_run_id,
)
from aisbench.runner import INTERRUPTED, ResultPaths, RunJournal, collect_provenance
from aisbench.scenario import canonical_sha256

Log = Callable[[str], None]
STATE_PREFIX = "faults-"  # <home>/state/faults-<run id>: one suite's clusters


@dataclass(frozen=True)
class FaultSuiteResult:
    """The run as stored, and its report folder (the nodes' logs of a failed run are there)."""

    record: RunRecord
    report_dir: Path

    @property
    def outcomes(self) -> tuple[FaultOutcome, ...]:
        return self.record.verdicts

    @property
    def stopped(self) -> str | None:
        return self.record.stopped

    @property
    def failures(self) -> tuple[FaultOutcome, ...]:
        """Violations, faults never felt and harness errors: anything not proven."""
        return tuple(o for o in self.outcomes if o.failed)

    @property
    def judged(self) -> int:
        return sum(o.outcome != SKIPPED for o in self.outcomes)


def run_fault_suite(scenario: FaultScenario, home: Path, paths: ResultPaths,
                    log: Log = print) -> FaultSuiteResult:
    """Run every fault of ``scenario``, kept in ``paths``' store and run JSON; its report
    folder is ``<reports>/<name>-<run id>``."""
    run_id = make_run_id()
    report_dir = paths.report_dir(f"{scenario.name}-{run_id}")
    aisnode = find_binary("aisnode", home)
    stop_stale_clusters(home / "state", aisnode, log)
    provenance = collect_provenance(cluster=_cluster_label(scenario), aisnode_version=None,
                                    scenario_hash=canonical_sha256(scenario.settings()))
    state_root = home / "state" / f"{STATE_PREFIX}{run_id}"
    stopped: str | None = None
    with ResultStore(paths.results_db) as store:
        journal = RunJournal.begin(store, run_id, scenario.name, provenance,
                                   paths.runs_dir / f"{run_id}.json",
                                   description=scenario.description,
                                   settings=scenario.settings())
        log(f"faults run {run_id}: a local cluster of its own ({provenance.cluster}); results "
            f"in {journal.json_path}")
        recorder = _Recorder(journal, scenario.name, log)
        try:
            with _sigterm_as_interrupt():
                with fault_bench(state_root / "cluster", aisnode, scenario.topology,
                                 scenario.shape) as bench:
                    journal.update_provenance(dataclasses.replace(
                        provenance, aisnode_version=bench.aisnode_version))
                    for step in bench_steps(scenario, bench, state_root):
                        recorder.run(step)
                for step in own_cluster_steps(scenario, state_root, aisnode):
                    recorder.run(step)
        except _HarnessFailed as err:
            stopped = f"harness error in {err}"
        except KeyboardInterrupt:
            stopped = INTERRUPTED
            log(f"faults run {run_id} {stopped}; what ran is kept")
        except Exception as err:  # starting, healing or cleaning the cluster: outside any step
            stopped = f"harness error outside a step: {traceback.format_exception_only(err)[-1]}"
            log(f"faults run {run_id} stopped: {stopped}")
        finally:
            record = journal.finish(stopped)
            _keep_logs(state_root, report_dir / "logs",
                       keep=stopped is not None or any(o.failed for o in record.verdicts))
    return FaultSuiteResult(record, report_dir)


def _cluster_label(scenario: FaultScenario) -> str:
    t = scenario.topology
    return f"local: {t.proxies} proxy, {t.targets} targets, {t.mountpaths} mountpath"


def stop_stale_clusters(state_dir: Path, aisnode: Path, log: Log) -> None:
    """Stop the clusters of earlier suites that were killed before they could (SIGKILL skips
    every cleanup; their aisnode processes run in sessions of their own and outlive them)."""
    if not state_dir.is_dir():
        return
    own = [kind.key for kind in FAULT_KINDS if isinstance(kind, OwnClusterFault)]
    for stale in sorted(state_dir.glob(f"{STATE_PREFIX}*")):
        for cluster_dir in (stale / "cluster", *(stale / key for key in own)):
            LocalCluster(cluster_dir, find_aisnode=lambda: aisnode).down(keep_data=False)
        shutil.rmtree(stale, ignore_errors=True)
        log(f"stopped the cluster a killed faults run left in {stale}")


def _keep_logs(state_root: Path, logs_dir: Path, keep: bool) -> None:
    """When anything failed, the nodes' and the runner's logs are evidence: copy them into the
    run directory before the state (with the object data) goes."""
    if keep and state_root.is_dir():
        for log_file in state_root.rglob("*.log"):
            target = logs_dir / log_file.relative_to(state_root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log_file, target)
    shutil.rmtree(state_root, ignore_errors=True)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job's timeout) raises KeyboardInterrupt, so every ``finally`` runs: nodes
    are stopped and the run is marked stopped, as with Ctrl-C."""
    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _HarnessFailed(Exception):
    """The harness could not inject or heal a fault: the cluster is in an unknown state."""


class _Recorder:
    """Runs steps, keeps each outcome at once (with its step number) as a case of the run,
    logs a line per step; a step that raises is kept as a harness error naming it, and stops
    the suite."""

    def __init__(self, journal: RunJournal, scenario: str, log: Log) -> None:
        self.journal = journal
        self.scenario = scenario
        self.log = log
        self.count = 0

    def run(self, step: Step) -> FaultOutcome:
        self.count += 1
        try:
            done = step.run()
        except Exception as err:
            detail = traceback.format_exception_only(err)[-1].strip()
            failed = FaultOutcome(fault=HARNESS_ERROR, dataset=step.label, num_workers=0,
                                  outcome=f"{HARNESS_ERROR}: {detail}", expected=0, seen=0,
                                  duplicates=0, missing=0, duration_s=0.0, step=self.count,
                                  notes="the suite stopped here; the results before it stand")
            self._keep(Judged(failed))
            self.log(f"[{self.count}] {step.label}: {failed.outcome}")
            raise _HarnessFailed(f"step {self.count} ({step.label}): {detail}") from err
        judged = done if isinstance(done, Judged) else Judged(done)
        outcome = self._keep(dataclasses.replace(
            judged, outcome=dataclasses.replace(judged.outcome, step=self.count)))
        self.log(f"[{self.count}] {outcome.fault} | {outcome.dataset} w{outcome.num_workers}: "
                 f"{outcome.outcome} ({outcome.seen}/{outcome.expected}, "
                 f"{outcome.duration_s:.1f} s)")
        return outcome

    def _keep(self, judged: Judged) -> FaultOutcome:
        self.journal.record(fault_case(self.journal.run_id, self.scenario, judged.outcome,
                                       judged.extra))
        return judged.outcome


def _chosen(scenario: FaultScenario) -> list[tuple[FaultKind, FaultSettings]]:
    """The scenario's faults with their settings, in the registry's order."""
    return [(kind, scenario.faults[kind.key]) for kind in FAULT_KINDS
            if kind.key in scenario.faults]


def bench_steps(scenario: FaultScenario, bench: FaultBench, state_root: Path,
                ) -> Iterator[Step]:
    """The steps that run on the bench, in order (lazily: each is built after the one before
    ran, so an epoch fault can be timed against the baseline just measured)."""
    chosen = _chosen(scenario)
    for dataset in scenario.datasets:
        for workers in scenario.num_workers:
            reference: list[FaultOutcome] = []
            yield Step(f"baseline {dataset} w{workers}",
                       _keeping(reference, partial(baseline, bench.data, bench.target_urls(),
                                                   dataset, workers)))
            for kind, settings in chosen:
                if isinstance(kind, EpochFault):
                    yield Step(f"{kind.label} {dataset} w{workers}",
                               partial(_timed, reference, kind.run, settings, bench, dataset,
                                       workers))
    site = BenchSite(bench, state_root, scenario.datasets, scenario.num_workers)
    for kind, settings in chosen:
        if isinstance(kind, BenchFault):
            yield from kind.steps(settings, site)
    if scenario.soak is not None:
        for dataset in scenario.soak.datasets:
            yield Step(f"soak {dataset}", partial(_soak, bench, dataset, scenario.soak))


def own_cluster_steps(scenario: FaultScenario, state_root: Path, aisnode: Path,
                      ) -> Iterator[Step]:
    """The steps of the faults that bring clusters of their own, after the bench is down; each
    gets ``<state_root>/<its key>``."""
    for kind, settings in _chosen(scenario):
        if isinstance(kind, OwnClusterFault):
            yield from kind.steps(settings, state_root / kind.key, aisnode)


def _keeping(store: list[FaultOutcome], run: Callable[[], FaultOutcome],
             ) -> Callable[[], FaultOutcome]:
    def keep() -> FaultOutcome:
        outcome = run()
        store.append(outcome)
        return outcome
    return keep


def _timed(reference: list[FaultOutcome],
           run: Callable[[Any, FaultBench, str, int], FaultOutcome], settings: FaultSettings,
           bench: FaultBench, dataset: str, workers: int) -> FaultOutcome:
    """An epoch fault's outcome with the baseline epoch just measured for the same loader."""
    return with_baseline(run(settings, bench, dataset, workers),
                         reference[0] if reference else None)


def _soak(bench: FaultBench, kind: str, settings: SoakSettings) -> Judged:
    """Persistent workers for ``settings.seconds``; the RSS and fd series are kept beside the
    outcome for the report's plots."""
    expected = bench.data.expected_ids(dataset_kind(kind).unit)
    result = soak_epochs(lambda: persistent_loader(kind, bench.data, settings.num_workers),
                         expected, settings.seconds, settings.max_epochs)
    worker_trends = trends(result.samples, skip_epochs=1)
    label = f"{kind}, {settings.num_workers} persistent workers"
    series = series_to_dict(label, result.samples, worker_trends, result.seconds)
    return Judged(soak_outcome(kind, settings.num_workers, len(expected), result, worker_trends),
                  {SOAK_SERIES: series})
