"""The harness commands behind the CLI: run, data gen, compare, tune, report, profile,
strategies.

Each takes typed values (no argparse in here) and returns an exit code or a value, so the CLI
stays a thin parser and these stay testable.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from aisbench.analysis import (
    Comparison,
    Recommendation,
    compare_runs,
    has_regression,
    recommend,
    sweep_points,
    to_markdown,
)
from aisbench.cluster import ClusterSettings
from aisbench.datagen import ensure_dataset
from aisbench.errors import InvalidValue, UnknownName
from aisbench.profile import profile_case, require_py_spy
from aisbench.report import HistorySeries, answers_text, write_report
from aisbench.results import MIB, CaseResult, ResultStore, RunRecord, read_run_json
from aisbench.runner import (
    ClusterSession,
    NodePlan,
    ResultPaths,
    RunOptions,
    RunOutcome,
    load,
    run_scenario,
    run_scenario_as_node,
    strategy_context,
)
from aisbench.scenario import ScenarioError, expand, is_faults_scenario, read_yaml
from aisbench.strategies import ListedStrategy, plugin_failures, strategy_listing

REPO = Path(__file__).resolve().parents[1]


def resolve_run(ref: str, paths: ResultPaths) -> RunRecord:
    """A run by id (from the SQLite history) or by the path of its JSON file."""
    candidate = Path(ref)
    if candidate.suffix == ".json" and candidate.exists():
        return read_run_json(candidate)
    with ResultStore(paths.results_db) as store:
        return store.load_run(ref)


def history_series(paths: ResultPaths, record: RunRecord, case_id: str | None = None,
                   metric: str = "samples_per_s") -> HistorySeries | None:
    """The metric of one case (default: the run's first measured case) over the stored runs of
    its scenario; None when there is no earlier run to draw a trend from."""
    measured = [c.case_id for c in record.cases if c.status == "ok"]
    chosen = case_id or (measured[0] if measured else None)
    if chosen is None or not paths.results_db.exists():
        return None
    with ResultStore(paths.results_db) as store:
        points = store.history(chosen, record.scenario, metric)
    if len(points) < 2:
        return None
    return HistorySeries(scenario=record.scenario, case_id=chosen, metric=metric,
                         points=tuple(points))


def write_run_report(runs: Sequence[RunRecord], out_dir: Path, *,
                     comparison: Comparison | None = None,
                     recommendation: Recommendation | None = None,
                     history: HistorySeries | None = None) -> Path:
    files = write_report(list(runs), out_dir, comparison=comparison,
                         recommendation=recommendation, history=history)
    return Path(files.html)


def run(scenario_path: Path, settings: ClusterSettings, paths: ResultPaths, *,
        resume: str | None = None, report: bool = True, stop_cluster: bool = False,
        progress: bool = True, log: Callable[[str], None] = print,
        node: NodePlan | None = None) -> RunOutcome:
    outcome = run_scenario(RunOptions(scenario_path=scenario_path, results_db=paths.results_db,
                                      runs_dir=paths.runs_dir, resume_run_id=resume,
                                      progress=progress, stop_cluster=stop_cluster,
                                      node=node or NodePlan()),
                           settings, log=log)
    record = outcome.record
    answers = answers_text(record)
    if answers:  # the two answers first, as on the report's page
        log(answers + "\n")
    log(summary_table(record))
    log(f"results: {outcome.json_path} (history: {paths.results_db}, run id {record.run_id})")
    if report:
        html = write_run_report([record], paths.report_dir(f"{record.scenario}-{record.run_id}"),
                                history=history_series(paths, record))
        log(f"report: {html}")
    return outcome


def run_faults(scenario_path: Path, settings: ClusterSettings, paths: ResultPaths, *,
               report: bool = True, log: Callable[[str], None] = print) -> int:
    """Run a ``kind: faults`` scenario on a cluster of its own; 0 only when every fault that
    ran kept the rule and was felt, 1 otherwise (the report says which and why)."""
    from aisbench.faults import fault_scenario_from_document, run_fault_suite, write_faults_report

    scenario = fault_scenario_from_document(scenario_path, read_yaml(scenario_path))
    if settings.endpoint or settings.backend != "local":
        log("note: a faults scenario starts a local cluster of its own (it kills and freezes "
            "nodes); the cluster you chose is not touched")
    result = run_fault_suite(scenario, settings.home, paths, log=log)
    record = result.record
    skipped = len(result.outcomes) - result.judged
    log(f"{len(result.outcomes)} fault runs: {result.judged - len(result.failures)} kept the "
        f"rule, {len(result.failures)} failed, {skipped} skipped; results: "
        f"{paths.runs_dir / f'{record.run_id}.json'} (history: {paths.results_db}, run id "
        f"{record.run_id})")
    if report:
        log(f"report: {write_faults_report(record, result.report_dir).html}")
    for failure in result.failures:
        log(f"FAILED: {failure.fault} | {failure.dataset} w{failure.num_workers}: "
            f"{failure.outcome}")
    if result.stopped:
        log(f"the suite stopped early: {result.stopped}")
    if not result.judged:
        log("nothing was judged: every fault was skipped")
    return 1 if result.failures or result.stopped or not result.judged else 0


def run_any(scenario_path: Path, settings: ClusterSettings, paths: ResultPaths, *,
            resume: str | None = None, report: bool = True, stop_cluster: bool = False,
            progress: bool = True, log: Callable[[str], None] = print,
            node: NodePlan | None = None) -> int:
    """`aisbench run`: a measuring scenario (exit 1 when a case failed) or a faults scenario
    (see `run_faults`). On node rank > 0 of a run over several nodes, this node's ranks join
    the cases over ranks; node rank 0 keeps (and reports) the results."""
    node = node or NodePlan()
    if resume and node.nnodes > 1:
        raise InvalidValue(f"--resume {resume} with --nnodes {node.nnodes}: a run over several "
                           "nodes cannot be resumed (the other nodes cannot know which cases "
                           "node rank 0 finished); run the scenario again")
    if not node.keeps_results:
        options = RunOptions(scenario_path=scenario_path, results_db=paths.results_db,
                             runs_dir=paths.runs_dir, progress=progress, node=node)
        results = run_scenario_as_node(options, settings, log=log)
        log(f"node rank {node.node_rank}: {len(results)} case(s) over ranks joined; node "
            "rank 0 keeps the results")
        return 1 if any(c.status == "failed" for c in results) else 0
    if not is_faults_scenario(scenario_path):
        outcome = run(scenario_path, settings, paths, resume=resume, report=report,
                      stop_cluster=stop_cluster, progress=progress, log=log, node=node)
        return 1 if any(c.status == "failed" for c in outcome.record.cases) else 0
    if resume:
        raise ScenarioError(str(scenario_path), "--resume", "a faults run cannot be resumed: "
                            "run it again", resume, "aisbench run <faults scenario>")
    ignored = [flag for flag, given in (("--stop-cluster", stop_cluster),
                                        ("--quiet", not progress)) if given]
    if ignored:
        print(f"note: {', '.join(ignored)} do not apply to a faults scenario (it runs a "
              "cluster of its own and logs each fault); ignored", file=sys.stderr)
    return run_faults(scenario_path, settings, paths, report=report, log=log)


def data_gen(scenario_path: Path, settings: ClusterSettings,
             log: Callable[[str], None] = print) -> None:
    """Generate, or verify and reuse, every dataset the scenario's cases read."""
    session = ClusterSession(settings, {})
    for case in {(c.cluster, c.dataset): c for c in expand(load(scenario_path))}.values():
        info = ensure_dataset(session.endpoint_for(case.cluster), case.dataset)
        state = "reused" if info.reused else "generated"
        log(f"{info.bucket}: {case.dataset.label}, {info.objects} objects, "
            f"{info.bytes / MIB:.1f} MiB ({state})")


def report(refs: Sequence[str], paths: ResultPaths, *, out: Path | None = None,
           metric: str = "samples_per_s", history_case: str | None = None,
           log: Callable[[str], None] = print) -> None:
    """`aisbench report`: run ids or run JSON files get one report (two runs: with their
    comparison); a fault run gets its faults report, in its own folder; a faults run directory
    of the format before fault runs were stored (run.json + outcomes/) gets it in place."""
    # imported here: the faults package pulls in its report's plotting
    from aisbench.faults import is_fault_run_dir, read_fault_run_dir, write_faults_report

    runs = []
    for ref in refs:
        if is_fault_run_dir(Path(ref)):
            legacy = read_fault_run_dir(Path(ref))
            files = write_faults_report(legacy.record, Path(ref), legacy.problems)
            log(f"report: {files.html}")
            continue
        record = resolve_run(ref, paths)
        if record.is_fault_run:
            directory = out or paths.report_dir(f"{record.scenario}-{record.run_id}")
            log(f"report: {write_faults_report(record, directory).html}")
        else:
            runs.append(record)
    if not runs:
        return
    comparison = compare_runs(runs[0], runs[1], metric=metric) if len(runs) == 2 else None
    html = write_run_report(runs, out or paths.report_dir(f"report-{runs[-1].run_id}"),
                            comparison=comparison,
                            history=history_series(paths, runs[-1], history_case, metric))
    log(f"report: {html}")


def summary_table(record: RunRecord) -> str:
    """One line per case: throughput, latency, CPU, memory, or why it did not measure."""
    lines = [f"{'case':<48} {'samples/s':>10} {'MiB/s':>8} {'p99 ms':>8} {'cpu':>5} "
             f"{'rss MiB':>8}  status"]
    for case in record.cases:
        lines.append(_summary_line(case))
    return "\n".join(lines)


def _summary_line(case: CaseResult) -> str:
    def mean(metric: str) -> float | None:
        return case.mean(metric)

    def fmt(value: float | None, scale: float = 1.0, digits: int = 1) -> str:
        return "-" if value is None else f"{value * scale:.{digits}f}"

    status = case.status if case.status == "ok" else f"{case.status}: {case.reason}"
    return (f"{case.case_id[:48]:<48} {fmt(mean('samples_per_s')):>10} "
            f"{fmt(mean('mib_per_s')):>8} {fmt(mean('latency_p99_s'), 1000):>8} "
            f"{fmt(mean('cpu_util'), digits=2):>5} "
            f"{fmt(mean('peak_rss_bytes'), 1 / 2**20, 0):>8}  {status}")


def compare(base_ref: str, current_ref: str, paths: ResultPaths, *, metric: str,
            threshold: float, alpha: float, markdown_out: Path | None,
            log: Callable[[str], None] = print) -> int:
    """Print the comparison (Markdown); exit 1 on a regression, 0 otherwise."""
    base, current = resolve_run(base_ref, paths), resolve_run(current_ref, paths)
    comparison = compare_runs(base, current, metric=metric, threshold=threshold, alpha=alpha)
    text = to_markdown(comparison)
    log(text)
    if markdown_out is not None:
        markdown_out.write_text(text)
    return 1 if has_regression(comparison) else 0


def tune(scenario_path: Path, settings: ClusterSettings, paths: ResultPaths, *, parameter: str,
         within: float, metric: str = "samples_per_s",
         log: Callable[[str], None] = print) -> list[Recommendation]:
    """Run the scenario, then recommend a value of `parameter` per combination of the others."""
    scenario = load(scenario_path)
    axis_keys = {axis.key: axis.label for axis in scenario.matrix}
    label = axis_keys.get(parameter) or parameter.rsplit(".", 1)[-1]
    if label not in axis_keys.values():
        raise InvalidValue(f"{scenario_path}: matrix has no axis {parameter!r} to tune; "
                           f"axes: {', '.join(axis_keys) or 'none'}")
    outcome = run(scenario_path, settings, paths, report=False, log=log)
    recommendations = []
    for group in group_by_other_params(outcome.record.cases, label).values():
        points = sweep_points(group, label, metric)
        if points:
            rec = recommend(points, within, parameter=label)
            recommendations.append(rec)
            log(rec.explanation)
    if recommendations:
        html = write_run_report([outcome.record],
                                paths.report_dir(f"tune-{outcome.record.run_id}"),
                                recommendation=recommendations[0])
        log(f"report: {html}")
    return recommendations


def group_by_other_params(cases: Sequence[CaseResult],
                          label: str) -> dict[tuple[tuple[str, Any], ...], list[CaseResult]]:
    groups: dict[tuple[tuple[str, Any], ...], list[CaseResult]] = {}
    for case in cases:
        key = tuple(sorted((k, v) for k, v in case.params.items() if k != label))
        groups.setdefault(key, []).append(case)
    return groups


def profile(scenario_path: Path, case_id: str, settings: ClusterSettings, paths: ResultPaths,
            log: Callable[[str], None] = print) -> tuple[Path, Path]:
    """Run one case of the scenario under py-spy; the flamegraph SVG and speedscope JSON land in
    reports/profile-<scenario>/."""
    require_py_spy()
    cases = {case.case_id: case for case in expand(load(scenario_path))}
    if case_id not in cases:
        raise UnknownName(f"{scenario_path}: no case {case_id!r}; cases: {', '.join(cases)}")
    case = cases[case_id]
    endpoint = ClusterSession(settings, {}).endpoint_for(case.cluster)
    ensure_dataset(endpoint, case.dataset)
    ctx = strategy_context(endpoint, case.dataset, settings.home)
    return profile_case(case, ctx, paths.report_dir(f"profile-{case.scenario}"), log)


def strategies_table(listed: Sequence[ListedStrategy]) -> str:
    """One line per strategy: name, dataset kinds, ceiling, where it comes from, description."""
    rows = [("name", "reads", "ceiling", "from", "description")]
    rows += [(s.strategy.name, ",".join(sorted(s.strategy.dataset_kinds)), s.strategy.ceiling,
              str(s.source), s.strategy.description) for s in listed]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
                     + "  " + row[4] for row in rows)


def strategies(log: Callable[[str], None] = print) -> int:
    """`aisbench strategies`: every strategy a scenario can name, built-in or plugin; then each
    plugin that failed to load, with its error. Exit 1 when a plugin failed, else 0."""
    log(strategies_table(strategy_listing()))
    failures = plugin_failures()
    for failure in failures:
        log(f"FAILED: {failure}")
    return 1 if failures else 0
