"""Fault injection and its verdicts, for the fault tests and the ``faults`` scenario.

- scenario: the ``kind: faults`` scenario file, validated into a FaultScenario.
- suite: runs a FaultScenario step by step, writing each outcome as it ends (run_dir).
- bench: a local cluster of our own that faults may hurt, with self-checking data (datasets).
- node_faults: a target killed (restarted or not), frozen, or killed while an object streams.
- network_faults: the userspace slow, lossy link (tcp_proxy) and kernel netem (netem,
  netem_run: a cluster inside a network namespace of our own).
- data_faults: truncated and garbage shards. runner_fault: ``aisbench run`` SIGKILLed, resumed.
- epoch_run / outcome: run an epoch with a fault part-way; tally it; judge it against the rule
  "exactly once, or a typed error naming the object and the node".
- soak: per-worker RSS and open fds across epochs of persistent workers, and their growth.
- report*: the faults report (HTML, Markdown, plots) from a run directory.
"""
from aisbench.faults.report_html import write_faults_report
from aisbench.faults.run_dir import FaultRunDir, is_fault_run_dir
from aisbench.faults.scenario import fault_scenario_from_document
from aisbench.faults.suite import run_fault_suite

__all__ = [
    "FaultRunDir",
    "fault_scenario_from_document",
    "is_fault_run_dir",
    "run_fault_suite",
    "write_faults_report",
]
