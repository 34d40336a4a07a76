"""Command line: argument parsing only; every command calls into the modules below."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from aisbench import commands
from aisbench.ab import AbRequest, GateSettings, run_ab
from aisbench.cluster import (
    BACKENDS,
    ClusterSettings,
    ClusterStatus,
    Topology,
    backend_in_use,
    issue_token,
    make_backend,
    settings_from_env,
    tls_files_in,
)
from aisbench.errors import AisbenchError
from aisbench.runner import (
    DEFAULT_RDZV_TIMEOUT_S,
    LOOPBACK,
    LOOPBACK_INTERFACE,
    ResultPaths,
    node_plan,
)
from aisbench.scenario import find_scenario
from aisref.client import AISError

Handler = Callable[[argparse.Namespace], int]


def _cluster_settings(args: argparse.Namespace) -> ClusterSettings:
    def settings(backend: str) -> ClusterSettings:
        return settings_from_env(backend=backend, base_port=getattr(args, "base_port", None),
                                 image=getattr(args, "image", None),
                                 https=getattr(args, "https", False),
                                 auth=getattr(args, "auth", False))

    return settings(args.backend or backend_in_use(settings))


def _print_status(status: ClusterStatus, as_json: bool) -> None:
    if as_json:
        print(json.dumps(asdict(status), indent=2))
        return
    print(f"endpoint: {status.endpoint}  backend: {status.backend}  "
          f"ready: {'yes' if status.ready else 'no'}  aisnode: {status.version or '?'}")
    for node in status.nodes:
        where = f"pid {node.pid}" if node.pid else (node.container or "")
        print(f"  {node.role:<6} {node.node_id:<16} port {node.port:<6} "
              f"{'alive' if node.alive else 'DEAD':<5} {where}")
    for note in status.notes:
        print(f"note: {note}")


def cmd_cluster_up(args: argparse.Namespace) -> int:
    topology = Topology(proxies=args.proxies, targets=args.targets, mountpaths=args.mountpaths)
    settings = _cluster_settings(args)
    status = make_backend(settings).up(topology)
    _print_status(status, as_json=False)
    if settings.https:
        ca = tls_files_in(settings.home / "tls").ca
        print(f"CA bundle: {ca} (Client(endpoint, verify='{ca}'), or export "
              f"REQUESTS_CA_BUNDLE={ca})")
    if settings.auth:
        print("tokens required: `aisbench cluster token USER` prints one; pass it as "
              "Client(endpoint, token=...) or export AIS_AUTHN_TOKEN")
    print(status.endpoint)
    return 0


def cmd_cluster_status(args: argparse.Namespace) -> int:
    settings = _cluster_settings(args)
    status = make_backend(settings).status()
    if status is None:
        if args.json:
            print(json.dumps({"backend": settings.backend, "running": False}))
        else:
            print("no cluster is running (start one with `aisbench cluster up`)")
        return 1
    _print_status(status, as_json=args.json)
    return 0 if status.ready else 1


def cmd_cluster_down(args: argparse.Namespace) -> int:
    make_backend(_cluster_settings(args)).down(keep_data=args.keep_data)
    print("cluster stopped" + (" (data kept)" if args.keep_data else ""))
    return 0


def cmd_cluster_token(args: argparse.Namespace) -> int:
    print(issue_token(_cluster_settings(args), args.user))
    return 0


def cmd_cluster_logs(args: argparse.Namespace) -> int:
    print(make_backend(_cluster_settings(args)).logs(args.node, tail=args.lines))
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _add_cluster_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cluster = sub.add_parser("cluster", help="start, inspect and stop an AIStore cluster")
    csub = cluster.add_subparsers(dest="cluster_command", required=True)

    def backend_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--backend", choices=BACKENDS, default=None,
                       help="local processes or docker containers (default: the one running, "
                            "else local)")

    up = csub.add_parser("up", help="start a cluster (reuses a running one)")
    up.add_argument("--backend", choices=BACKENDS, default="local",
                    help="local processes (default) or docker containers")
    up.add_argument("--proxies", type=_positive_int, default=1)
    up.add_argument("--targets", type=_positive_int, default=2)
    up.add_argument("--mountpaths", type=_positive_int, default=1)
    up.add_argument("--base-port", type=_positive_int, default=None,
                    help="first public port (default: the first free block from 21080)")
    up.add_argument("--image", default=None, help="docker backend: the aisnode image to use")
    up.add_argument("--https", action="store_true",
                    help="local backend: serve HTTPS (CA and certificate in <home>/tls)")
    up.add_argument("--auth", action="store_true",
                    help="local backend: require tokens issued by AIStore's AuthN")
    up.set_defaults(handler=cmd_cluster_up)

    status = csub.add_parser("status", help="endpoint, nodes, version")
    backend_arg(status)
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_cluster_status)

    down = csub.add_parser("down", help="stop the nodes aisbench started")
    backend_arg(down)
    down.add_argument("--keep-data", action="store_true", help="keep configs and object data")
    down.set_defaults(handler=cmd_cluster_down)

    token = csub.add_parser("token", help="issue a read-write token (cluster up --auth)")
    token.add_argument("user", help="user name (letters, digits, - and _)")
    token.set_defaults(handler=cmd_cluster_token, backend="local")

    logs = csub.add_parser("logs", help="the tail of each node's log")
    backend_arg(logs)
    logs.add_argument("node", nargs="?", default=None, help="one node id (default: all)")
    logs.add_argument("--lines", type=_positive_int, default=50)
    logs.set_defaults(handler=cmd_cluster_logs)


def _paths(args: argparse.Namespace) -> ResultPaths:
    return ResultPaths(reports=Path(args.reports))


def _scenario_path(name: str) -> Path:
    return find_scenario(name)


def cmd_run(args: argparse.Namespace) -> int:
    node = node_plan(args.nnodes, args.node_rank, args.rdzv, args.rdzv_timeout,
                     args.local_addr, args.gloo_ifname)
    return commands.run_any(_scenario_path(args.scenario), _cluster_settings(args), _paths(args),
                            resume=args.resume, report=not args.no_report,
                            stop_cluster=args.stop_cluster, progress=not args.quiet, node=node)


def cmd_data_gen(args: argparse.Namespace) -> int:
    commands.data_gen(_scenario_path(args.scenario), _cluster_settings(args))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    return commands.compare(args.base, args.current, _paths(args), metric=args.metric,
                            threshold=args.threshold, alpha=args.alpha,
                            markdown_out=Path(args.markdown) if args.markdown else None)


def _interrupt_on_sigterm() -> None:
    """SIGTERM (a cancelled CI job) ends an A/B like Ctrl-C: verdict so far, worktrees removed."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def cmd_ab(args: argparse.Namespace) -> int:
    _interrupt_on_sigterm()
    gate = GateSettings(threshold=args.threshold, cpu_threshold=args.cpu_threshold,
                        instructions_threshold=args.instructions_threshold, alpha=args.alpha,
                        min_blocks=args.blocks, max_blocks=args.max_blocks,
                        budget_s=args.budget_s, seed=args.seed)
    request = AbRequest(scenario=args.scenario, base_ref=args.base, current_ref=args.current,
                        gate=gate, reports=Path(args.reports),
                        instruction_samples=args.instruction_samples if args.instructions
                        else None)
    outcome = run_ab(request, _cluster_settings(args))
    print(outcome.markdown)
    print(f"results: {outcome.directory}")
    if args.markdown:
        Path(args.markdown).write_text(outcome.markdown)
    return 130 if outcome.interrupted else outcome.exit_code


def cmd_tune(args: argparse.Namespace) -> int:
    recommendations = commands.tune(_scenario_path(args.scenario), _cluster_settings(args),
                                    _paths(args), parameter=args.param, within=args.within)
    return 0 if recommendations else 1


def cmd_report(args: argparse.Namespace) -> int:
    commands.report(args.runs, _paths(args), out=Path(args.out) if args.out else None,
                    metric=args.metric, history_case=args.history_case)
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    commands.profile(_scenario_path(args.scenario), args.case, _cluster_settings(args),
                     _paths(args))
    return 0


def cmd_strategies(args: argparse.Namespace) -> int:
    return commands.strategies()


def _add_harness_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--reports", default=str(commands.REPO / "reports"),
                       help="where results (results.sqlite, runs/) and reports go")
        p.add_argument("--backend", choices=BACKENDS, default="local",
                       help="cluster backend when the scenario does not name one")

    run = sub.add_parser("run", help="run a scenario and write its report")
    run.add_argument("scenario", help="a name in scenarios/ (e.g. smoke) or a YAML path")
    run.add_argument("--resume", metavar="RUN_ID", help="continue an interrupted run")
    run.add_argument("--no-report", action="store_true")
    run.add_argument("--stop-cluster", action="store_true",
                     help="stop the cluster the run started, at the end")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.add_argument("--nnodes", type=int, default=1,
                     help="nodes that run the cases over ranks (loader.ranks > 1) together; "
                          "each runs loader.ranks ranks (default 1)")
    run.add_argument("--node-rank", type=int, default=0,
                     help="this node's number, 0..nnodes-1; node 0 keeps the results")
    run.add_argument("--rdzv", metavar="HOST:PORT",
                     help="node rank 0's torchrun rendezvous (c10d), the same on every node")
    run.add_argument("--rdzv-timeout", type=float, default=DEFAULT_RDZV_TIMEOUT_S,
                     metavar="SECONDS", help="how long to wait for the rendezvous and every "
                     f"node to join (default {DEFAULT_RDZV_TIMEOUT_S:g})")
    run.add_argument("--local-addr", default=LOOPBACK, metavar="ADDR",
                     help="the address this node's ranks are reached at (default "
                          f"{LOOPBACK}; across machines, this node's address)")
    run.add_argument("--gloo-ifname", default=LOOPBACK_INTERFACE, metavar="IFACE",
                     help=f"the interface gloo sends over (default {LOOPBACK_INTERFACE}; "
                          "across machines, the one that reaches the other nodes)")
    common(run)
    run.set_defaults(handler=cmd_run)

    data = sub.add_parser("data", help="synthetic datasets")
    dsub = data.add_subparsers(dest="data_command", required=True)
    gen = dsub.add_parser("gen", help="generate (or verify and reuse) a scenario's datasets")
    gen.add_argument("scenario")
    common(gen)
    gen.set_defaults(handler=cmd_data_gen)

    cmp = sub.add_parser("compare", help="compare two runs; exit 1 on a regression")
    cmp.add_argument("base", help="run id or run JSON file")
    cmp.add_argument("current", help="run id or run JSON file")
    cmp.add_argument("--metric", default="samples_per_s")
    cmp.add_argument("--threshold", type=float, default=0.05,
                     help="smallest relative change that counts (0.05 = 5%%)")
    cmp.add_argument("--alpha", type=float, default=0.05, help="significance level")
    cmp.add_argument("--markdown", help="also write the Markdown table to this file")
    common(cmp)
    cmp.set_defaults(handler=cmd_compare)

    _add_ab_command(sub, common)

    tune = sub.add_parser("tune", help="sweep a parameter and recommend a value")
    tune.add_argument("scenario")
    tune.add_argument("--param", default="loader.num_workers", help="the matrix axis to tune")
    tune.add_argument("--within", type=float, default=0.05,
                      help="recommend the smallest value within this fraction of the best")
    common(tune)
    tune.set_defaults(handler=cmd_tune)

    report = sub.add_parser("report", help="write a report of one or more runs")
    report.add_argument("runs", nargs="+",
                        help="run ids, run JSON files, or faults run directories (the faults "
                             "report is written into the directory)")
    report.add_argument("--out", help="output folder (default: reports/report-<run id>)")
    report.add_argument("--metric", default="samples_per_s",
                        help="metric for the comparison (two runs) and the history plot")
    report.add_argument("--history-case", default=None,
                        help="case id whose history to plot (default: the first measured case)")
    common(report)
    report.set_defaults(handler=cmd_report)

    prof = sub.add_parser("profile", help="one case under py-spy: flamegraph and speedscope")
    prof.add_argument("scenario")
    prof.add_argument("--case", required=True, help="the case id (see `aisbench run` output)")
    common(prof)
    prof.set_defaults(handler=cmd_profile)

    listing = sub.add_parser(
        "strategies", help="list the strategies a scenario can name, built-in and plugins",
        description="Every strategy with the dataset kinds it reads, its aisloader ceiling and "
                    "where it comes from (built-in, or a plugin's distribution and version); "
                    "then each plugin that failed to load. Exit 1 when a plugin failed.")
    listing.set_defaults(handler=cmd_strategies)


AB_EPILOG = """exit codes: 0 no case slower; 1 a case slower (or failing in the current version);
2 bad input (nothing measured); 3 no case slower but some inconclusive after the budget
(fail or warn on it as your CI prefers); 130 interrupted (the verdict so far is printed).
"""


def _add_ab_command(sub: argparse._SubParsersAction[argparse.ArgumentParser],
                    common: Callable[[argparse.ArgumentParser], None]) -> None:
    ab = sub.add_parser(
        "ab", help="A/B two versions of the code in one run; exit 1 on a regression",
        description="Measure two git versions of aisbench/aisref on one cluster in interleaved "
                    "blocks of fresh processes, and judge each case with paired statistics.",
        epilog=AB_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ab.add_argument("scenario", help="a name in the current version's scenarios/ or a YAML path")
    ab.add_argument("--base", required=True, help="git ref of the base (e.g. origin/main)")
    ab.add_argument("--current", default=None,
                    help="git ref of the current version (default: the working tree as it is)")
    gate = GateSettings()  # the defaults live in one place
    ab.add_argument("--threshold", type=_fraction, default=gate.threshold,
                    help=f"smallest throughput change that counts (default {gate.threshold})")
    ab.add_argument("--cpu-threshold", type=_fraction, default=gate.cpu_threshold,
                    help=f"smallest change of CPU seconds per sample that counts (default "
                         f"{gate.cpu_threshold})")
    ab.add_argument("--alpha", type=_fraction, default=gate.alpha, help="significance level")
    ab.add_argument("--blocks", type=_positive_int, default=gate.min_blocks,
                    help=f"blocks before the first verdict (even; default {gate.min_blocks})")
    ab.add_argument("--max-blocks", type=_positive_int, default=gate.max_blocks,
                    help=f"re-run inconclusive cases up to this many blocks (default "
                         f"{gate.max_blocks})")
    ab.add_argument("--budget-s", type=float, default=gate.budget_s,
                    help=f"no new pair of blocks once measuring would pass this many seconds "
                         f"(default {gate.budget_s:.0f})")
    ab.add_argument("--seed", type=int, default=gate.seed, help="seeds the order of the blocks")
    ab.add_argument("--instructions", action="store_true",
                    help="also count instructions per sample under valgrind (callgrind) and "
                         "gate on them")
    ab.add_argument("--instruction-samples", type=_positive_int, default=64,
                    help="samples counted under valgrind (default 64)")
    ab.add_argument("--instructions-threshold", type=_fraction,
                    default=gate.instructions_threshold,
                    help=f"smallest change of instructions per sample that counts (default "
                         f"{gate.instructions_threshold})")
    ab.add_argument("--markdown", help="also write the Markdown table to this file")
    common(ab)
    ab.set_defaults(handler=cmd_ab)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (0.05 = 5%), got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aisbench",
        description="Benchmark and profile PyTorch data loading from AIStore.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_cluster_commands(sub)
    _add_harness_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except (AisbenchError, AISError) as exc:  # what the user can fix; anything else is a bug
        print(f"aisbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("aisbench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
