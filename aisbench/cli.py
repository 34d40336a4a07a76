"""Command line: argument parsing only; every command calls into the modules below."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict

from aisbench.cluster.base import ClusterError, ClusterStatus, Topology
from aisbench.cluster.select import BACKENDS, ClusterSettings, make_backend, settings_from_env

Handler = Callable[[argparse.Namespace], int]


def _cluster_settings(args: argparse.Namespace) -> ClusterSettings:
    return settings_from_env(backend=args.backend, base_port=getattr(args, "base_port", None),
                             image=getattr(args, "image", None))


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


def cmd_cluster_up(args: argparse.Namespace) -> int:
    topology = Topology(proxies=args.proxies, targets=args.targets, mountpaths=args.mountpaths)
    status = make_backend(_cluster_settings(args)).up(topology)
    _print_status(status, as_json=False)
    print(status.endpoint)
    return 0


def cmd_cluster_status(args: argparse.Namespace) -> int:
    status = make_backend(_cluster_settings(args)).status()
    if status is None:
        if args.json:
            print(json.dumps({"backend": args.backend, "running": False}))
        else:
            print("no cluster is running (start one with `aisbench cluster up`)")
        return 1
    _print_status(status, as_json=args.json)
    return 0 if status.ready else 1


def cmd_cluster_down(args: argparse.Namespace) -> int:
    make_backend(_cluster_settings(args)).down(keep_data=args.keep_data)
    print("cluster stopped" + (" (data kept)" if args.keep_data else ""))
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
        p.add_argument("--backend", choices=BACKENDS, default="local",
                       help="local processes (default) or docker containers")

    up = csub.add_parser("up", help="start a cluster (reuses a running one)")
    backend_arg(up)
    up.add_argument("--proxies", type=_positive_int, default=1)
    up.add_argument("--targets", type=_positive_int, default=2)
    up.add_argument("--mountpaths", type=_positive_int, default=1)
    up.add_argument("--base-port", type=_positive_int, default=None,
                    help="first public port (default: the first free block from 51080)")
    up.add_argument("--image", default=None, help="docker backend: the aisnode image to use")
    up.set_defaults(handler=cmd_cluster_up)

    status = csub.add_parser("status", help="endpoint, nodes, version")
    backend_arg(status)
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_cluster_status)

    down = csub.add_parser("down", help="stop the nodes aisbench started")
    backend_arg(down)
    down.add_argument("--keep-data", action="store_true", help="keep configs and object data")
    down.set_defaults(handler=cmd_cluster_down)

    logs = csub.add_parser("logs", help="the tail of each node's log")
    backend_arg(logs)
    logs.add_argument("node", nargs="?", default=None, help="one node id (default: all)")
    logs.add_argument("--lines", type=_positive_int, default=50)
    logs.set_defaults(handler=cmd_cluster_logs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aisbench",
        description="Benchmark and profile PyTorch data loading from AIStore.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_cluster_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ClusterError as exc:
        print(f"aisbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("aisbench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
