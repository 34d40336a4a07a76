"""Fault injection and its verdicts, for the fault tests and the ``faults`` scenario.

- scenario: the ``kind: faults`` scenario file, validated into a FaultScenario.
- suite: runs a FaultScenario step by step; each outcome is a case of the run, kept by the
  runner's journal in the one results store as it ends.
- bench: a local cluster of our own that faults may hurt, with self-checking data (datasets).
- node_faults: a target killed (restarted or not), frozen, or killed while an object streams.
- network_faults: the userspace slow, lossy link (tcp_proxy) and kernel netem (netem,
  netem_run: a cluster inside a network namespace of our own).
- data_faults: truncated and garbage shards. runner_fault: ``aisbench run`` SIGKILLed, resumed.
- epoch_run / judge: run an epoch with a fault part-way; tally it; judge it against the rule
  "exactly once, or a typed error naming the object and the node" (the verdict's value,
  FaultOutcome, is a result: aisbench.results).
- soak: per-worker RSS and open fds across epochs of persistent workers, and their growth.
- report*: the faults report (HTML, Markdown, plots) of a fault run's record.
- legacy_run_dir: reads the run directories older versions wrote, for their report.
"""
from aisbench.faults.legacy_run_dir import is_fault_run_dir, read_fault_run_dir
from aisbench.faults.report_html import write_faults_report
from aisbench.faults.scenario import fault_scenario_from_document
from aisbench.faults.suite import run_fault_suite

__all__ = [
    "fault_scenario_from_document",
    "is_fault_run_dir",
    "read_fault_run_dir",
    "run_fault_suite",
    "write_faults_report",
]
