"""A pytest plugin: measure a loader inside your own test suite (installed with aisbench, as
the ``pytest11`` entry point ``aisbench``; README, "Your own loader").

Fixtures:

- ``aisbench_cluster`` (session): the endpoint of a ready AIStore cluster, e.g.
  "http://127.0.0.1:21080". With AIS_ENDPOINT set, that cluster (never started or stopped);
  otherwise a local cluster of real aisnode processes (1 proxy, 2 targets) on free loopback
  ports, started the first time a test asks and stopped when the session ends.
- ``aisbench_case``: a function ``aisbench_case(scenario, strategy=None, case_id=None)`` that
  runs one case of a scenario (a YAML path, a shipped scenario's name, or the mapping a YAML
  file would hold) on that cluster, exactly as ``aisbench run`` does - its dataset generated or
  reused, the case measured in a fresh process - and returns its `CaseResult`. A case the
  strategy cannot run here skips the test with the reason; a case that fails fails it.

Loading the plugin imports nothing but pytest: the cluster, torch and the runner load when a
test first asks for one of its fixtures.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    from aisbench.results import CaseResult
    from aisbench.scenario import Case

ScenarioSource = str | Path | Mapping[str, Any]


class CaseFailed(Exception):
    """The case ran and failed (its reason is the message): the test that asked for it fails."""


class RunsCase(Protocol):
    """What the ``aisbench_case`` fixture is."""

    def __call__(self, scenario: ScenarioSource, *, strategy: str | None = None,
                 case_id: str | None = None) -> CaseResult: ...


def scenario_document(scenario: ScenarioSource, strategy: str | None) -> dict[str, Any]:
    """The scenario as a YAML mapping; ``strategy`` replaces its strategy and strategy axis."""
    if isinstance(scenario, Mapping):
        document = copy.deepcopy(dict(scenario))
    else:
        from aisbench.scenario import find_scenario, read_yaml

        path = find_scenario(scenario)
        document = read_yaml(path)
        document.setdefault("name", path.stem)
    if strategy is not None:
        document["strategy"] = strategy
        matrix = document.get("matrix") or {}
        matrix.pop("strategy", None)
        if matrix:
            document["matrix"] = matrix
        else:
            document.pop("matrix", None)
    return document


def pick_case(cases: list[Case], case_id: str | None, scenario_name: str) -> Case:
    """The one case asked for (or the only one), else UnknownName listing the case ids."""
    from aisbench.errors import UnknownName

    if case_id is None and len(cases) == 1:
        return cases[0]
    chosen = [case for case in cases if case.case_id == case_id]
    if not chosen:
        problem = "no case " + repr(case_id) if case_id else f"{len(cases)} cases: pass case_id"
        raise UnknownName(f"scenario {scenario_name!r}: {problem}; cases: "
                          f"{', '.join(c.case_id for c in cases)}")
    return chosen[0]


def run_case(endpoint: str, home: Path, workdir: Path, scenario: ScenarioSource, *,
             strategy: str | None = None, case_id: str | None = None) -> CaseResult:
    """One case of ``scenario`` measured on ``endpoint`` the way `aisbench run` measures it
    (the scenario's ``cluster:`` section is not used: the case runs on ``endpoint``)."""
    import yaml

    from aisbench.datagen import ensure_dataset
    from aisbench.results import make_run_id
    from aisbench.runner import load, run_in_fresh_process, strategy_context
    from aisbench.scenario import expand
    from aisbench.strategies import get_strategy

    document = scenario_document(scenario, strategy)
    path = workdir / f"{document.get('name') or 'aisbench-case'}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    case = pick_case(expand(load(path)), case_id, path.stem)
    ensure_dataset(endpoint, case.dataset, progress=False)
    ctx = strategy_context(endpoint, case.dataset, home)
    reason = get_strategy(case.strategy).skip_reason(case, ctx)
    if reason:
        pytest.skip(f"{case.strategy} cannot run {case.case_id} here: {reason}")
    result = run_in_fresh_process(case, ctx, make_run_id())
    if result.status != "ok":
        raise CaseFailed(f"{case.strategy} {case.case_id}: {result.status}: {result.reason}")
    return result


@pytest.fixture(scope="session")
def aisbench_cluster() -> Iterator[str]:
    """The endpoint of a ready AIStore cluster: AIS_ENDPOINT's, or a local one for the session."""
    from aisbench.cluster import scoped_cluster, settings_from_env

    settings = settings_from_env()
    with scoped_cluster(settings.home, settings.endpoint) as endpoint:
        yield endpoint


@pytest.fixture
def aisbench_case(aisbench_cluster: str, tmp_path: Path) -> RunsCase:
    """``aisbench_case(scenario, strategy=None, case_id=None)``: one case measured on
    ``aisbench_cluster``; returns its CaseResult (``result.mean("samples_per_s")``)."""
    from aisbench.cluster import settings_from_env

    home = settings_from_env().home

    def measure(scenario: ScenarioSource, *, strategy: str | None = None,
                case_id: str | None = None) -> CaseResult:
        return run_case(aisbench_cluster, home, tmp_path, scenario, strategy=strategy,
                        case_id=case_id)

    return measure
