"""Run a faults scenario: every fault it names, on a cluster of its own, recorded as it goes.

The order: for each dataset and worker count, a clean baseline epoch, then the epoch faults
(kill and restart, kill for good, slow link) timed against it; then the single-request faults
(freeze, kill while streaming), the corrupt shards, the runner kill, the soak, and last netem
(its own cluster inside a network namespace). Every outcome is written the moment it exists
(run_dir.py), so a crash keeps what was measured and the report renders from it.

A fault run that breaks the rule is a VIOLATION in the report and a non-zero exit; the harness
failing to inject or heal (a node that will not restart) stops the suite, is recorded as a
harness error, and still leaves a report of everything before it.
"""

from __future__ import annotations

import dataclasses
import shutil
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from aisbench.cluster.binaries import find_binary
from aisbench.faults.bench import FaultBench, fault_bench
from aisbench.faults.data_faults import SHARD_KINDS, corrupt_shard
from aisbench.faults.datasets import persistent_loader
from aisbench.faults.epoch_run import baseline, with_baseline
from aisbench.faults.network_faults import netem_epoch, slow_lossy_link
from aisbench.faults.node_faults import (
    freeze_then_resume,
    kill_and_restart,
    kill_for_good,
    kill_while_streaming,
)
from aisbench.faults.outcome import COMPLETED, VIOLATION, FaultOutcome
from aisbench.faults.run_dir import FaultRunDir, FaultRunMeta
from aisbench.faults.runner_fault import judge_runner_kill, kill_runner_then_resume
from aisbench.faults.scenario import FaultScenario, SoakSettings
from aisbench.faults.soak import soak_epochs, soak_problems, trends, write_series
from aisbench.results.schema import utc_now_iso

HARNESS_ERROR = "HARNESS ERROR"

Log = Callable[[str], None]
Step = Callable[[], FaultOutcome]


@dataclass(frozen=True)
class FaultSuiteResult:
    run_dir: FaultRunDir
    outcomes: tuple[FaultOutcome, ...]

    @property
    def violations(self) -> tuple[FaultOutcome, ...]:
        return tuple(o for o in self.outcomes if o.violated)

    @property
    def harness_failed(self) -> bool:
        return any(o.outcome.startswith(HARNESS_ERROR) for o in self.outcomes)


def new_run_id() -> str:
    """Sortable and unique: ``20261123T221137-db2178``."""
    return f"{utc_now_iso().replace('-', '').replace(':', '')[:15]}-{uuid.uuid4().hex[:6]}"


def run_fault_suite(scenario: FaultScenario, home: Path, reports: Path,
                    log: Log = print) -> FaultSuiteResult:
    """Run every fault of ``scenario``; the run's directory is ``<reports>/<name>-<run id>``."""
    run_id = new_run_id()
    run_dir = FaultRunDir(reports / f"{scenario.name}-{run_id}")
    aisnode = find_binary("aisnode", home)
    meta = FaultRunMeta(run_id=run_id, scenario=scenario.name,
                        description=scenario.description, started=utc_now_iso(),
                        cluster=_cluster_label(scenario), settings=scenario.settings())
    run_dir.write_meta(meta)
    log(f"faults run {run_id}: a local cluster of its own ({meta.cluster}); results in "
        f"{run_dir.root}")
    state_root = home / "state" / f"faults-{run_id}"
    recorder = _Recorder(run_dir, log)
    try:
        with fault_bench(state_root / "cluster", aisnode, scenario.topology,
                         scenario.shape) as bench:
            meta = dataclasses.replace(meta, aisnode_version=bench.aisnode_version)
            run_dir.write_meta(meta)
            for step in _bench_steps(scenario, bench, state_root, run_dir):
                recorder.run(step)
        if scenario.netem is not None:
            delay_ms, loss_pct = scenario.netem
            recorder.run(lambda: netem_epoch(state_root / "netem", aisnode, delay_ms, loss_pct))
    except _Stop:
        pass
    finally:
        shutil.rmtree(state_root, ignore_errors=True)
        run_dir.write_meta(dataclasses.replace(meta, finished=utc_now_iso()))
    return FaultSuiteResult(run_dir, tuple(run_dir.outcomes()))


def _cluster_label(scenario: FaultScenario) -> str:
    t = scenario.topology
    return f"local: {t.proxies} proxy, {t.targets} targets, {t.mountpaths} mountpath"


class _Stop(Exception):
    """The harness could not inject or heal a fault: the cluster is in an unknown state."""


class _Recorder:
    """Runs steps, writes each outcome at once, logs a line per step; a step that raises is
    recorded as a harness error and stops the suite."""

    def __init__(self, run_dir: FaultRunDir, log: Log) -> None:
        self.run_dir = run_dir
        self.log = log
        self.count = 0

    def run(self, step: Step) -> FaultOutcome:
        self.count += 1
        try:
            outcome = step()
        except Exception as err:
            detail = traceback.format_exception_only(err)[-1].strip()
            failed = FaultOutcome(fault=HARNESS_ERROR, dataset=f"step {self.count}",
                                  num_workers=0, outcome=f"{HARNESS_ERROR}: {detail}",
                                  expected=0, seen=0, duplicates=0, missing=0, duration_s=0.0,
                                  notes="the suite stopped here; the results before it stand",
                                  step=self.count)
            self.run_dir.record(failed)
            self.log(f"[{self.count}] {failed.outcome}")
            raise _Stop from err
        outcome = self.run_dir.record(dataclasses.replace(outcome, step=self.count))
        self.log(f"[{self.count}] {outcome.fault} | {outcome.dataset} w{outcome.num_workers}: "
                 f"{outcome.outcome} ({outcome.seen}/{outcome.expected}, "
                 f"{outcome.duration_s:.1f} s)")
        return outcome


def _bench_steps(scenario: FaultScenario, bench: FaultBench, state_root: Path,
                 run_dir: FaultRunDir) -> Iterator[Step]:
    """The steps that run on the bench, in order; each yields after the previous ran."""
    for kind in scenario.datasets:
        for workers in scenario.num_workers:
            reference: list[FaultOutcome] = []
            yield _keep(reference, partial(baseline, bench.data, bench.target_urls(), kind,
                                          workers))
            yield from _epoch_faults(scenario, bench, kind, workers, reference)
    if scenario.freeze_timeouts_s is not None:
        connect_s, read_s = scenario.freeze_timeouts_s
        yield lambda: freeze_then_resume(bench, connect_s, read_s).outcome
    if scenario.kill_while_streaming:
        yield lambda: kill_while_streaming(bench)
    for how in scenario.corruptions:
        for kind in (k for k in scenario.datasets if k in SHARD_KINDS):
            for workers in scenario.num_workers:
                yield partial(corrupt_shard, bench, kind, workers, how)
    if scenario.runner_kill:
        yield lambda: judge_runner_kill(kill_runner_then_resume(bench.endpoint,
                                                                state_root / "runner-kill"))
    if scenario.soak is not None:
        for kind in scenario.soak.datasets:
            yield partial(_soak, bench, kind, scenario.soak, run_dir)


def _keep(store: list[FaultOutcome], step: Step) -> Step:
    def run() -> FaultOutcome:
        outcome = step()
        store.append(outcome)
        return outcome
    return run


def _epoch_faults(scenario: FaultScenario, bench: FaultBench, kind: str, workers: int,
                  reference: list[FaultOutcome]) -> Iterator[Step]:
    def timed(step: Step) -> Step:
        return lambda: with_baseline(step(), reference[0] if reference else None)

    if scenario.kill_restart_after_s is not None:
        yield timed(partial(kill_and_restart, bench, kind, workers,
                            scenario.kill_restart_after_s))
    if scenario.kill_for_good:
        yield timed(partial(kill_for_good, bench, kind, workers))
    if scenario.slow_link is not None:
        link = scenario.slow_link
        yield timed(lambda: slow_lossy_link(bench.data, bench.target_urls(), kind, workers,
                                            link).outcome)


def _soak(bench: FaultBench, kind: str, settings: SoakSettings,
          run_dir: FaultRunDir) -> FaultOutcome:
    """Persistent workers for ``settings.seconds``: every epoch complete, RSS and fds written
    as series for the report's plots. The outcome counts epochs, not samples."""
    expected = len(bench.data.expected_ids(kind))
    result = soak_epochs(lambda: persistent_loader(kind, bench.data, settings.num_workers),
                         expected, settings.seconds, settings.max_epochs)
    worker_trends = trends(result.samples, skip_epochs=1)
    label = f"{kind}, {settings.num_workers} persistent workers"
    write_series(run_dir.soak_dir / f"{kind}.json", label, result.samples, worker_trends,
                 result.seconds)
    growth = ", ".join(f"pid {t.pid}: RSS {t.rss_growth_bytes / 2**20:+.2f} MiB, "
                       f"fds {t.fd_growth:+g}" for t in worker_trends)
    problems = soak_problems(result, worker_trends, settings.num_workers)
    short = len(result.short_epochs)
    return FaultOutcome(
        fault="soak: persistent workers across epochs", dataset=kind,
        num_workers=settings.num_workers,
        outcome=COMPLETED if not problems else f"{VIOLATION}: " + "; ".join(problems),
        expected=result.epochs, seen=result.epochs - short, duplicates=0, missing=short,
        duration_s=round(result.seconds, 3),
        notes=f"samples here are epochs of {expected} samples; growth from the first third of "
              f"the epochs to the last (medians): {growth or 'no worker sampled'}")
