"""spawn returns a pid whose command line is readable, so a node just started is never taken
for one that died (its /proc cmdline reads empty for a moment after Popen returns)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from aisbench.cluster.processes import is_running, spawn, stop, wait_for_command_line


def test_waits_while_the_command_line_reads_empty() -> None:
    reads = iter([b"", b"", b"aisnode\0-config=/x/ais.json\0"])
    seen: list[bytes | None] = []

    def read(pid: int) -> bytes | None:
        seen.append(next(reads))
        return seen[-1]

    wait_for_command_line(42, read)
    assert seen == [b"", b"", b"aisnode\0-config=/x/ais.json\0"]


def test_stops_waiting_when_the_process_is_gone_or_a_zombie() -> None:
    calls: list[int] = []

    def gone(pid: int) -> bytes | None:
        calls.append(pid)
        return None

    wait_for_command_line(42, gone)
    assert calls == [42]


def test_gives_up_after_its_timeout_on_a_command_line_that_stays_empty() -> None:
    calls: list[int] = []

    def empty(pid: int) -> bytes:
        calls.append(pid)
        return b""

    wait_for_command_line(42, empty, timeout_s=0.05)
    assert len(calls) >= 2


def test_a_spawned_process_is_running_with_its_marker_as_soon_as_spawn_returns(
        tmp_path: Path) -> None:
    marker = str(tmp_path / "conf" / "ais.json")
    pid = spawn([sys.executable, "-c", "import time; time.sleep(60)", marker],
                tmp_path / "node.log", dict(os.environ))
    try:
        assert is_running(pid, marker)
    finally:
        stop(pid, marker, grace_s=5.0)
    assert not is_running(pid, marker)
