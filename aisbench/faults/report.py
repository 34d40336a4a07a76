"""The faults report: what each fault test did to each dataset, as a Markdown table.

Only what ran: rows come from the JSON the fault tests wrote (reports/faults/*.json) and the
soak series (reports/soak/*.json); nothing is inferred. Run
``python -m aisbench.faults.report [--faults DIR] [--soak DIR] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aisbench.faults.outcome import VIOLATION, FaultOutcome, read_outcomes

REPO = Path(__file__).resolve().parents[2]
_MIB = 2**20


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def outcomes_table(outcomes: Sequence[FaultOutcome]) -> str:
    """One row per (fault, dataset, num_workers)."""
    lines = [
        "| fault | dataset | workers | outcome | samples seen/expected | duplicates | missing "
        "| retries | time s | error | notes |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for o in outcomes:
        retries = "n/a" if o.retries is None else o.retries
        error = f"{o.error_type}: {o.error}" if o.error_type else ""
        lines.append(
            f"| {_cell(o.fault)} | {_cell(o.dataset)} | {o.num_workers} | {_cell(o.outcome)} "
            f"| {o.seen}/{o.expected} | {o.duplicates} | {o.missing} | {retries} "
            f"| {o.duration_s:.2f} | {_cell(error[:220])} | {_cell(o.notes)} |"
        )
    return "\n".join(lines)


def soak_table(soaks: Sequence[dict[str, Any]]) -> str:
    """One row per soaked worker: epochs, RSS first/last, growth of RSS and fds."""
    lines = [
        "| loader | seconds | worker pid | epochs | RSS first MiB | RSS last MiB "
        "| RSS growth MiB | fd growth |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for soak in soaks:
        for t in soak.get("trends", []):
            lines.append(
                f"| {_cell(soak['label'])} | {soak['seconds']} | {t['pid']} | {t['epochs']} "
                f"| {t['rss_first_bytes'] / _MIB:.1f} | {t['rss_last_bytes'] / _MIB:.1f} "
                f"| {t['rss_growth_bytes'] / _MIB:.2f} | {t['fd_growth']:g} |"
            )
    return "\n".join(lines)


def faults_markdown(outcomes: Sequence[FaultOutcome], soaks: Sequence[dict[str, Any]]) -> str:
    """The whole report: a verdict line, the outcomes table, the soak table."""
    violations = [o for o in outcomes if o.outcome.startswith(VIOLATION)]
    parts = ["# Faults report", ""]
    if outcomes:
        verdict = (f"**{len(violations)} of {len(outcomes)} runs broke the rule**" if violations
                   else f"All {len(outcomes)} runs kept the rule")
        parts += [
            f"{verdict}: an epoch under a fault either completes with every sample exactly "
            "once, or stops with a typed error naming the object and the node.",
            "",
            "`retries` is what the main process's client counted; `n/a` where the reads ran in "
            "DataLoader workers or in a client the dataset builds itself from a URL.",
            "",
            outcomes_table(outcomes),
            "",
        ]
    else:
        parts += ["No fault outcomes found: run the fault tests first.", ""]
    if soaks:
        parts += ["## Soak: persistent workers across epochs", "",
                  "Growth = median of the last third of epochs minus median of the first third "
                  "(first epoch left out as warm-up).", "", soak_table(soaks), ""]
    return "\n".join(parts)


def read_soaks(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="aisbench.faults.report",
                                     description="render the faults report from test output")
    parser.add_argument("--faults", type=Path, default=REPO / "reports" / "faults")
    parser.add_argument("--soak", type=Path, default=REPO / "reports" / "soak")
    parser.add_argument("--out", type=Path, default=REPO / "reports" / "faults.md")
    args = parser.parse_args(argv)
    outcomes = read_outcomes(args.faults) if args.faults.is_dir() else []
    soaks = read_soaks(args.soak) if args.soak.is_dir() else []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(faults_markdown(outcomes, soaks))
    print(f"faults report: {args.out} ({len(outcomes)} fault runs, {len(soaks)} soaks)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
