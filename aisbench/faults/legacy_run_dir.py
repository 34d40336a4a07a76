"""Faults run directories as aisbench wrote them before a fault run was a run in the results
store (read only: ``aisbench report <directory>`` still renders them).

    <directory>/
        run.json                  the run's meta: scenario, cluster, times, why it stopped
        outcomes/[NNN-]<fault>-<dataset>-w<N>.json   one FaultOutcome per fault run
        soak/<dataset>.json       per-worker RSS / fd series of a soak

`read_fault_run_dir` turns one into the `RunRecord` a fault run is today, so the one report
code draws both. What it cannot read (a file half written by a killed suite) is set aside with
why, never fatal: the report shows what was measured.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aisbench.errors import InvalidValue
from aisbench.faults.soak import SOAK_SERIES
from aisbench.results import (
    FaultOutcome,
    Provenance,
    RunRecord,
    fault_case,
    outcome_from_dict,
    provenance_from_dict,
)

UNKNOWN = "unknown (a faults run directory written before provenance was recorded)"


@dataclass(frozen=True)
class LegacyFaultRun:
    """The run a directory holds, and a line for each file in it that could not be read."""

    record: RunRecord
    problems: tuple[str, ...] = ()


def is_fault_run_dir(path: Path) -> bool:
    """A directory the old faults suite wrote: it holds run.json or outcomes/."""
    return path.is_dir() and ((path / "run.json").is_file() or (path / "outcomes").is_dir())


def read_fault_run_dir(path: Path) -> LegacyFaultRun:
    """The run in ``path`` as a `RunRecord`: its meta, one case per outcome (in the order the
    suite ran them), each soak's series beside its outcome."""
    problems: list[str] = []
    meta = (_read_json(path / "run.json", "run.json", problems)
            if (path / "run.json").is_file() else {})
    meta = meta if isinstance(meta, dict) else {}
    run_id = str(meta.get("run_id") or path.name)
    scenario = str(meta.get("scenario") or path.name)
    outcomes = _read_outcomes(path / "outcomes", problems)
    series = _read_soak_series(path / "soak", problems)
    cases = []
    for outcome in outcomes:
        extra = {}
        if outcome.fault.startswith("soak") and outcome.dataset.split(",")[0] in series:
            extra = {SOAK_SERIES: series.pop(outcome.dataset.split(",")[0])}
        cases.append(fault_case(run_id, scenario, outcome, extra))
    problems += [f"soak/{name}.json: no soak outcome recorded for it" for name in series]
    return LegacyFaultRun(
        RunRecord(run_id=run_id, scenario=scenario, provenance=_provenance(meta),
                  cases=tuple(cases), description=str(meta.get("description", "")),
                  settings=dict(meta.get("settings") or {}), finished_at=meta.get("finished"),
                  stopped=meta.get("stopped")),
        tuple(problems))


def _provenance(meta: dict[str, Any]) -> Provenance:
    if meta.get("provenance") is not None:
        return provenance_from_dict(meta["provenance"])
    return Provenance(git_sha=None, aisbench_version=UNKNOWN,
                      aisnode_version=meta.get("aisnode_version"), sdk_version=None,
                      torch_version=None, python_version=UNKNOWN, platform=UNKNOWN,
                      cpu_model=None, cpu_count=0, cluster=str(meta.get("cluster", UNKNOWN)),
                      scenario_hash="", started_at=str(meta.get("started", "")))


def _read_outcomes(directory: Path, problems: list[str]) -> list[FaultOutcome]:
    outcomes = []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        raw = _read_json(path, f"outcomes/{path.name}", problems)
        try:
            outcomes.append(outcome_from_dict(raw if isinstance(raw, dict) else {}))
        except InvalidValue as err:
            if raw is not None:
                problems.append(f"outcomes/{path.name}: {err}")
    return sorted(outcomes, key=lambda o: (o.step, o.fault, o.dataset, o.num_workers))


def _read_soak_series(directory: Path, problems: list[str]) -> dict[str, Any]:
    """Each soak series by its dataset (the file's stem); the report checks their shape."""
    series = {}
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        raw = _read_json(path, f"soak/{path.name}", problems)
        if raw is not None:
            series[path.stem] = raw
    return series


def _read_json(path: Path, name: str, problems: list[str]) -> Any:
    """The file's JSON; None (and a line in ``problems`` naming it) when it cannot be read."""
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        problems.append(f"{name}: not valid JSON ({err})")
        return None

