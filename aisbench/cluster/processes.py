"""Start, probe and stop node processes by pid, never touching a process we did not start."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

# Variables that make aisnode believe it runs in Kubernetes (it then exits at start), or that
# would point it at another cluster.
_DROPPED_PREFIXES = ("KUBERNETES_", "AIS_", "MY_NODE", "MY_POD", "K8S_")


def clean_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The environment aisnode gets: ours minus Kubernetes and AIS_* variables."""
    return {k: v for k, v in env.items() if not k.startswith(_DROPPED_PREFIXES)}


def spawn(argv: Sequence[str], log_path: Path, env: Mapping[str, str]) -> int:
    """Start a detached process (own session) with stdout+stderr to log_path; return its pid
    once its command line is readable (see `wait_for_command_line`)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(list(argv), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=dict(env), start_new_session=True)
    wait_for_command_line(proc.pid, _read_command_line)
    return proc.pid


def wait_for_command_line(pid: int, read: Callable[[int], bytes | None],
                          timeout_s: float = 5.0) -> None:
    """Return once ``read(pid)`` (the process's /proc cmdline) is not empty, or it is gone.

    Popen returns when the child's exec has closed its close-on-exec pipe, which happens
    before the kernel sets up the new program's arguments: in between, /proc/<pid>/cmdline
    reads empty. `is_running`, which looks for the node's config path there, took a node in
    that window for dead (on a loaded machine); its cluster was then stopped and started
    again without it, and the node ran on, orphaned.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        command_line = read(pid)
        if command_line is None or command_line.strip(b"\0"):
            return
        time.sleep(0.001)


def _read_command_line(pid: int) -> bytes | None:
    """/proc/<pid>/cmdline, or None when the process is gone or a zombie (whose is empty)."""
    try:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return None
    return None if state == "Z" else command_line


def _reap(pid: int) -> None:
    """Collect the exit status if the process is our child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def is_running(pid: int | None, marker: str) -> bool:
    """True when pid is alive, not a zombie, and its command line contains `marker`.

    The marker (the node's config path) guards against a recycled pid of someone else's process.
    """
    if pid is None:
        return False
    _reap(pid)
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state != "Z" and marker in cmdline


def stop(pid: int, marker: str, grace_s: float = 10.0) -> None:
    """SIGTERM (aisnode shuts down gracefully), then SIGKILL after grace_s."""
    if not is_running(pid, marker):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if not is_running(pid, marker):
            return
        time.sleep(0.1)
    if is_running(pid, marker):
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5.0
        while is_running(pid, marker) and time.monotonic() < deadline:
            time.sleep(0.05)


def tail(path: Path, lines: int) -> str:
    """The last `lines` lines of a text file ('' when missing)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 256 * 1024))
            text = fh.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
