"""A case over torch.distributed ranks: launched with torchrun (``python -m
torch.distributed.run``, c10d rendezvous, gloo), one `rank_process` per rank.

One node: the rendezvous listens on 127.0.0.1 at a free port. Several nodes: every node's
``aisbench run --nnodes N --node-rank R --rdzv HOST:PORT`` starts its torchrun for the same
case; node rank 0 hosts the rendezvous store at HOST:PORT (``is_host``), the others join it.
Ranks talk over loopback by default (MASTER_ADDR=127.0.0.1, GLOO_SOCKET_IFNAME=lo, torchrun's
--local-addr 127.0.0.1), as this project's network rules ask; across machines each node names
its own address and interface (``--local-addr``, ``--gloo-ifname``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aisbench.errors import AisbenchError, InvalidValue
from aisbench.results import CaseResult, case_from_dict
from aisbench.runner.case_process import context_to_dict
from aisbench.runner.rank_process import RESULT_FILE, stderr_file
from aisbench.scenario import Case
from aisbench.strategies import StrategyContext

RANK_MODULE = "aisbench.runner.rank_process"
LOOPBACK = "127.0.0.1"
LOOPBACK_INTERFACE = "lo"
DEFAULT_RDZV_TIMEOUT_S = 30.0
STDERR_TAIL_LINES = 8
STARTUP_SLACK_S = 120.0  # interpreters, torch imports, rendezvous, loaders built per rank


class RendezvousFailed(AisbenchError):
    """The ranks' rendezvous (HOST:PORT) was not reached, or not every node joined it."""


@dataclass(frozen=True)
class NodePlan:
    """Where this ``aisbench run`` sits among the nodes of a run over ranks.

    nnodes: machines (or processes standing for them) that each run ``loader.ranks`` ranks;
    node_rank: this one's number, 0 keeps the results; rdzv: "HOST:PORT" of node rank 0's
    rendezvous (None on one node: a free port on 127.0.0.1); rdzv_timeout_s: how long to wait
    for the rendezvous to be reached and every node to join; local_addr: the address this
    node's ranks are reached at (torchrun's --local-addr); gloo_ifname: the network interface
    gloo sends over (GLOO_SOCKET_IFNAME). Both default to loopback.
    """

    nnodes: int = 1
    node_rank: int = 0
    rdzv: str | None = None
    rdzv_timeout_s: float = DEFAULT_RDZV_TIMEOUT_S
    local_addr: str = LOOPBACK
    gloo_ifname: str = LOOPBACK_INTERFACE

    @property
    def keeps_results(self) -> bool:
        return self.node_rank == 0


def node_plan(nnodes: int = 1, node_rank: int = 0, rdzv: str | None = None,
              rdzv_timeout_s: float = DEFAULT_RDZV_TIMEOUT_S, local_addr: str = LOOPBACK,
              gloo_ifname: str = LOOPBACK_INTERFACE) -> NodePlan:
    """The plan of the CLI's --nnodes, --node-rank, --rdzv, --rdzv-timeout, --local-addr,
    --gloo-ifname; InvalidValue naming the flag and what it takes."""
    if not local_addr or any(c.isspace() for c in local_addr):
        raise InvalidValue(f"--local-addr {local_addr!r}: allowed: this node's address, e.g. "
                           f"{LOOPBACK}")
    if not gloo_ifname or any(c.isspace() or c == "/" for c in gloo_ifname):
        raise InvalidValue(f"--gloo-ifname {gloo_ifname!r}: allowed: a network interface name "
                           f"on this node, e.g. {LOOPBACK_INTERFACE} (see `ip link`)")
    if nnodes < 1:
        raise InvalidValue(f"--nnodes {nnodes}: allowed: an integer >= 1")
    if not 0 <= node_rank < nnodes:
        raise InvalidValue(f"--node-rank {node_rank}: allowed: 0..{nnodes - 1} (--nnodes "
                           f"{nnodes})")
    if not rdzv_timeout_s > 0:
        raise InvalidValue(f"--rdzv-timeout {rdzv_timeout_s}: allowed: seconds > 0")
    if nnodes > 1 and rdzv is None:
        raise InvalidValue(f"--nnodes {nnodes} needs --rdzv HOST:PORT (node rank 0's address "
                           "and a free port there, the same on every node)")
    if rdzv is not None:
        host_and_port(rdzv)
    if nnodes == 1 and node_rank == 0 and rdzv is not None:
        raise InvalidValue("--rdzv is for runs over several nodes: add --nnodes N, or leave "
                           "it out (one node rendezvous on 127.0.0.1 at a free port)")
    return NodePlan(nnodes, node_rank, rdzv, rdzv_timeout_s, local_addr, gloo_ifname)


def host_and_port(rdzv: str) -> tuple[str, int]:
    host, sep, port = rdzv.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidValue(f"--rdzv {rdzv!r}: allowed: HOST:PORT, e.g. 127.0.0.1:29500")
    return host, int(port)


def free_port(host: str = LOOPBACK) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def oversubscription_warning(ranks: int, workers: int, cores: int) -> str | None:
    """A warning when ranks x max(workers, 1) loading processes outnumber the cores."""
    processes = ranks * max(workers, 1)
    if processes <= cores:
        return None
    return (f"{ranks} ranks x {max(workers, 1)} loading processes each (num_workers "
            f"{workers}) = {processes} on {cores} cores: the ranks compete for CPU, so this "
            "case measures the machine as much as the loader")


def rendezvous_id(case: Case) -> str:
    """The same on every node for the same case; a new one per case."""
    return "aisbench-" + hashlib.sha256(f"{case.scenario}/{case.case_id}".encode()).hexdigest()[:16]


def torchrun_argv(case: Case, plan: NodePlan, endpoint: str, rank_argv: list[str],
                  module: str = RANK_MODULE) -> list[str]:
    """torchrun for this node's share of the case: ``loader.ranks`` ranks per node."""
    timeout = int(plan.rdzv_timeout_s)
    conf = f"is_host={'true' if plan.keeps_results else 'false'},join_timeout={timeout}," \
           f"read_timeout={timeout},last_call_timeout=1"
    return [sys.executable, "-m", "torch.distributed.run",
            f"--nnodes={plan.nnodes}", f"--nproc-per-node={case.loader.ranks}",
            "--rdzv-backend=c10d", f"--rdzv-endpoint={endpoint}",
            f"--rdzv-id={rendezvous_id(case)}", f"--rdzv-conf={conf}",
            f"--local-addr={plan.local_addr}", "--max-restarts=0", "--monitor-interval=0.5",
            "-m", module, *rank_argv]


def rank_env(base: Mapping[str, str], plan: NodePlan) -> dict[str, str]:
    """The environment of torchrun and its ranks: the plan's address and interface (loopback
    unless told otherwise)."""
    return {**base, "MASTER_ADDR": plan.local_addr, "GLOO_SOCKET_IFNAME": plan.gloo_ifname,
            "OMP_NUM_THREADS": base.get("OMP_NUM_THREADS", "1")}


def run_ranks_in_torchrun(case: Case, ctx: StrategyContext, run_id: str, plan: NodePlan,
                          case_timeout_s: float, *, module: str = RANK_MODULE) -> CaseResult:
    """The case over ``loader.ranks`` ranks on this node (and the other nodes' ranks).

    A rank that fails makes a failed result naming it and quoting its stderr; a rendezvous
    not reached (or not joined by every node) within ``plan.rdzv_timeout_s`` raises
    RendezvousFailed naming HOST:PORT and what to do.
    """
    endpoint = plan.rdzv or f"{LOOPBACK}:{free_port()}"
    with tempfile.TemporaryDirectory(prefix="aisbench-ranks-") as tmp:
        out_dir = Path(tmp)
        case_file, ctx_file = out_dir / "case.json", out_dir / "ctx.json"
        case_file.write_text(json.dumps(case.to_dict()))
        ctx_file.write_text(json.dumps(context_to_dict(ctx)))
        # A barrier or the gather may wait for the slowest rank as long as the whole case.
        rank_argv = [str(case_file), str(ctx_file), run_id, str(out_dir), str(case_timeout_s)]
        argv = torchrun_argv(case, plan, endpoint, rank_argv, module)
        timeout = case_timeout_s + plan.rdzv_timeout_s + STARTUP_SLACK_S
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                  env=rank_env(os.environ, plan))
        except subprocess.TimeoutExpired:
            return failed_case(case, run_id, f"torchrun timed out after {timeout:.0f} s "
                               f"(ranks {started_ranks(out_dir)} had started)")
        result_file = out_dir / RESULT_FILE
        if proc.returncode == 0 and result_file.exists():
            return case_from_dict(json.loads(result_file.read_text()))
        started = started_ranks(out_dir)
        if not started:
            raise RendezvousFailed(rendezvous_message(plan, endpoint, proc.stderr))
        return failed_case(case, run_id, rank_failure(out_dir, started, proc.returncode,
                                                       proc.stderr))


def started_ranks(out_dir: Path) -> list[int]:
    return sorted(int(p.name.split("-")[1].split(".")[0])
                  for p in out_dir.glob("rank-*.started"))


def rendezvous_message(plan: NodePlan, endpoint: str, stderr: str) -> str:
    seconds = f"{plan.rdzv_timeout_s:g} s"
    if plan.nnodes == 1:
        fix = "check that 127.0.0.1 accepts connections and torch.distributed works here"
    elif plan.keeps_results:
        fix = (f"start the other {plan.nnodes - 1} node(s) with `aisbench run SCENARIO "
               f"--nnodes {plan.nnodes} --node-rank R --rdzv {endpoint}` within {seconds}, "
               "or raise --rdzv-timeout")
    else:
        fix = (f"start node rank 0 first (`aisbench run SCENARIO --nnodes {plan.nnodes} "
               f"--node-rank 0 --rdzv {endpoint}`), and check that {endpoint} is node 0's "
               "address and reachable from here, or raise --rdzv-timeout")
    return (f"rendezvous at {endpoint} not reached by all {plan.nnodes} node(s) within "
            f"{seconds}: {fix} (torchrun: {tail(stderr, 2)})")


ROOT_CAUSE = re.compile(r"Root Cause.*?rank\s*:\s*(\d+)", re.S)


def rank_failure(out_dir: Path, started: list[int], returncode: int, torchrun_stderr: str) -> str:
    """Which rank failed and its stderr tail: torchrun's root cause (the first rank to fail),
    else every started rank whose stderr holds a traceback."""
    root = ROOT_CAUSE.search(torchrun_stderr)
    ranks = [int(root.group(1))] if root else [
        r for r in started if "Traceback" in read_text(stderr_file(out_dir, r))]
    if not ranks:
        return f"torchrun exited {returncode}: {tail(torchrun_stderr, 3)}"
    return "; ".join(f"rank {r} failed (torchrun exited {returncode}): "
                     f"{tail(read_text(stderr_file(out_dir, r)), STDERR_TAIL_LINES)}"
                     for r in ranks)


def read_text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def tail(text: str, lines: int) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept) or "(no output)"


def failed_case(case: Case, run_id: str, reason: str) -> CaseResult:
    return CaseResult(run_id=run_id, case_id=case.case_id, scenario=case.scenario,
                      strategy=case.strategy, params=dict(case.params), status="failed",
                      reason=reason)
