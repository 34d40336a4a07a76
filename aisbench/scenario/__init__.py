"""Scenarios: YAML files -> validated `Scenario` -> `Case`s (see scenarios/README.md)."""

from aisbench.scenario.dataset import DatasetSpec, SizeRange
from aisbench.scenario.errors import ScenarioError
from aisbench.scenario.expand import expand
from aisbench.scenario.load import (
    DEFAULT_SCENARIOS_DIR,
    MAX_CASES,
    find_scenario,
    list_scenarios,
    load_scenario,
)
from aisbench.scenario.model import (
    AcceleratorSettings,
    Case,
    CaseSettings,
    ClusterSpec,
    EtlSpec,
    LoaderSettings,
    MatrixAxis,
    RunSettings,
    Scenario,
)

__all__ = [
    "DEFAULT_SCENARIOS_DIR",
    "MAX_CASES",
    "AcceleratorSettings",
    "Case",
    "CaseSettings",
    "ClusterSpec",
    "DatasetSpec",
    "EtlSpec",
    "LoaderSettings",
    "MatrixAxis",
    "RunSettings",
    "Scenario",
    "ScenarioError",
    "SizeRange",
    "expand",
    "find_scenario",
    "list_scenarios",
    "load_scenario",
]
