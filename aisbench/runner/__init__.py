"""Running scenarios: a cluster session, one fresh process per case, the timed window, what it
cost (CPU, memory, retries, what the targets served), and provenance.

The face is lazy (PEP 562): every measured case starts a fresh interpreter at
`aisbench.runner.case_process`, which imports this package first, and an eager face made each
of them load the cluster and datagen layers it never uses (+5.5% of its start-up, ~85 ms,
measured against this lazy one).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aisbench.runner.case_process import context_from_dict, context_to_dict
    from aisbench.runner.distributed import (
        DEFAULT_RDZV_TIMEOUT_S,
        LOOPBACK,
        LOOPBACK_INTERFACE,
        NodePlan,
        RendezvousFailed,
        node_plan,
    )
    from aisbench.runner.journal import INTERRUPTED, ResultPaths, RunJournal
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
        run_scenario_as_node,
        strategy_context,
    )

_HOMES = {
    "context_from_dict": "case_process", "context_to_dict": "case_process",
    "ServedTotals": "metrics", "served_totals": "metrics", "target_urls": "metrics",
    "INTERRUPTED": "journal", "ResultPaths": "journal", "RunJournal": "journal",
    "collect_provenance": "provenance", "RetryCounter": "retries",
    "ClusterSession": "run", "RunOptions": "run", "RunOutcome": "run", "load": "run",
    "run_in_fresh_process": "run", "run_scenario": "run", "strategy_context": "run",
    "run_scenario_as_node": "run",
    "DEFAULT_RDZV_TIMEOUT_S": "distributed", "NodePlan": "distributed",
    "LOOPBACK": "distributed", "LOOPBACK_INTERFACE": "distributed",
    "RendezvousFailed": "distributed", "node_plan": "distributed",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)


__all__ = [
    "DEFAULT_RDZV_TIMEOUT_S",
    "INTERRUPTED",
    "LOOPBACK",
    "LOOPBACK_INTERFACE",
    "ClusterSession",
    "NodePlan",
    "RendezvousFailed",
    "ResultPaths",
    "RetryCounter",
    "RunJournal",
    "RunOptions",
    "RunOutcome",
    "ServedTotals",
    "collect_provenance",
    "context_from_dict",
    "context_to_dict",
    "load",
    "node_plan",
    "run_in_fresh_process",
    "run_scenario",
    "run_scenario_as_node",
    "served_totals",
    "strategy_context",
    "target_urls",
]
