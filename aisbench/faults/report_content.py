"""What the faults report says, decided once so the HTML page and the Markdown agree.

Pure functions from a fault run's record and its soak series to verdicts, one section per
fault and a row per soaked worker; cells are plain text (each renderer escapes for itself).
Three kinds of failure are told apart and none is ever a pass: a VIOLATION (the dataset broke
the rule), NOT EXERCISED (the fault was never felt: nothing proven) and a HARNESS ERROR (the
fault could not be injected or healed: unjudged, and the suite stopped there). A SKIPPED outcome
is neither a pass nor a failure: it is counted apart, with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from aisbench.faults.soak import SoakSeries
from aisbench.results import (
    HARNESS_ERROR,
    MIB,
    NOT_EXERCISED,
    SKIPPED,
    VIOLATION,
    FaultOutcome,
    RunRecord,
)

RULE = ("every epoch completed with every sample exactly once, or stopped with a typed error "
        "naming the object and the node")
RETRIES_NOTE = ("retries counts every retry of the dataset's aisref clients, in the main process "
                "and in forked DataLoader workers (one shared count); n/a where that cannot be "
                "seen (spawned workers) or does not apply.")
GROWTH_NOTE = ("Growth = median of the last third of epochs minus median of the first third "
               "(first epoch left out as warm-up).")
NO_SOAK = "No soak was run in this faults run (no soak series were written)."
ERROR_CHARS = 300  # enough for "object ais://b/o on node host:port: reason"


@dataclass(frozen=True)
class Verdict:
    """The run against the rule. ``judged``: runs neither skipped nor stopped by a harness
    error; ``violations``, ``not_exercised``, ``harness_errors``: the three kinds of failure;
    ``skipped``: reason → the runs skipped for it, in first-seen order."""

    judged: int
    violations: tuple[FaultOutcome, ...]
    skipped: tuple[tuple[str, tuple[str, ...]], ...]
    not_exercised: tuple[FaultOutcome, ...] = ()
    harness_errors: tuple[FaultOutcome, ...] = ()

    @property
    def skipped_count(self) -> int:
        return sum(len(runs) for _, runs in self.skipped)

    @property
    def failures(self) -> tuple[tuple[str, FaultOutcome], ...]:
        """(kind, run) of every failure: violations, then faults never felt, then harness
        errors; kind is VIOLATION, NOT_EXERCISED or HARNESS_ERROR."""
        return (*((VIOLATION, o) for o in self.violations),
                *((NOT_EXERCISED, o) for o in self.not_exercised),
                *((HARNESS_ERROR, o) for o in self.harness_errors))

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    @property
    def headline(self) -> str:
        """One sentence per kind of failure; "kept the rule" only when there is none."""
        if self.failed:
            return " ".join(self._failure_sentences())
        if self.judged:
            every = "The 1 fault run" if self.judged == 1 else f"All {self.judged} fault runs"
            return f"{every} kept the rule: {RULE}."
        if self.skipped:
            return f"No fault run was judged: all {self.skipped_count} were skipped."
        return "No fault outcomes found: run the fault tests first."

    def _failure_sentences(self) -> list[str]:
        sentences = []
        if self.violations:
            sentences.append(f"{len(self.violations)} of {runs(self.judged, 'fault run')} "
                             f"VIOLATED the rule: {RULE}.")
        if self.not_exercised:
            count = len(self.not_exercised)
            was = "1 fault was" if count == 1 else f"{count} faults were"
            sentences.append(f"{was} never felt ({NOT_EXERCISED}): nothing proven.")
        sentences += [f"The suite STOPPED on a harness error: {o.outcome} — faults after it did "
                      "not run." for o in self.harness_errors]
        return sentences

    @property
    def skipped_line(self) -> str:
        """"" when nothing was skipped."""
        if not self.skipped:
            return ""
        return f"{runs(self.skipped_count)} skipped, counted neither as passes nor as failures:"


class TableRow:
    """A row of text cells; ``HEADINGS`` names them in the order the fields are declared."""

    HEADINGS: ClassVar[tuple[str, ...]] = ()

    @property
    def cells(self) -> tuple[str, ...]:
        """The text fields, in declaration order (flags such as ``kind`` left out)."""
        return tuple(v for v in vars(self).values() if isinstance(v, str))


@dataclass(frozen=True)
class OutcomeRow(TableRow):
    """One fault run as table cells (plain text)."""

    dataset: str
    workers: str
    outcome: str
    samples: str
    duplicates: str
    missing: str
    retries: str
    time_s: str
    baseline_s: str
    slowdown: str
    error: str
    notes: str
    violated: bool
    skipped: bool
    not_exercised: bool = False
    harness_error: bool = False

    @property
    def failed(self) -> bool:
        """Any of the three failures: never a pass."""
        return self.violated or self.not_exercised or self.harness_error

    HEADINGS: ClassVar[tuple[str, ...]] = (
        "dataset", "workers", "outcome", "samples seen/expected", "duplicates", "missing",
        "retries", "time s", "baseline s", "slowdown", "error", "notes")


NUMERIC_COLUMNS = frozenset({"workers", "samples seen/expected", "duplicates", "missing",
                             "retries", "time s", "baseline s", "slowdown", "seconds",
                             "worker pid", "epochs", "RSS first MiB", "RSS last MiB",
                             "RSS growth MiB", "fd growth"})


@dataclass(frozen=True)
class FaultSection:
    """Every run of one fault, and the line that says whether anything was lost."""

    fault: str
    loss_line: str
    nothing_lost: bool
    rows: tuple[OutcomeRow, ...]

    @property
    def judged(self) -> bool:
        return any(not (row.skipped or row.harness_error) for row in self.rows)

    @property
    def failed(self) -> bool:
        """Something lost or a run failed (of any kind): never to be shown as a pass."""
        return not self.nothing_lost or any(row.failed for row in self.rows)


@dataclass(frozen=True)
class SoakRow(TableRow):
    """One soaked worker: RSS first/last and growth in MiB, fd growth in descriptors."""

    label: str
    seconds: str
    pid: str
    epochs: str
    rss_first_mib: str
    rss_last_mib: str
    rss_growth_mib: str
    fd_growth: str

    HEADINGS: ClassVar[tuple[str, ...]] = (
        "loader", "seconds", "worker pid", "epochs", "RSS first MiB", "RSS last MiB",
        "RSS growth MiB", "fd growth")


@dataclass(frozen=True)
class FaultReportContent:
    """Everything the report says. ``facts``: (label, value) lines under the title;
    ``finished``: False for a run still going, killed or stopped early; ``unfinished``: the
    line that says so ("" when it finished); ``soak_problems``: a line per soak series file
    that could not be read."""

    title: str
    description: str
    facts: tuple[tuple[str, str], ...]
    finished: bool
    verdict: Verdict
    sections: tuple[FaultSection, ...]
    soaked: bool
    soak_rows: tuple[SoakRow, ...]
    settings: tuple[tuple[str, str], ...]
    unfinished: str = ""
    soak_problems: tuple[str, ...] = ()


def report_content(record: RunRecord, soaks: Sequence[SoakSeries],
                   soak_problems: Sequence[str] = ()) -> FaultReportContent:
    """The report of one fault run; ``soak_problems``: a line per soak series that could not
    be read."""
    outcomes = record.verdicts
    unfinished = unfinished_line(record)
    return FaultReportContent(
        title=f"Faults report: {record.scenario} — run {record.run_id}",
        description=record.description,
        facts=_facts(record, unfinished),
        finished=not unfinished,
        verdict=verdict_of(outcomes),
        sections=fault_sections(outcomes),
        soaked=bool(soaks),
        soak_rows=soak_rows(soaks),
        settings=tuple((k, json.dumps(v)) for k, v in record.settings.items()),
        unfinished=unfinished,
        soak_problems=tuple(soak_problems),
    )


def unfinished_line(record: RunRecord) -> str:
    """Why the report may be partial: "did not finish: <why it stopped>", or "did not finish
    (still running, or killed)"; "" for a run that ended normally."""
    if record.finished_at is not None and record.stopped is None:
        return ""
    so_far = f"this report shows the {runs(len(record.verdicts), 'fault run')} recorded so far"
    if record.stopped is not None:
        return f"did not finish: {record.stopped}; {so_far}"
    return f"did not finish (still running, or killed): {so_far}"


def verdict_of(outcomes: Sequence[FaultOutcome]) -> Verdict:
    """Count the runs judged and each kind of failure among them; group skipped runs by
    reason."""
    reasons: dict[str, list[str]] = {}
    for o in outcomes:
        if is_skipped(o):
            reasons.setdefault(o.notes.strip() or "no reason recorded", []).append(run_name(o))
    return Verdict(
        judged=len(judged_runs(outcomes)),
        violations=tuple(o for o in outcomes if o.violated),
        skipped=tuple((reason, tuple(runs)) for reason, runs in reasons.items()),
        not_exercised=tuple(o for o in outcomes if o.not_exercised),
        harness_errors=tuple(o for o in outcomes if o.harness_error),
    )


def judged_runs(outcomes: Sequence[FaultOutcome]) -> list[FaultOutcome]:
    """The runs the rule was applied to: not skipped, not stopped by the harness."""
    return [o for o in outcomes if not (is_skipped(o) or o.harness_error)]


def fault_sections(outcomes: Sequence[FaultOutcome]) -> tuple[FaultSection, ...]:
    """One section per fault, in first-seen order."""
    by_fault: dict[str, list[FaultOutcome]] = {}
    for o in outcomes:
        by_fault.setdefault(o.fault, []).append(o)
    return tuple(
        FaultSection(fault, loss_line(runs), nothing_lost(runs),
                     tuple(outcome_row(o) for o in runs))
        for fault, runs in by_fault.items()
    )


def nothing_lost(outcomes: Sequence[FaultOutcome]) -> bool:
    judged = judged_runs(outcomes)
    return sum(o.duplicates for o in judged) == 0 and silent_gaps(judged) == 0


def silent_gaps(outcomes: Sequence[FaultOutcome]) -> int:
    """Missing samples of runs that ended without an error: samples lost without a word.
    After an error the rest of the epoch is not delivered, and the error says so."""
    return sum(o.missing for o in outcomes if o.error_type is None and o.error is None)


def loss_line(outcomes: Sequence[FaultOutcome]) -> str:
    """E.g. "0 duplicates and 0 silent gaps in 10 runs; 4 stopped with a typed error (...)",
    then each kind of failure and the skipped runs, counted."""
    judged = judged_runs(outcomes)
    skipped = sum(is_skipped(o) for o in outcomes)
    harness = sum(o.harness_error for o in outcomes)
    if judged:
        line = (f"{sum(o.duplicates for o in judged)} duplicates and {silent_gaps(judged)} "
                f"silent gaps in {runs(len(judged))}")
    else:
        line = "nothing judged"
    stopped = sum(o.error_type is not None and not o.failed for o in judged)
    if stopped:
        line += (f"; {stopped} stopped with a typed error (samples after the stop counted as "
                 "not delivered, not lost silently)")
    violated = sum(o.violated for o in judged)
    if violated:
        line += f"; {violated} VIOLATED the rule"
    not_exercised = sum(o.not_exercised for o in judged)
    if not_exercised:
        line += f"; {not_exercised} {NOT_EXERCISED} (the fault was never felt: nothing proven)"
    if harness:
        line += f"; {harness} {HARNESS_ERROR} (unjudged: the suite stopped there)"
    if skipped:
        line += f"; {skipped} skipped"
    if not judged and not harness:
        return f"{runs(skipped)} skipped; nothing to judge."
    return line[0].upper() + line[1:] + "."


def outcome_row(o: FaultOutcome) -> OutcomeRow:
    slowdown = o.slowdown
    return OutcomeRow(
        dataset=o.dataset,
        workers=str(o.num_workers),
        outcome=o.outcome,
        samples=f"{o.seen}/{o.expected}",
        duplicates=str(o.duplicates),
        missing=str(o.missing),
        retries="n/a" if o.retries is None else str(o.retries),
        time_s=f"{o.duration_s:.2f}",
        baseline_s="-" if o.baseline_s is None else f"{o.baseline_s:.2f}",
        slowdown="-" if slowdown is None else f"{slowdown:.2f}x",
        error=error_text(o),
        notes=o.notes,
        violated=o.violated,
        skipped=is_skipped(o),
        not_exercised=o.not_exercised,
        harness_error=o.harness_error,
    )


def error_text(o: FaultOutcome, limit: int = ERROR_CHARS) -> str:
    """"Type: message" on one line, cut to ``limit`` characters with an ellipsis."""
    if not o.error_type and not o.error:
        return ""
    text = " ".join(f"{o.error_type or 'error'}: {o.error or ''}".split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def soak_rows(soaks: Sequence[SoakSeries]) -> tuple[SoakRow, ...]:
    return tuple(
        SoakRow(
            label=soak.label,
            seconds=f"{soak.seconds:g}",
            pid=str(t.pid),
            epochs=str(t.epochs),
            rss_first_mib=f"{t.rss_first_bytes / MIB:.1f}",
            rss_last_mib=f"{t.rss_last_bytes / MIB:.1f}",
            rss_growth_mib=f"{t.rss_growth_bytes / MIB:.2f}",
            fd_growth=f"{t.fd_growth:g}",
        )
        for soak in soaks
        for t in soak.trends
    )


def runs(count: int, noun: str = "run") -> str:
    """ "1 run", "3 runs"."""
    return f"{count} {noun if count == 1 else noun + 's'}"


def is_skipped(o: FaultOutcome) -> bool:
    return o.outcome == SKIPPED


def run_name(o: FaultOutcome) -> str:
    return f"{o.fault} / {o.dataset} / {o.num_workers} workers"


def _facts(record: RunRecord, unfinished: str) -> tuple[tuple[str, str], ...]:
    p = record.provenance
    return (("cluster", p.cluster),
            ("aisnode version", p.aisnode_version or "unknown"),
            ("code", f"aisbench {p.aisbench_version}, git {p.git_sha or 'unknown'}"),
            ("software", f"torch {p.torch_version or '?'}, Python {p.python_version}, "
                         f"aistore SDK {p.sdk_version or 'not installed'}"),
            ("machine", f"{p.cpu_model or 'unknown CPU'} x {p.cpu_count}, {p.platform}"),
            ("started", p.started_at), ("finished", unfinished or record.finished_at or ""))
