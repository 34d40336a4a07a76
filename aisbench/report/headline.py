"""The headline a run answers: each loader at its best case against its aisloader ceiling.

One row per loader strategy (ours, the official SDK, webdataset, the rest), its fastest case by
samples/s, and the ceiling measured for the same kind of read on the same data (the strategy's
`ceiling_strategy`, matched on every parameter the ceiling depends on). Pure functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aisbench.report.case_data import (
    CEILING_STRATEGY,
    LOADER_KEYS,
    MetricSummary,
    ceilings,
    measured,
    pooled,
    summarize,
    summarize_case,
)
from aisbench.results import CaseResult

# Who wrote the loader, in the order the headline lists them.
FAMILIES = (("aisref-", "ours (aisref)"), ("official-", "official SDK"),
            ("webdataset", "webdataset"), ("", "baseline"))
HEADLINE_HEADINGS = ("loader", "strategy", "best case", "samples/s", "MiB/s", "ceiling",
                     "ceiling MiB/s", "of ceiling")


@dataclass(frozen=True, slots=True)
class HeadlineRow:
    """A loader's best case; ``share`` is its MiB/s over its ceiling's (None without one)."""

    family: str
    strategy: str
    case_id: str
    samples_per_s: MetricSummary
    mib_per_s: MetricSummary
    ceiling: str
    ceiling_mib_per_s: MetricSummary | None

    @property
    def share(self) -> float | None:
        if self.ceiling_mib_per_s is None or self.ceiling_mib_per_s.mean <= 0:
            return None
        return self.mib_per_s.mean / self.ceiling_mib_per_s.mean


def family(strategy: str) -> str:
    return next(name for prefix, name in FAMILIES if strategy.startswith(prefix))


def ceiling_of(case: CaseResult) -> str:
    return str(case.extra.get("ceiling_strategy", CEILING_STRATEGY))


def matching_ceilings(case: CaseResult, candidates: Sequence[CaseResult]) -> list[CaseResult]:
    """The ceiling cases of ``case``'s kind of read with the same values of every parameter
    except the loader settings the ceiling does not depend on."""
    wanted = ceiling_of(case)

    def matches(top: CaseResult) -> bool:
        ignored = LOADER_KEYS - {k for key in top.extra.get("loader_keys", ())
                                 for k in (key, f"loader.{key}")}
        keys = (set(case.params) | set(top.params)) - ignored - {"strategy"}
        return all(case.params.get(k) == top.params.get(k) for k in keys)

    return [top for top in candidates if top.strategy == wanted and matches(top)]


def headline_rows(cases: Sequence[CaseResult]) -> list[HeadlineRow]:
    """One row per loader strategy that measured something, ours first, then the official SDK,
    webdataset and the rest; within a family the fastest first."""
    best: dict[str, tuple[CaseResult, MetricSummary]] = {}
    for case in measured(cases):
        summary = summarize_case(case, "samples_per_s")
        if summary is not None and (case.strategy not in best
                                    or summary.mean > best[case.strategy][1].mean):
            best[case.strategy] = (case, summary)
    tops = ceilings(cases)
    rows = []
    for strategy, (case, samples) in best.items():
        mib = summarize_case(case, "mib_per_s")
        assert mib is not None  # an ok case has repeats
        rows.append(HeadlineRow(
            family=family(strategy), strategy=strategy, case_id=case.case_id,
            samples_per_s=samples, mib_per_s=mib, ceiling=ceiling_of(case),
            ceiling_mib_per_s=summarize(pooled(matching_ceilings(case, tops), "mib_per_s"))))
    order = [name for _, name in FAMILIES]
    return sorted(rows, key=lambda r: (order.index(r.family), -r.samples_per_s.mean))


def headline_cells(row: HeadlineRow) -> list[str]:
    """The row as text: loader, strategy, case, samples/s, MiB/s, ceiling, its MiB/s, share."""
    return [row.family, row.strategy, row.case_id, _with_ci(row.samples_per_s),
            _with_ci(row.mib_per_s), row.ceiling,
            "n/a" if row.ceiling_mib_per_s is None else _with_ci(row.ceiling_mib_per_s),
            "n/a" if row.share is None else f"{row.share:.0%}"]


def _with_ci(summary: MetricSummary) -> str:
    half = summary.half_width
    return f"{summary.mean:,.1f}" + ("" if half is None else f" ± {half:,.1f}")
