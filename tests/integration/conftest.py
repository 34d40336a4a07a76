"""Fixtures every integration module shares, defined here once.

A fixture function imported into two test modules is two fixtures to pytest, each with its own
session cache: the session-scoped fault cluster, imported by each fault module, started once
per module (~15 s each).
"""

from tests.integration.fault_fixtures import fault_cluster

__all__ = ["fault_cluster"]
