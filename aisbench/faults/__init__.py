"""Fault injection and its verdicts, for the fault tests and the faults report.

- node_control: kill (SIGKILL), freeze (SIGSTOP), resume and restart one node of a LocalCluster.
- tcp_proxy: a slow, lossy link in userspace, in front of the primary proxy (first hop only).
- netem / netem_run: kernel netem on the loopback of a network namespace of our own (every hop).
- datasets: self-checking data and every aisref dataset reduced to checked sample ids.
- epoch_run / outcome: run an epoch with a fault part-way; tally it; judge it against the rule
  "exactly once, or a typed error naming the object and the node".
- soak: per-worker RSS and open fds across epochs, and their growth.
- report: the Markdown faults report (``python -m aisbench.faults.report``).
"""
