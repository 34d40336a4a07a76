"""Run a scenario: cluster, datasets, then every case in a fresh process, each result stored the
moment its case ends, so an interrupted run loses nothing finished and `--resume` continues."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from aisbench.cluster import (
    ClusterBackend,
    ClusterError,
    ClusterSettings,
    Topology,
    TopologyMismatch,
    cluster_version,
    etl_unavailable_reason,
    find_binary,
    make_backend,
)
from aisbench.datagen import data_prefix, ensure_dataset
from aisbench.results import (
    CaseResult,
    ResultStore,
    RunRecord,
    case_from_dict,
    make_run_id,
)
from aisbench.runner.case_process import context_to_dict
from aisbench.runner.distributed import (
    NodePlan,
    RendezvousFailed,
    oversubscription_warning,
    run_ranks_in_torchrun,
)
from aisbench.runner.journal import INTERRUPTED, RunJournal
from aisbench.runner.provenance import collect_provenance
from aisbench.scenario import Case, ClusterSpec, DatasetSpec, Scenario, expand, load_scenario
from aisbench.strategies import StrategyContext, all_strategies, get_strategy, plugin_failures
from aisref.client import AISError

CASE_SLACK_S = 180.0  # start-up, listing and shutdown on top of the measured windows
EPOCHS_CASE_TIMEOUT_S = 1800.0
HARNESS_OVERHEAD_LIMIT = 0.02  # measuring may cost at most this share of a window


@dataclass(frozen=True)
class RunOptions:
    scenario_path: Path
    results_db: Path
    runs_dir: Path  # one JSON file per run
    resume_run_id: str | None = None
    progress: bool = True
    stop_cluster: bool = False
    # This process's place among the nodes that run the cases over ranks.
    node: NodePlan = field(default_factory=NodePlan)


@dataclass(frozen=True)
class RunOutcome:
    record: RunRecord
    json_path: Path


def strategy_kinds() -> dict[str, frozenset[str]]:
    """Every usable strategy (built-in or plugin) -> the dataset kinds it reads."""
    return {name: strategy.dataset_kinds for name, strategy in all_strategies().items()}


def load(path: Path) -> Scenario:
    kinds = strategy_kinds()
    return load_scenario(path, list(kinds), readable_kinds=kinds)


def case_timeout_s(case: Case) -> float:
    run = case.run
    if run.duration_s is None:
        return EPOCHS_CASE_TIMEOUT_S
    return run.warmup_s + run.repeats * run.duration_s + CASE_SLACK_S


def run_in_fresh_process(case: Case, ctx: StrategyContext, run_id: str, *,
                         env: Mapping[str, str] | None = None,
                         cwd: Path | None = None) -> CaseResult:
    """The case in its own Python process; a crash or timeout becomes a failed result.

    ``env`` and ``cwd`` choose which code that process imports (an A/B runs another version's
    aisbench and aisref this way); by default this process's environment and directory.
    """
    with tempfile.TemporaryDirectory(prefix="aisbench-case-") as tmp:
        case_file, ctx_file, out_file = (Path(tmp) / n for n in ("case.json", "ctx.json",
                                                                  "out.json"))
        case_file.write_text(json.dumps(case.to_dict()))
        ctx_file.write_text(json.dumps(context_to_dict(ctx)))
        argv = [sys.executable, "-m", "aisbench.runner.case_process", str(case_file),
                str(ctx_file), run_id, str(out_file)]
        timeout = case_timeout_s(case)
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                  env=None if env is None else dict(env), cwd=cwd)
        except subprocess.TimeoutExpired:
            return _failed(case, run_id, f"timed out after {timeout:.0f} s")
        if proc.returncode == 0 and out_file.exists():
            return case_from_dict(json.loads(out_file.read_text()))
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        return _failed(case, run_id, f"case process exited {proc.returncode}: {tail}")


def run_case(case: Case, ctx: StrategyContext, run_id: str, node: NodePlan,
             log: Callable[[str], None]) -> CaseResult:
    """The case in a fresh process, or over ``loader.ranks`` ranks under torchrun."""
    if case.loader.ranks == 1:
        return run_in_fresh_process(case, ctx, run_id)
    warning = oversubscription_warning(case.loader.ranks,
                                       case.loader.num_workers, os.cpu_count() or 1)
    if warning:
        log(f"{case.case_id}: warning: {warning}")
    return run_ranks_in_torchrun(case, ctx, run_id, node, case_timeout_s(case))


def _failed(case: Case, run_id: str, reason: str) -> CaseResult:
    return CaseResult(run_id=run_id, case_id=case.case_id, scenario=case.scenario,
                      strategy=case.strategy, params=dict(case.params), status="failed",
                      reason=reason)


def _skipped(case: Case, run_id: str, reason: str) -> CaseResult:
    return replace(_failed(case, run_id, reason), status="skipped")


class CaseCannotRun(Exception):
    """This case cannot run in this setting (recorded as skipped, with the reason)."""


@dataclass
class ClusterSession:
    """The clusters a run uses, brought up once per distinct ClusterSpec."""

    settings: ClusterSettings
    started: dict[ClusterSpec, tuple[ClusterBackend, str]]

    def endpoint_for(self, spec: ClusterSpec) -> str:
        if spec not in self.started:
            if self.settings.endpoint and spec.backend == "docker":
                raise CaseCannotRun(f"AIS_ENDPOINT={self.settings.endpoint} is set, so the "
                                    f"dockerized cluster this case asks for is not started")
            if spec.backend == "external" and not self.settings.endpoint:
                raise ClusterError("the scenario asks for an external cluster (cluster.backend: "
                                   "external): set AIS_ENDPOINT=http://HOST:PORT")
            backend_name = "local" if spec.backend == "external" else spec.backend
            backend = make_backend(replace(self.settings, backend=backend_name))
            topology = Topology(spec.proxies, spec.targets, spec.mountpaths)
            try:
                status = backend.up(topology)
            except TopologyMismatch:
                backend.down()  # another topology is running: the scenario asks for this one
                status = backend.up(topology)
            self.started[spec] = (backend, status.endpoint)
        return self.started[spec][1]

    def stop_all(self) -> None:
        for backend, _ in self.started.values():
            backend.down()


def strategy_context(endpoint: str, dataset: DatasetSpec, home: Path) -> StrategyContext:
    try:
        aisloader: Path | None = find_binary("aisloader", home)
    except ClusterError:
        aisloader = None
    return StrategyContext(endpoint=endpoint, bucket=dataset.bucket_name,
                           prefix=data_prefix(dataset), dataset=dataset,
                           etl_unavailable_reason=etl_unavailable_reason(endpoint),
                           aisloader=aisloader)


def _prepare(session: ClusterSession, case: Case, home: Path, progress: bool,
             log: Callable[[str], None]) -> StrategyContext:
    """Bring up the case's cluster and dataset (once per pair) and describe where it is."""
    endpoint = session.endpoint_for(case.cluster)
    info = ensure_dataset(endpoint, case.dataset, progress=progress)
    how = "reused" if info.reused else "generated"
    log(f"dataset {info.bucket}: {info.objects} objects, {info.bytes / 2**20:.1f} MiB ({how})")
    return strategy_context(endpoint, case.dataset, home)


def run_scenario(options: RunOptions, settings: ClusterSettings,
                 log: Callable[[str], None] = print) -> RunOutcome:
    for failure in plugin_failures():  # its strategies are unknown names below: say why first
        log(f"warning: {failure}")
    scenario = load(options.scenario_path)
    cases = expand(scenario)
    _check_nodes(options.node, settings)
    session = ClusterSession(settings, {})
    try:
        first_endpoint: str | None = session.endpoint_for(cases[0].cluster)
    except CaseCannotRun:
        first_endpoint = settings.endpoint
    run_id = options.resume_run_id or make_run_id()
    json_path = options.runs_dir / f"{run_id}.json"
    with ResultStore(options.results_db) as store:
        provenance = collect_provenance(cluster=cases[0].cluster.topology_label,
                                        aisnode_version=(cluster_version(first_endpoint)
                                                         if first_endpoint else None),
                                        scenario_hash=scenario.scenario_hash)
        journal = RunJournal.begin(store, run_id, scenario.name, provenance, json_path,
                                   description=scenario.description)
        done = journal.finished_case_ids()
        if done:
            log(f"resuming run {run_id}: {len(done)} of {len(cases)} cases already finished")
        contexts: dict[tuple[ClusterSpec, DatasetSpec], StrategyContext] = {}
        todo = [case for case in cases if case.case_id not in done]
        try:
            with tqdm(total=len(todo), desc=scenario.name, unit="case",
                      disable=not options.progress) as bar:
                for case in todo:
                    bar.set_postfix_str(case.case_id[:60])
                    key = (case.cluster, case.dataset)
                    try:
                        if key not in contexts:
                            contexts[key] = _prepare(session, case, settings.home,
                                                     options.progress, log)
                        ctx = contexts[key]
                        reason = get_strategy(case.strategy).skip_reason(case, ctx)
                        result = (_skipped(case, run_id, reason) if reason
                                  else run_case(case, ctx, run_id, options.node, log))
                    except CaseCannotRun as exc:
                        result = _skipped(case, run_id, str(exc))
                    except (ClusterError, AISError) as exc:
                        # This case's cluster or dataset failed; the run goes on with the rest.
                        result = _failed(case, run_id, f"{type(exc).__name__}: {exc}")
                    journal.record(result)
                    if result.status != "ok":
                        log(f"{case.case_id}: {result.status}: {result.reason}")
                    overhead = float(result.extra.get("harness_overhead", 0.0))
                    if overhead > HARNESS_OVERHEAD_LIMIT:
                        log(f"{case.case_id}: warning: the harness itself took "
                            f"{overhead:.1%} of the window (limit "
                            f"{HARNESS_OVERHEAD_LIMIT:.0%}); its numbers are less exact")
                    bar.update(1)
        except KeyboardInterrupt:
            journal.finish(stopped=INTERRUPTED)
            log(f"interrupted: finished cases are stored; continue with --resume {run_id}")
            raise
        except RendezvousFailed as exc:
            journal.finish(stopped=f"ranks' rendezvous failed: {exc}")
            log(f"stopped: finished cases are stored; continue with --resume {run_id}")
            raise
        finally:
            if options.stop_cluster:
                session.stop_all()
        record = journal.finish()
    return RunOutcome(record=record, json_path=json_path)


def _check_nodes(node: NodePlan, settings: ClusterSettings) -> None:
    if node.nnodes > 1 and not settings.endpoint:
        raise ClusterError(f"a run over {node.nnodes} nodes needs one cluster every node "
                           "reaches: set AIS_ENDPOINT=http://HOST:PORT on every node")


def run_scenario_as_node(options: RunOptions, settings: ClusterSettings,
                         log: Callable[[str], None] = print) -> list[CaseResult]:
    """Node rank > 0 of a run over several nodes: its ranks join every case with
    ``loader.ranks`` > 1 in the scenario's order; node rank 0 keeps the results (the cases'
    results come back here too, and are logged, not stored). Node rank 0 generates the
    datasets before its ranks meet these at the rendezvous, so this node only reads."""
    scenario = load(options.scenario_path)
    _check_nodes(options.node, settings)
    endpoint = settings.endpoint
    assert endpoint is not None  # _check_nodes
    results = []
    for case in expand(scenario):
        if case.loader.ranks == 1:
            continue  # node rank 0 runs it alone
        ctx = strategy_context(endpoint, case.dataset, settings.home)
        reason = get_strategy(case.strategy).skip_reason(case, ctx)
        if reason:
            log(f"{case.case_id}: skipped: {reason}")
            continue
        result = run_case(case, ctx, "node", options.node, log)
        log(f"{case.case_id}: {result.status}" + (f": {result.reason}" if result.reason else ""))
        results.append(result)
    return results
