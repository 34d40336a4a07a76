"""Run a faults scenario: every fault it names, on a cluster of its own, recorded as it goes.

The order: for each dataset and worker count, a clean baseline epoch, then the epoch faults
(kill and restart, kill for good, slow link) timed against it; then the single-request faults
(freeze, kill while streaming), the corrupt shards, the runner kill, the soak, and last netem
(its own cluster inside a network namespace). Every outcome is written the moment it exists
(run_dir.py), so a crash keeps what was measured and the report renders from it.

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

from aisbench.cluster import LocalCluster, find_binary
from aisbench.faults.bench import FaultBench, fault_bench
from aisbench.faults.data_faults import corrupt_shard
from aisbench.faults.epoch_run import baseline, with_baseline
from aisbench.faults.id_loaders import SHARD_KINDS, dataset_kind, persistent_loader
from aisbench.faults.network_faults import netem_epoch, slow_lossy_link
from aisbench.faults.node_faults import (
    freeze_then_resume,
    kill_and_restart,
    kill_for_good,
    kill_while_streaming,
)
from aisbench.faults.outcome import HARNESS_ERROR, SKIPPED, FaultOutcome
from aisbench.faults.run_dir import FaultRunDir, FaultRunMeta
from aisbench.faults.runner_fault import judge_runner_kill, kill_runner_then_resume
from aisbench.faults.scenario import FaultScenario, SoakSettings
from aisbench.faults.soak import soak_epochs, soak_outcome, trends, write_series
from aisbench.results import make_run_id, utc_now_iso
from aisbench.runner import collect_provenance
from aisbench.scenario import canonical_sha256

Log = Callable[[str], None]
STATE_PREFIX = "faults-"  # <home>/state/faults-<run id>: one suite's clusters


@dataclass(frozen=True)
class Step:
    """One fault run: what it is (for the log and a harness-error row) and how to run it."""

    label: str
    run: Callable[[], FaultOutcome]


@dataclass(frozen=True)
class FaultSuiteResult:
    run_dir: FaultRunDir
    outcomes: tuple[FaultOutcome, ...]
    stopped: str | None

    @property
    def failures(self) -> tuple[FaultOutcome, ...]:
        """Violations, faults never felt and harness errors: anything not proven."""
        return tuple(o for o in self.outcomes if o.failed)

    @property
    def judged(self) -> int:
        return sum(o.outcome != SKIPPED for o in self.outcomes)


def run_fault_suite(scenario: FaultScenario, home: Path, reports: Path,
                    log: Log = print) -> FaultSuiteResult:
    """Run every fault of ``scenario``; the run's directory is ``<reports>/<name>-<run id>``."""
    run_id = make_run_id()
    run_dir = FaultRunDir(reports / f"{scenario.name}-{run_id}")
    aisnode = find_binary("aisnode", home)
    stop_stale_clusters(home / "state", aisnode, log)
    cluster = _cluster_label(scenario)
    provenance = collect_provenance(cluster=cluster, aisnode_version=None,
                                    scenario_hash=canonical_sha256(scenario.settings()))
    meta = FaultRunMeta(run_id=run_id, scenario=scenario.name,
                        description=scenario.description, started=provenance.started_at,
                        cluster=cluster, settings=scenario.settings(), provenance=provenance)
    run_dir.write_meta(meta)
    log(f"faults run {run_id}: a local cluster of its own ({meta.cluster}); results in "
        f"{run_dir.root}")
    state_root = home / "state" / f"{STATE_PREFIX}{run_id}"
    recorder = _Recorder(run_dir, log)
    stopped: str | None = None
    try:
        with _sigterm_as_interrupt():
            with fault_bench(state_root / "cluster", aisnode, scenario.topology,
                             scenario.shape) as bench:
                meta = dataclasses.replace(
                    meta, aisnode_version=bench.aisnode_version,
                    provenance=dataclasses.replace(provenance,
                                                   aisnode_version=bench.aisnode_version))
                run_dir.write_meta(meta)
                for step in bench_steps(scenario, bench, state_root, run_dir):
                    recorder.run(step)
            if scenario.netem is not None:
                recorder.run(Step("netem", partial(netem_epoch, state_root / "netem", aisnode,
                                                   scenario.netem.delay_ms,
                                                   scenario.netem.loss_pct)))
    except _HarnessFailed as err:
        stopped = f"harness error in {err}"
    except KeyboardInterrupt:
        stopped = "interrupted (SIGINT or SIGTERM)"
        log(f"faults run {run_id} {stopped}; what ran is kept")
    except Exception as err:  # starting, healing or cleaning the cluster: outside any step
        stopped = f"harness error outside a step: {traceback.format_exception_only(err)[-1]}"
        log(f"faults run {run_id} stopped: {stopped}")
    finally:
        failed = stopped is not None or any(o.failed for o in run_dir.outcomes())
        _keep_logs(state_root, run_dir.root / "logs", keep=failed)
        run_dir.write_meta(dataclasses.replace(meta, finished=utc_now_iso(), stopped=stopped)
                           if stopped is None else dataclasses.replace(meta, stopped=stopped))
    return FaultSuiteResult(run_dir, tuple(run_dir.outcomes()), stopped)


def _cluster_label(scenario: FaultScenario) -> str:
    t = scenario.topology
    return f"local: {t.proxies} proxy, {t.targets} targets, {t.mountpaths} mountpath"


def stop_stale_clusters(state_dir: Path, aisnode: Path, log: Log) -> None:
    """Stop the clusters of earlier suites that were killed before they could (SIGKILL skips
    every cleanup; their aisnode processes run in sessions of their own and outlive them)."""
    if not state_dir.is_dir():
        return
    for stale in sorted(state_dir.glob(f"{STATE_PREFIX}*")):
        for cluster_dir in (stale / "cluster", stale / "netem"):
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
    """Runs steps, writes each outcome at once with its step number, logs a line per step; a
    step that raises is recorded as a harness error naming it, and stops the suite."""

    def __init__(self, run_dir: FaultRunDir, log: Log) -> None:
        self.run_dir = run_dir
        self.log = log
        self.count = 0

    def run(self, step: Step) -> FaultOutcome:
        self.count += 1
        try:
            outcome = step.run()
        except Exception as err:
            detail = traceback.format_exception_only(err)[-1].strip()
            failed = FaultOutcome(fault=HARNESS_ERROR, dataset=step.label, num_workers=0,
                                  outcome=f"{HARNESS_ERROR}: {detail}", expected=0, seen=0,
                                  duplicates=0, missing=0, duration_s=0.0, step=self.count,
                                  notes="the suite stopped here; the results before it stand")
            self.run_dir.record(failed)
            self.log(f"[{self.count}] {step.label}: {failed.outcome}")
            raise _HarnessFailed(f"step {self.count} ({step.label}): {detail}") from err
        outcome = self.run_dir.record(dataclasses.replace(outcome, step=self.count))
        self.log(f"[{self.count}] {outcome.fault} | {outcome.dataset} w{outcome.num_workers}: "
                 f"{outcome.outcome} ({outcome.seen}/{outcome.expected}, "
                 f"{outcome.duration_s:.1f} s)")
        return outcome


def bench_steps(scenario: FaultScenario, bench: FaultBench, state_root: Path,
                run_dir: FaultRunDir) -> Iterator[Step]:
    """The steps that run on the bench, in order (lazily: each is built after the one before
    ran, so an epoch fault can be timed against the baseline just measured)."""
    for kind in scenario.datasets:
        for workers in scenario.num_workers:
            reference: list[FaultOutcome] = []
            yield Step(f"baseline {kind} w{workers}",
                       _keeping(reference, partial(baseline, bench.data, bench.target_urls(),
                                                   kind, workers)))
            yield from _epoch_faults(scenario, bench, kind, workers, reference)
    if scenario.freeze is not None:
        freeze = scenario.freeze
        yield Step("target freeze",
                   lambda: freeze_then_resume(bench, freeze.connect_s, freeze.read_s).outcome)
    if scenario.kill_while_streaming:
        yield Step("kill while streaming", partial(kill_while_streaming, bench))
    for how in scenario.corruptions:
        for kind in (k for k in scenario.datasets if k in SHARD_KINDS):
            for workers in scenario.num_workers:
                yield Step(f"{how} shard {kind} w{workers}",
                           partial(corrupt_shard, bench, kind, workers, how))
    if scenario.runner_kill:
        yield Step("runner kill", lambda: judge_runner_kill(
            kill_runner_then_resume(bench.endpoint, state_root / "runner-kill")))
    if scenario.soak is not None:
        for kind in scenario.soak.datasets:
            yield Step(f"soak {kind}", partial(_soak, bench, kind, scenario.soak, run_dir))


def _keeping(store: list[FaultOutcome], run: Callable[[], FaultOutcome],
             ) -> Callable[[], FaultOutcome]:
    def keep() -> FaultOutcome:
        outcome = run()
        store.append(outcome)
        return outcome
    return keep


def _epoch_faults(scenario: FaultScenario, bench: FaultBench, kind: str, workers: int,
                  reference: list[FaultOutcome]) -> Iterator[Step]:
    def timed(label: str, run: Callable[[], FaultOutcome]) -> Step:
        return Step(f"{label} {kind} w{workers}",
                    lambda: with_baseline(run(), reference[0] if reference else None))

    if scenario.kill_restart is not None:
        yield timed("kill and restart", partial(kill_and_restart, bench, kind, workers,
                                                scenario.kill_restart.restart_after_s))
    if scenario.kill_for_good:
        yield timed("kill for good", partial(kill_for_good, bench, kind, workers))
    if scenario.slow_link is not None:
        link = scenario.slow_link
        yield timed("slow link", lambda: slow_lossy_link(bench.data, bench.target_urls(),
                                                         kind, workers, link).outcome)


def _soak(bench: FaultBench, kind: str, settings: SoakSettings,
          run_dir: FaultRunDir) -> FaultOutcome:
    """Persistent workers for ``settings.seconds``; the RSS and fd series are written for the
    report's plots."""
    expected = bench.data.expected_ids(dataset_kind(kind).unit)
    result = soak_epochs(lambda: persistent_loader(kind, bench.data, settings.num_workers),
                         expected, settings.seconds, settings.max_epochs)
    worker_trends = trends(result.samples, skip_epochs=1)
    label = f"{kind}, {settings.num_workers} persistent workers"
    write_series(run_dir.soak_dir / f"{kind}.json", label, result.samples, worker_trends,
                 result.seconds)
    return soak_outcome(kind, settings.num_workers, len(expected), result, worker_trends)
