"""Turn a scenario's matrix into its cases: a pure function, deterministic in order.

Order: the cartesian product of the matrix keys in file order, the first key varying slowest,
each key's values in the order written. Put the most expensive key to change (cluster.*,
dataset.*) first so the runner changes it least often.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from typing import Any

from aisbench.scenario.model import Case, MatrixAxis, Scenario, param_label, param_value

DEFAULT_CASE_ID = "default"


def expand(scenario: Scenario) -> list[Case]:
    """All cases of ``scenario``, excludes dropped, in the documented order.

    Raises ValueError when a combination breaks a settings invariant (load_scenario turns that
    into a ScenarioError naming the case).
    """
    labels = axis_labels(scenario.matrix)
    cases: list[Case] = []
    for combination in combinations(scenario):
        settings = scenario.defaults
        for axis, value in zip(scenario.matrix, combination, strict=True):
            settings = settings.with_value(axis.key, value)
        case_id = case_id_for(labels, combination)
        params = {
            label: param_value(value) for label, value in zip(labels, combination, strict=True)
        }
        cases.append(Case(scenario.name, case_id, params, settings))
    return cases


def combinations(scenario: Scenario) -> Iterator[tuple[Any, ...]]:
    """The matrix combinations (one value per axis) that no exclude drops."""
    keys = [axis.key for axis in scenario.matrix]
    for combination in itertools.product(*(axis.values for axis in scenario.matrix)):
        chosen = dict(zip(keys, combination, strict=True))
        if not any(_matches(chosen, entry) for entry in scenario.excludes):
            yield combination


def axis_labels(matrix: tuple[MatrixAxis, ...]) -> list[str]:
    """Short names for the axes: the last part of each key, or the full key where that clashes."""
    counts = Counter(axis.label for axis in matrix)
    return [axis.label if counts[axis.label] == 1 else axis.key for axis in matrix]


def case_id_for(labels: list[str], combination: tuple[Any, ...]) -> str:
    """ "strategy=aisref-map,num_workers=2"; "default" for a scenario without a matrix."""
    if not labels:
        return DEFAULT_CASE_ID
    return ",".join(
        f"{label}={param_label(value)}" for label, value in zip(labels, combination, strict=True)
    )


def _matches(chosen: dict[str, Any], entry: tuple[tuple[str, Any], ...]) -> bool:
    return all(chosen[key] == value for key, value in entry)
