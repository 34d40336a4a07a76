"""The pytest plugin: registered as a pytest11 entry point, free to load, and its scenario
handling (a strategy override, picking the case) pure enough to check without a cluster."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from aisbench.errors import UnknownName
from aisbench.pytest_plugin import pick_case, scenario_document
from tests.case_values import make_case

REPO = Path(__file__).resolve().parents[2]

SCENARIO: dict[str, Any] = {
    "name": "plugin-test",
    "dataset": {"kind": "objects", "count": 8, "object_size": "1KiB"},
    "strategy": "aisref-map",
    "run": {"epochs": 1, "warmup_s": 0, "repeats": 1},
    "matrix": {"strategy": ["aisref-map", "requests-get"], "loader.num_workers": [0, 2]},
}

_MODULES_AFTER = """
import sys
import pytest
before = set(sys.modules)
import aisbench.pytest_plugin
print(" ".join(sorted(set(sys.modules) - before)))
"""


def test_pyproject_registers_the_plugin_module_as_a_pytest11_entry_point() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"aisbench": "aisbench.pytest_plugin"}


def test_loading_the_plugin_imports_nothing_beyond_itself() -> None:
    """pytest imports every installed plugin at start-up, in every suite: no torch, no cluster
    code, no runner until a test asks for a fixture."""
    proc = subprocess.run([sys.executable, "-c", _MODULES_AFTER], capture_output=True,
                          text=True, check=True, timeout=60)
    assert proc.stdout.split() == ["aisbench", "aisbench.pytest_plugin"]


def test_the_strategy_argument_replaces_the_strategy_and_its_axis() -> None:
    document = scenario_document(SCENARIO, "example-http-stream")
    assert document["strategy"] == "example-http-stream"
    assert document["matrix"] == {"loader.num_workers": [0, 2]}
    assert SCENARIO["matrix"]["strategy"] == ["aisref-map", "requests-get"]  # not modified


def test_a_matrix_left_empty_by_the_strategy_argument_is_dropped() -> None:
    document = scenario_document({**SCENARIO, "matrix": {"strategy": ["aisref-map"]}},
                                 "requests-get")
    assert "matrix" not in document


def test_a_shipped_scenario_is_found_by_name() -> None:
    document = scenario_document("smoke", None)
    assert document["name"] == "smoke"
    assert document["matrix"]["strategy"][0] == "aisref-shards"


def test_the_only_case_is_picked_without_a_case_id() -> None:
    case = make_case()
    assert pick_case([case], None, "s") is case


def test_one_of_several_cases_needs_its_case_id_and_the_error_lists_them() -> None:
    cases = [make_case("aisref-map"), make_case("requests-get")]
    assert pick_case(cases, "strategy=requests-get,num_workers=0", "s") is cases[1]
    with pytest.raises(UnknownName, match="scenario 's': 2 cases: pass case_id; cases: "
                                          "strategy=aisref-map,num_workers=0, "
                                          "strategy=requests-get,num_workers=0"):
        pick_case(cases, None, "s")
    with pytest.raises(UnknownName, match="no case 'nope'"):
        pick_case(cases, "nope", "s")
