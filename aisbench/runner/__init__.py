"""Running scenarios: a cluster session, one fresh process per case, the timed window, what it
cost (CPU, memory, retries, what the targets served), and provenance."""

from aisbench.runner.case_process import context_from_dict, context_to_dict
from aisbench.runner.metrics import ServedTotals, served_totals, target_urls
from aisbench.runner.provenance import collect_provenance
from aisbench.runner.retries import RetryCounter
from aisbench.runner.run import (
    ClusterSession,
    RunOptions,
    RunOutcome,
    load,
    run_in_fresh_process,
    run_scenario,
    strategy_context,
)

__all__ = [
    "ClusterSession",
    "RetryCounter",
    "RunOptions",
    "RunOutcome",
    "ServedTotals",
    "collect_provenance",
    "context_from_dict",
    "context_to_dict",
    "load",
    "run_in_fresh_process",
    "run_scenario",
    "served_totals",
    "strategy_context",
    "target_urls",
]
