"""One measurement: a case in a fresh process of one version, and what the targets served."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import requests

from aisbench.ab.errors import MeasuringStopped
from aisbench.ab.gate import ProcessMeasurement
from aisbench.ab.metrics import wall_values
from aisbench.ab.versions import Version
from aisbench.runner import ServedTotals, run_in_fresh_process, served_totals
from aisbench.scenario import Case
from aisbench.strategies import StrategyContext


@dataclass(frozen=True)
class CaseSite:
    """A case as an A/B measures it (one window after its warmup) and where its data is."""

    case: Case
    ctx: StrategyContext
    targets: tuple[str, ...]  # the targets' URLs, whose counters say what was served


def one_window(case: Case) -> Case:
    """``case`` with one measured window per process: an A/B's repeats are its blocks."""
    return replace(case, settings=replace(case.settings,
                                          run=replace(case.run, repeats=1)))


def _served(site: CaseSite) -> ServedTotals:
    try:
        return served_totals(list(site.targets))
    except requests.RequestException as exc:
        raise MeasuringStopped(
            f"a target stopped answering ({exc}); check `aisbench cluster status` and the "
            "node logs (`aisbench cluster logs`), then run the A/B again") from None


def measure_process(version: Version, site: CaseSite, block: int, slot: int,
                    run_id: str) -> ProcessMeasurement:
    """Run ``site.case`` once in a fresh process that imports ``version``'s code."""
    before = _served(site)
    started = time.monotonic()
    result = run_in_fresh_process(site.case, site.ctx, run_id, env=version.environment(),
                                  cwd=version.tree)
    wall_s = time.monotonic() - started
    values = wall_values(result, _served(site) - before)
    if result.status != "ok":
        reason = result.reason or result.status
    else:
        reason = "" if values else "the window delivered no samples"
    return ProcessMeasurement(site.case.case_id, version.role, block, slot, ok=not reason,
                              values=values, reason=reason, wall_s=wall_s)
