"""What a measuring window costs the machine: CPU and peak RSS of the loader's process tree,
and the GETs the cluster served (counted by the targets themselves)."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

import psutil
import requests

SAMPLE_INTERVAL_S = 0.5  # each sample walks the process tree: at 4 Hz that cost ~2% of a core


@dataclass(frozen=True)
class TreeUsage:
    cpu_seconds: float  # user + system, main process and DataLoader workers
    peak_rss_bytes: int  # peak of the RSS summed over the tree (shared pages count per process)
    sampler_cpu_s: float  # what the sampling itself cost (part of the harness overhead)


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return [root]


class ProcessTreeSampler:
    """Samples the process tree every SAMPLE_INTERVAL_S in a thread, between start() and stop().

    CPU is counted per pid from its value at start (0 for workers born during the window), so
    persistent workers carried over from an earlier window are not double counted. A process's
    value includes the CPU of the children it has reaped: a worker that exits between two
    samples (every epoch's end) is then counted in full, through its parent.
    """

    def __init__(self, root_pid: int | None = None) -> None:
        self._root = psutil.Process(root_pid)
        self._baseline: dict[int, float] = {}
        self._last: dict[int, float] = {}  # pid -> CPU at the latest sample it was alive
        self._alive: set[int] = set()  # pids alive at the latest sample
        self._peak_rss = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sampler_cpu = 0.0

    def _sample(self) -> None:
        rss = 0
        alive = set()
        for proc in _tree(self._root):
            try:
                with proc.oneshot():
                    times = proc.cpu_times()
                    rss += proc.memory_info().rss
            except psutil.Error:
                continue
            self._last[proc.pid] = (times.user + times.system + times.children_user
                                    + times.children_system)
            alive.add(proc.pid)
        self._alive = alive
        self._peak_rss = max(self._peak_rss, rss)

    def _loop(self) -> None:
        started = time.thread_time()
        while not self._stop.wait(SAMPLE_INTERVAL_S):
            self._sample()
        self._sampler_cpu = time.thread_time() - started

    def start(self) -> None:
        self._stop.clear()
        self._last = {}
        self._sample()
        self._baseline = dict(self._last)
        self._peak_rss = 0
        self._thread = threading.Thread(target=self._loop, name="tree-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> TreeUsage:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        # A process gone by now was reaped inside the tree: its CPU is in its parent's value,
        # so it counts only by taking off what it had spent before the window.
        cpu = sum(self._last[pid] - self._baseline.get(pid, 0.0) for pid in self._alive) - sum(
            value for pid, value in self._baseline.items() if pid not in self._alive)
        return TreeUsage(cpu_seconds=max(cpu, 0.0), peak_rss_bytes=self._peak_rss,
                         sampler_cpu_s=self._sampler_cpu)


def target_urls(endpoint: str, timeout_s: float = 5.0) -> list[str]:
    """Public URLs of every target, from the cluster map.

    A cluster with token checks wants a token for the map: $AIS_AUTHN_TOKEN, the variable the
    strategies' clients read too (the targets' own counters need none).
    """
    token = os.environ.get("AIS_AUTHN_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    smap = requests.get(f"{endpoint}/v1/daemon", params={"what": "smap"}, timeout=timeout_s,
                        headers=headers)
    smap.raise_for_status()
    return [node["public_net"]["direct_url"] for node in (smap.json().get("tmap") or {}).values()]


@dataclass(frozen=True, slots=True)
class ServedTotals:
    """Counters the targets keep: object GETs served and their bytes, summed over targets."""

    gets: int
    bytes: int

    def __sub__(self, earlier: ServedTotals) -> ServedTotals:
        return ServedTotals(self.gets - earlier.gets, self.bytes - earlier.bytes)


def served_totals(targets: list[str], timeout_s: float = 5.0) -> ServedTotals:
    """Object GETs the targets have served so far and their bytes (`get.n`, `get.size`)."""
    gets = nbytes = 0
    for url in targets:
        response = requests.get(f"{url}/v1/daemon", params={"what": "node_status"},
                                timeout=timeout_s)
        response.raise_for_status()
        tracker = response.json().get("tracker", {})
        gets += int(tracker.get("get.n", 0))
        nbytes += int(tracker.get("get.size", 0))
    return ServedTotals(gets, nbytes)


def served_gets(targets: list[str], timeout_s: float = 5.0) -> int:
    """Object GETs the targets have served so far (their `get.n` counters, summed)."""
    return served_totals(targets, timeout_s).gets
