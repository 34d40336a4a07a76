"""Where one run of a faults scenario keeps what it measured, written as it goes.

    <reports>/faults-<run_id>/
        run.json                  FaultRunMeta: scenario, cluster, times, why it stopped early
        outcomes/<fault>-<dataset>-w<N>.json   one FaultOutcome per fault run, as it ends
        soak/<dataset>.json       per-worker RSS / fd series (soak.write_series)
        index.html, faults.md, plots/   the report (faults.report_html)

Each outcome is its own file, written the moment its run ends, so a crash (or SIGKILL) of the
suite loses at most the fault run in progress; the report can be rendered from whatever is there
(`aisbench report <this directory>`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from aisbench.atomic_file import write_text_atomically
from aisbench.faults.outcome import FaultOutcome, read_outcomes, write_outcome
from aisbench.faults.soak import SoakSeries, series_from_dict
from aisbench.results import Provenance, provenance_from_dict


@dataclass(frozen=True)
class FaultRunMeta:
    """What a faults run was: enough to title the report and to reproduce the run.

    Attributes:
        finished: ISO time the suite ended; None while it runs (or when it was killed).
        settings: the scenario's fault settings as plain values (for the report's footer).
        provenance: code, versions, machine and cluster, as a measuring run records them.
        stopped: why the suite ended before its last fault ("interrupted (SIGTERM)",
            "harness error", ...); None when it ran to the end (or is still running). A run.json
            written before this field existed reads as None.
    """

    run_id: str
    scenario: str
    description: str
    started: str
    cluster: str
    aisnode_version: str | None = None
    finished: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    stopped: str | None = None
    provenance: Provenance | None = None  # None in a run.json written before it was recorded


@dataclass(frozen=True)
class FaultRunDir:
    """The directory of one faults run; see the module docs for its layout."""

    root: Path

    @property
    def meta_path(self) -> Path:
        return self.root / "run.json"

    @property
    def outcomes_dir(self) -> Path:
        return self.root / "outcomes"

    @property
    def soak_dir(self) -> Path:
        return self.root / "soak"

    def write_meta(self, meta: FaultRunMeta) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        write_text_atomically(self.meta_path, json.dumps(asdict(meta), indent=2) + "\n")

    def read_meta(self) -> FaultRunMeta:
        raw = json.loads(self.meta_path.read_text())
        known = {f.name for f in fields(FaultRunMeta)}
        values = {k: v for k, v in raw.items() if k in known}
        if values.get("provenance") is not None:
            values["provenance"] = provenance_from_dict(values["provenance"])
        return FaultRunMeta(**values)

    def record(self, outcome: FaultOutcome) -> FaultOutcome:
        """Write one outcome now; hand it back."""
        write_outcome(self.outcomes_dir, outcome)
        return outcome

    def outcomes(self) -> list[FaultOutcome]:
        return read_outcomes(self.outcomes_dir) if self.outcomes_dir.is_dir() else []

    def soaks(self) -> list[dict[str, Any]]:
        if not self.soak_dir.is_dir():
            return []
        return [json.loads(p.read_text()) for p in sorted(self.soak_dir.glob("*.json"))]

    def read_soaks(self) -> SoakReadout:
        """Every soak series under soak/, by file name; a file that cannot be read (half
        written by a killed suite, or not a soak series) is set aside with why, never fatal."""
        series: list[SoakSeries] = []
        unreadable: list[UnreadableFile] = []
        paths = sorted(self.soak_dir.glob("*.json")) if self.soak_dir.is_dir() else []
        for path in paths:
            name = path.relative_to(self.root).as_posix()
            try:
                series.append(series_from_dict(json.loads(path.read_text()), name))
            except json.JSONDecodeError as err:
                unreadable.append(UnreadableFile(name, f"not valid JSON ({err})"))
            except (OSError, ValueError) as err:
                unreadable.append(UnreadableFile(name, str(err).removeprefix(f"{name}: ")))
        return SoakReadout(tuple(series), tuple(unreadable))


@dataclass(frozen=True)
class UnreadableFile:
    """A file of the run directory the report could not read: its path relative to the run
    directory, and why."""

    name: str
    why: str


@dataclass(frozen=True)
class SoakReadout:
    """The soak series that could be read, and the files that could not."""

    series: tuple[SoakSeries, ...] = ()
    unreadable: tuple[UnreadableFile, ...] = ()


def is_fault_run_dir(path: Path) -> bool:
    """A directory a faults run wrote: it holds run.json or outcomes/."""
    run_dir = FaultRunDir(path)
    return path.is_dir() and (run_dir.meta_path.is_file() or run_dir.outcomes_dir.is_dir())
