"""Every fault a scenario can name, in the order a run takes them: the epoch faults per dataset
and worker count, then the bench faults, then (after the soak) the faults on clusters of their
own. The scenario schema (scenario.py) and the suite (suite.py) are built from this list."""

from __future__ import annotations

from aisbench.faults.data_faults import CORRUPT_SHARD
from aisbench.faults.kinds import FaultKind
from aisbench.faults.network_faults import NETEM, SLOW_LINK
from aisbench.faults.node_faults import (
    KILL_WHILE_STREAMING,
    TARGET_FREEZE,
    TARGET_KILL,
    TARGET_KILL_RESTART,
)
from aisbench.faults.runner_fault import RUNNER_KILL

FAULT_KINDS: tuple[FaultKind, ...] = (
    TARGET_KILL_RESTART,
    TARGET_KILL,
    SLOW_LINK,
    TARGET_FREEZE,
    KILL_WHILE_STREAMING,
    CORRUPT_SHARD,
    RUNNER_KILL,
    NETEM,
)
