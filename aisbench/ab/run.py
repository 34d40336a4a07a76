"""`aisbench ab`: two versions of the code measured in one invocation, on one cluster and one
set of datasets, judged case by case.

The scenario is read from the current version (by name from its scenarios/, or a YAML path)
and expanded by this process; each measurement is a fresh process importing one version's
aisbench and aisref (see `versions`). Every measurement is appended to
``<reports>/ab/<id>/measurements.jsonl`` the moment it ends; the verdicts go to ``ab.json`` and
``summary.md`` beside it, also after Ctrl-C (with what was measured so far).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests

from aisbench.ab.blocks import measure_blocks
from aisbench.ab.errors import AbError
from aisbench.ab.gate import (
    EXIT_SLOWER,
    CaseVerdict,
    GateSettings,
    ProcessMeasurement,
    Role,
    exit_code,
    judge_case,
)
from aisbench.ab.instructions import instructions_per_sample, valgrind_missing
from aisbench.ab.markdown import to_markdown
from aisbench.ab.measure import CaseSite, measure_process, one_window
from aisbench.ab.versions import (
    Version,
    check_dependencies,
    checked_out,
    strategies_of,
)
from aisbench.cluster import ClusterSettings
from aisbench.datagen import ensure_dataset
from aisbench.results import make_run_id
from aisbench.runner import ClusterSession, load, strategy_context, target_urls
from aisbench.scenario import (
    SCENARIO_SUFFIXES,
    Case,
    ClusterSpec,
    DatasetSpec,
    ScenarioError,
    expand,
    list_scenarios,
)
from aisbench.strategies import LoaderStrategy, StrategyContext, get_strategy

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class AbRequest:
    """What to compare: ``scenario`` (a name in the current version's scenarios/, or a YAML
    path), ``base_ref`` and ``current_ref`` (None: the working tree), how strictly, and where
    results go. ``instruction_samples``: samples counted under valgrind (None: no count)."""

    scenario: str
    base_ref: str
    current_ref: str | None
    gate: GateSettings
    reports: Path
    instruction_samples: int | None = None
    repo: Path = REPO


@dataclass(frozen=True)
class AbOutcome:
    verdicts: tuple[CaseVerdict, ...]
    exit_code: int
    markdown: str
    directory: Path
    interrupted: bool


def scenario_path(version: Version, scenario: str) -> Path:
    """The scenario file: a YAML path as given, else ``scenarios/<name>.yaml`` of ``version``."""
    given = Path(scenario)
    if given.suffix in SCENARIO_SUFFIXES and given.is_file():
        return given
    folder = version.tree / "scenarios"
    for suffix in SCENARIO_SUFFIXES:
        candidate = folder / f"{scenario}{suffix}"
        if candidate.is_file():
            return candidate
    known = ", ".join(list_scenarios(folder)) or "none"
    raise AbError(f"scenario {scenario!r} does not exist in the {version.label} "
                  f"({folder}; it has: {known}): pass one of those or a YAML path")


def check_strategies(cases: list[Case], versions: tuple[Version, ...]) -> None:
    """AbError naming the first strategy a version does not have."""
    for version in versions:
        have = set(strategies_of(version))
        for case in cases:
            if case.strategy not in have:
                raise AbError(f"strategy {case.strategy!r} (case {case.case_id}) does not exist "
                              f"in the {version.label} (it has: {', '.join(sorted(have))}): "
                              "drop it from the scenario, or compare with a ref that has it")


MEASUREMENTS_FILE = "measurements.jsonl"


def read_measurements(directory: Path) -> list[ProcessMeasurement]:
    """The measurements an A/B recorded in ``directory`` (see `_Recorder`)."""
    lines = (directory / MEASUREMENTS_FILE).read_text().splitlines()
    return [ProcessMeasurement(**json.loads(line)) for line in lines if line.strip()]


class _Recorder:
    """Appends each measurement to measurements.jsonl as it ends (one JSON line each)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / MEASUREMENTS_FILE

    def __call__(self, m: ProcessMeasurement) -> None:
        with self.path.open("a") as out:
            out.write(json.dumps(asdict(m)) + "\n")


def _sites(cases: list[Case], settings: ClusterSettings,
           log: Callable[[str], None]) -> dict[str, CaseSite]:
    """Cluster and datasets up; where each runnable case's data is (skipped cases left out)."""
    session = ClusterSession(settings, {})
    prepared: dict[tuple[ClusterSpec, DatasetSpec], tuple[StrategyContext, tuple[str, ...]]] = {}
    sites: dict[str, CaseSite] = {}
    for case in cases:
        key = (case.cluster, case.dataset)
        if key not in prepared:
            endpoint = session.endpoint_for(case.cluster)
            info = ensure_dataset(endpoint, case.dataset, progress=False)
            log(f"dataset {info.bucket}: {info.objects} objects "
                f"({'reused' if info.reused else 'generated'})")
            try:
                targets = tuple(target_urls(endpoint))
            except requests.RequestException as exc:
                raise AbError(f"the cluster at {endpoint} does not list its targets ({exc}); "
                              "check `aisbench cluster status`, nothing was measured") from None
            prepared[key] = (strategy_context(endpoint, case.dataset, settings.home), targets)
        ctx, targets = prepared[key]
        reason = get_strategy(case.strategy).skip_reason(case, ctx)
        if reason:
            log(f"{case.case_id}: skipped: {reason}")
            continue
        sites[case.case_id] = CaseSite(one_window(case), ctx, targets)
    return sites


def _count_instructions(sites: dict[str, CaseSite], versions: dict[Role, Version],
                        verdicts: dict[str, CaseVerdict], samples: int,
                        log: Callable[[str], None]) -> dict[str, dict[Role, float]]:
    counts: dict[str, dict[Role, float]] = {}
    for case_id, site in sites.items():
        if verdicts[case_id].verdict == "failed":
            continue
        if not isinstance(get_strategy(site.case.strategy), LoaderStrategy):
            log(f"{case_id}: no instruction count: {site.case.strategy} is an external tool")
            continue
        counts[case_id] = {}
        for role, version in versions.items():
            counts[case_id][role] = instructions_per_sample(version, site, samples)
            log(f"{case_id}: {role}: {counts[case_id][role]:,.0f} instructions/sample")
    return counts


def run_ab(request: AbRequest, cluster: ClusterSettings,
           log: Callable[[str], None] = print) -> AbOutcome:
    """Measure, judge and write; AbError for anything the user can fix before measuring."""
    if request.instruction_samples is not None and (missing := valgrind_missing()):
        raise AbError(missing)
    ab_id = make_run_id()
    directory = request.reports / "ab" / ab_id
    with ExitStack() as stack:
        base = stack.enter_context(checked_out(request.repo, "base", request.base_ref))
        current = stack.enter_context(checked_out(request.repo, "current", request.current_ref))
        versions: dict[Role, Version] = {"base": base, "current": current}
        path = scenario_path(current, request.scenario)
        try:
            scenario = load(path)
        except ScenarioError as exc:
            raise AbError(f"the scenario of the {current.label} is not valid: {exc}") from None
        cases = expand(scenario)
        for version in versions.values():
            check_dependencies(version)
        check_strategies(cases, (base, current))
        log(f"ab {scenario.name}: {base.label} vs {current.label}; {len(cases)} case(s), "
            f"results in {directory}")
        sites = _sites(cases, cluster, log)
        if not sites:
            raise AbError(f"{path}: every case was skipped here, so there is nothing to compare")
        record = _Recorder(directory)

        def measure(case_id: str, role: Role, block: int, slot: int) -> ProcessMeasurement:
            m = measure_process(versions[role], sites[case_id], block, slot, ab_id)
            shown = (f"{m.values.get('samples_per_s', 0):.0f} samples/s" if m.ok
                     else f"FAILED: {m.reason}")
            log(f"  block {block} {role:<7} {case_id}: {shown} ({m.wall_s:.1f} s)")
            return m

        started = time.monotonic()
        outcome = measure_blocks(list(sites), request.gate, measure, on_measurement=record,
                                 log=log)
        interrupted = outcome.interrupted
        verdicts = {c: judge_case(c, outcome.measurements, request.gate) for c in sites}
        if request.instruction_samples is not None and not interrupted:
            try:
                counts = _count_instructions(sites, versions, verdicts,
                                             request.instruction_samples, log)
                verdicts = {c: judge_case(c, outcome.measurements, request.gate,
                                          counts.get(c)) for c in sites}
            except KeyboardInterrupt:
                interrupted = True  # the wall-clock verdicts stand; no instruction counts
        ordered = tuple(verdicts.values())
        code = exit_code(ordered)
        markdown = to_markdown(scenario=scenario.name, base_label=base.label,
                               current_label=current.label, verdicts=ordered,
                               measurements=outcome.measurements, settings=request.gate,
                               exit_code=code, stopped_by=outcome.stopped_by,
                               with_instructions=request.instruction_samples is not None)
        if interrupted:
            markdown = ("**Interrupted** (Ctrl-C or SIGTERM): the verdicts below use what was "
                        "measured before.\n\n" + markdown)
        elif outcome.stopped_by not in ("decided", "max_blocks", "budget"):
            markdown = (f"**Measuring stopped**: {outcome.stopped_by}. The verdicts below use "
                        "the blocks finished before.\n\n" + markdown)
        _write_summary(directory, request, versions, ordered, code, markdown, outcome.stopped_by,
                       time.monotonic() - started, interrupted)
    return AbOutcome(ordered, code, markdown, directory, interrupted)


def _write_summary(directory: Path, request: AbRequest, versions: dict[Role, Version],
                   verdicts: tuple[CaseVerdict, ...], code: int, markdown: str, stopped_by: str,
                   seconds: float, interrupted: bool) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "summary.md").write_text(markdown)
    document: dict[str, Any] = {
        "format": "aisbench-ab", "version": 1, "scenario": request.scenario,
        "versions": {role: {"ref": v.ref, "commit": v.commit} for role, v in versions.items()},
        "gate": asdict(request.gate), "exit_code": code, "stopped_by": stopped_by,
        "interrupted": interrupted, "measuring_s": round(seconds, 3),
        "fails_gate": code == EXIT_SLOWER,
        "verdicts": [asdict(v) for v in verdicts],
    }
    (directory / "ab.json").write_text(json.dumps(document, indent=2))
