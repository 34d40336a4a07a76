"""A run as it goes: begun in the results store, each case kept the moment it ends, its end
recorded last. Measuring runs and fault runs keep their results through it, so both land in
the one store and the one JSON format, with provenance, and a killed run keeps every finished
case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aisbench.results import (
    CaseResult,
    Provenance,
    ResultStore,
    RunRecord,
    utc_now_iso,
    write_run_json,
)

INTERRUPTED = "interrupted (SIGINT or SIGTERM)"


@dataclass(frozen=True)
class ResultPaths:
    """Where runs keep their results: the SQLite history, one JSON file per run, and a report
    folder per run (all under ``reports``, by default reports/ of the checkout)."""

    reports: Path

    @property
    def results_db(self) -> Path:
        return self.reports / "results.sqlite"

    @property
    def runs_dir(self) -> Path:
        return self.reports / "runs"

    def report_dir(self, name: str) -> Path:
        return self.reports / name


@dataclass(frozen=True)
class RunJournal:
    """The store entry and the JSON file (``json_path``) of run ``run_id``; open `begin` it."""

    store: ResultStore
    run_id: str
    json_path: Path

    @classmethod
    def begin(cls, store: ResultStore, run_id: str, scenario: str, provenance: Provenance,
              json_path: Path, *, description: str = "",
              settings: Mapping[str, Any] | None = None) -> RunJournal:
        """Begin (or, for a resumed run id, re-open) the run and write its JSON file."""
        store.begin_run(run_id, scenario, provenance, description=description,
                        settings=settings)
        journal = cls(store, run_id, json_path)
        journal._write_json()
        return journal

    def finished_case_ids(self) -> set[str]:
        return self.store.finished_case_ids(self.run_id)

    def record(self, result: CaseResult) -> CaseResult:
        """Keep one case result now (store, then the run's JSON file); hand it back."""
        self.store.add_case(result)
        self._write_json()
        return result

    def update_provenance(self, provenance: Provenance) -> None:
        """What the run learnt after it began (the aisnode version, once its cluster is up)."""
        self.store.set_provenance(self.run_id, provenance)
        self._write_json()

    def finish(self, stopped: str | None = None) -> RunRecord:
        """Record how the run ended: finished now, or ``stopped`` early and why."""
        self.store.end_run(self.run_id, finished_at=None if stopped else utc_now_iso(),
                           stopped=stopped)
        return self._write_json()

    def load(self) -> RunRecord:
        return self.store.load_run(self.run_id)

    def _write_json(self) -> RunRecord:
        record = self.load()
        write_run_json(record, self.json_path)
        return record
