"""The process-tree sampler: CPU of the loader's children, window after window."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aisbench.runner import metrics
from aisbench.runner.metrics import ProcessTreeSampler, TreeUsage

# Burns ~0.5 s of CPU, says so, then idles until its stdin closes (so it is alive when sampled).
BURN_THEN_IDLE = """
import sys, time
start = time.process_time()
while time.process_time() - start < 0.5:
    pass
print("burned", flush=True)
sys.stdin.read()
"""

# Burns ~0.5 s of CPU, then lingers a little and exits: only samples taken while it ran count.
BURN_THEN_EXIT = """
import time
start = time.process_time()
while time.process_time() - start < 0.5:
    pass
time.sleep(0.5)
"""

# Burns ~0.5 s of CPU and exits at once.
BURN_AND_EXIT = """
import time
start = time.process_time()
while time.process_time() - start < 0.5:
    pass
"""


def burn_and_exit() -> None:
    subprocess.run([sys.executable, "-c", BURN_THEN_EXIT], check=True, timeout=60)


def window_with_exiting_child(sampler: ProcessTreeSampler) -> TreeUsage:
    sampler.start()
    burn_and_exit()
    return sampler.stop()


def test_sampler_counts_a_child_that_exited_within_the_window_in_each_of_two_cycles() -> None:
    sampler = ProcessTreeSampler()
    first = window_with_exiting_child(sampler)
    second = window_with_exiting_child(sampler)
    assert first.cpu_seconds >= 0.2
    assert second.cpu_seconds >= 0.2


def test_sampler_counts_a_live_child_in_two_cycles() -> None:
    sampler = ProcessTreeSampler()
    usages = []
    for _ in range(2):
        sampler.start()
        child = subprocess.Popen([sys.executable, "-c", BURN_THEN_IDLE], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout is not None and child.stdout.readline() == "burned\n"
            usages.append(sampler.stop())
        finally:
            child.communicate(timeout=60)
    assert all(usage.cpu_seconds >= 0.2 for usage in usages)


def test_cpu_a_child_spent_before_the_window_is_not_counted() -> None:
    child = subprocess.Popen([sys.executable, "-c", BURN_THEN_IDLE], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "burned\n"
        sampler = ProcessTreeSampler()
        sampler.start()
        usage = sampler.stop()
    finally:
        child.communicate(timeout=60)
    assert usage.cpu_seconds < 0.2


def test_peak_rss_includes_at_least_this_process() -> None:
    sampler = ProcessTreeSampler()
    sampler.start()
    assert sampler.stop().peak_rss_bytes > 10 * 2**20


def test_a_child_that_lives_and_exits_between_two_samples_is_counted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "SAMPLE_INTERVAL_S", 3600.0)  # no sample inside the window
    sampler = ProcessTreeSampler()
    sampler.start()
    subprocess.run([sys.executable, "-c", BURN_AND_EXIT], check=True, timeout=60)
    assert sampler.stop().cpu_seconds >= 0.4
