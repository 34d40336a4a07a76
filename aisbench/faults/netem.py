"""Kernel network emulation (``tc netem``) in a network namespace of our own.

A namespace has its own loopback device, so netem on its ``lo`` slows and drops every byte
between nodes and client *inside* it - including object data from targets, which the userspace
proxy (tcp_proxy.py) cannot reach - and nothing outside it. Where the kernel lacks sch_netem,
`netem_unavailable_reason` returns what ``tc`` said (e.g. "Error: Specified qdisc kind is
unknown."), so tests skip with that exact reason.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

_TIMEOUT_S = 10.0


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=_TIMEOUT_S,
                          check=False)


def _said(proc: subprocess.CompletedProcess[str]) -> str:
    return (proc.stderr or proc.stdout).strip() or f"exit status {proc.returncode}"


@contextmanager
def network_namespace(name: str) -> Iterator[str]:
    """Create namespace ``name`` with its loopback up; delete it on exit."""
    added = _run(["ip", "netns", "add", name])
    if added.returncode != 0:
        raise OSError(f"cannot create network namespace {name}: {_said(added)}")
    try:
        up = _run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"])
        if up.returncode != 0:
            raise OSError(f"cannot bring up lo in namespace {name}: {_said(up)}")
        yield name
    finally:
        _run(["ip", "netns", "del", name])


def add_netem(namespace: str, delay_ms: int, loss_pct: float) -> None:
    """Put ``netem delay <delay_ms>ms loss <loss_pct>%`` on the namespace's loopback."""
    proc = _run(["ip", "netns", "exec", namespace, "tc", "qdisc", "add", "dev", "lo", "root",
                 "netem", "delay", f"{delay_ms}ms", "loss", f"{loss_pct}%"])
    if proc.returncode != 0:
        raise OSError(f"tc netem on lo in namespace {namespace} failed: {_said(proc)}")


def netem_unavailable_reason() -> str | None:
    """None when netem works in a namespace here; otherwise why not, in the tools' own words."""
    missing = [tool for tool in ("ip", "tc") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not installed (iproute2)"
    try:
        with network_namespace(f"aisbench-probe-{os.getpid()}") as namespace:
            add_netem(namespace, delay_ms=1, loss_pct=0)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"tc netem unavailable: {err}{kernel_config_note()}"
    return None


def kernel_config_note(config: Path = Path("/proc/config.gz")) -> str:
    """" (this kernel is built without CONFIG_NET_SCH_NETEM)" when the running kernel's own
    config says so - then no module can be loaded either; "" when it cannot be told."""
    try:
        with gzip.open(config, "rt") as text:
            built_without = any(line.startswith("# CONFIG_NET_SCH_NETEM is not set")
                                for line in text)
    except OSError:
        return ""
    return " (this kernel is built without CONFIG_NET_SCH_NETEM)" if built_without else ""


def in_namespace_argv(namespace: str, module: str, args: Sequence[str]) -> list[str]:
    """The command line that runs ``python -m <module> <args>`` inside ``namespace``."""
    return ["ip", "netns", "exec", namespace, sys.executable, "-m", module, *args]


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]
