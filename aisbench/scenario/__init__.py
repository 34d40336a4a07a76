"""Scenarios: YAML files -> validated `Scenario` -> `Case`s (see scenarios/README.md)."""

from aisbench.scenario.dataset import DatasetSpec, SizeRange, canonical_sha256
from aisbench.scenario.document import NAME_SYNTAX, ClusterDoc, allowed
from aisbench.scenario.errors import ScenarioError
from aisbench.scenario.expand import expand
from aisbench.scenario.load import (
    DEFAULT_SCENARIOS_DIR,
    MAX_CASES,
    SCENARIO_SUFFIXES,
    find_scenario,
    is_faults_scenario,
    list_scenarios,
    load_scenario,
    read_yaml,
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
from aisbench.scenario.validation_errors import raise_from_validation

__all__ = [
    "DEFAULT_SCENARIOS_DIR",
    "MAX_CASES",
    "NAME_SYNTAX",
    "SCENARIO_SUFFIXES",
    "AcceleratorSettings",
    "Case",
    "CaseSettings",
    "ClusterDoc",
    "ClusterSpec",
    "DatasetSpec",
    "EtlSpec",
    "LoaderSettings",
    "MatrixAxis",
    "RunSettings",
    "Scenario",
    "ScenarioError",
    "SizeRange",
    "allowed",
    "canonical_sha256",
    "expand",
    "find_scenario",
    "is_faults_scenario",
    "list_scenarios",
    "load_scenario",
    "raise_from_validation",
    "read_yaml",
]
