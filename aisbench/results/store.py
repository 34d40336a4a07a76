"""The results history: runs and case results in one SQLite file, plus JSON export.

Each finished case is committed on its own (WAL journal), so a run killed with SIGKILL keeps
every case that had finished, and ``--resume`` asks `finished_case_ids` what is left to do.
Case results are stored as their JSON document (schema.py), so the store and the JSON files
never disagree about what a result is.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from aisbench.atomic_file import write_text_atomically
from aisbench.errors import AisbenchError, UnknownName
from aisbench.results.schema import (
    METRICS,
    CaseResult,
    Provenance,
    ResultFormatError,
    RunRecord,
    case_from_dict,
    case_to_dict,
    provenance_from_dict,
    provenance_to_dict,
    run_from_dict,
    run_to_dict,
)

SCHEMA_VERSION = 2

# ``meta``: the run's description, settings, finished_at and stopped as JSON (added in 2).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id      TEXT PRIMARY KEY,
    scenario    TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    git_sha     TEXT,
    provenance  TEXT NOT NULL,
    meta        TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS cases (
    run_id   TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    case_id  TEXT NOT NULL,
    status   TEXT NOT NULL,
    result   TEXT NOT NULL,
    PRIMARY KEY (run_id, case_id)
);
CREATE INDEX IF NOT EXISTS cases_by_case_id ON cases (case_id);
"""
# Each step takes a store of the version before it to the next, in one transaction.
_MIGRATIONS = {1: "ALTER TABLE runs ADD COLUMN meta TEXT NOT NULL DEFAULT '{}'"}
_META_KEYS = ("description", "settings", "finished_at", "stopped")


class StoreError(AisbenchError):
    """The results store was used wrongly (e.g. a case for a run never begun)."""


class HistoryPoint(NamedTuple):
    """One run's mean of a metric for one case, for trend lines."""

    run_id: str
    git_sha: str | None
    started_at: str
    value: float


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One row of `ResultStore.list_runs`."""

    run_id: str
    scenario: str
    started_at: str
    git_sha: str | None
    cases: int
    failed: int


class ResultStore:
    """Runs and case results in the SQLite file at ``path`` (created if missing).

    Use as a context manager, or call `close`. One store object per process.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode; each write below is its own explicit transaction.
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL under WAL survives a crashed or killed process (only power loss can undo it).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: results schema version {version}, this aisbench reads up to "
                f"{SCHEMA_VERSION}; use a new --results file or upgrade aisbench"
            )
        if version == 0:
            self._db.executescript(_SCHEMA)  # idempotent: CREATE ... IF NOT EXISTS
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        for old in range(version or SCHEMA_VERSION, SCHEMA_VERSION):
            with self._transaction():
                self._db.execute(_MIGRATIONS[old])
                self._db.execute(f"PRAGMA user_version={old + 1}")

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def begin_run(self, run_id: str, scenario: str, provenance: Provenance, *,
                  description: str = "", settings: Mapping[str, Any] | None = None) -> None:
        """Record the start of a run; calling it again for the same run_id (resume) is a no-op
        as long as the scenario matches."""
        row = self._db.execute("SELECT scenario FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is not None:
            if row[0] != scenario:
                raise StoreError(
                    f"run {run_id} belongs to scenario {row[0]!r}, not {scenario!r}; "
                    "resume it with its own scenario or start a new run"
                )
            return
        with self._transaction():
            self._db.execute(
                "INSERT INTO runs (run_id, scenario, started_at, git_sha, provenance, meta) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    scenario,
                    provenance.started_at,
                    provenance.git_sha,
                    _dumps(provenance_to_dict(provenance)),
                    _dumps({"description": description, "settings": dict(settings or {})}),
                ),
            )

    def set_provenance(self, run_id: str, provenance: Provenance) -> None:
        """Replace the run's provenance with what it learnt after it began (the aisnode
        version, once its cluster is up)."""
        with self._transaction():
            self._run_exists(run_id)
            self._db.execute("UPDATE runs SET provenance = ? WHERE run_id = ?",
                             (_dumps(provenance_to_dict(provenance)), run_id))

    def end_run(self, run_id: str, *, finished_at: str | None, stopped: str | None) -> None:
        """Record how the run ended: ``finished_at`` when it ran to the end, ``stopped`` (why)
        when it did not. A resumed run that then finishes loses its earlier ``stopped``."""
        with self._transaction():
            meta = json.loads(self._run_exists(run_id))
            meta.update(finished_at=finished_at, stopped=stopped)
            self._db.execute("UPDATE runs SET meta = ? WHERE run_id = ?", (_dumps(meta), run_id))

    def _run_exists(self, run_id: str) -> str:
        """The run's meta JSON; StoreError when the run was never begun."""
        row = self._db.execute("SELECT meta FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise StoreError(f"run {run_id} was never begun; call begin_run first")
        return str(row[0])

    def add_case(self, result: CaseResult) -> None:
        """Store one case result, committed before returning; a re-run case replaces the old."""
        with self._transaction():
            if (
                self._db.execute("SELECT 1 FROM runs WHERE run_id = ?", (result.run_id,)).fetchone()
                is None
            ):
                raise StoreError(f"run {result.run_id} was never begun; call begin_run first")
            existing = self._db.execute(
                "SELECT seq FROM cases WHERE run_id = ? AND case_id = ?",
                (result.run_id, result.case_id),
            ).fetchone()
            seq = (
                existing[0]
                if existing
                else self._db.execute(
                    "SELECT COALESCE(MAX(seq), -1) + 1 FROM cases WHERE run_id = ?",
                    (result.run_id,),
                ).fetchone()[0]
            )
            self._db.execute(
                "INSERT OR REPLACE INTO cases (run_id, seq, case_id, status, result) "
                "VALUES (?, ?, ?, ?, ?)",
                (result.run_id, seq, result.case_id, result.status, _dumps(case_to_dict(result))),
            )

    def finished_case_ids(self, run_id: str) -> set[str]:
        """Case ids of the run that have a stored result (any status)."""
        rows = self._db.execute("SELECT case_id FROM cases WHERE run_id = ?", (run_id,))
        return {row[0] for row in rows}

    def load_run(self, run_id: str) -> RunRecord:
        """The run with its cases in the order they were first added."""
        row = self._db.execute(
            "SELECT scenario, provenance, meta FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        if row is None:
            known = [r.run_id for r in self.list_runs()[-5:]]
            hint = (f"latest: {', '.join(known)}" if known
                    else "it holds no runs yet (`aisbench run SCENARIO` adds one)")
            raise StoreError(f"no run {run_id!r} in {self.path}; {hint}")
        cases = self._db.execute(
            "SELECT result FROM cases WHERE run_id = ? ORDER BY seq", (run_id,)
        )
        meta = json.loads(row[2])
        return RunRecord(
            run_id=run_id,
            scenario=row[0],
            provenance=provenance_from_dict(json.loads(row[1])),
            cases=tuple(case_from_dict(json.loads(c[0])) for c in cases),
            **{key: meta[key] for key in _META_KEYS if key in meta},
        )

    def list_runs(self, scenario: str | None = None) -> list[RunSummary]:
        """All runs (of ``scenario`` if given), oldest first."""
        rows = self._db.execute(
            "SELECT r.run_id, r.scenario, r.started_at, r.git_sha, COUNT(c.case_id), "
            "COALESCE(SUM(c.status = 'failed'), 0) FROM runs r LEFT JOIN cases c USING (run_id) "
            "WHERE ?1 IS NULL OR r.scenario = ?1 GROUP BY r.run_id ORDER BY r.started_at, r.run_id",
            (scenario,),
        )
        return [RunSummary(*row) for row in rows]

    def latest_run_id(self, scenario: str, before: str | None = None) -> str | None:
        """The newest run of ``scenario`` (older than run ``before`` if given), e.g. a baseline."""
        runs = [r.run_id for r in self.list_runs(scenario) if before is None or r.run_id < before]
        return runs[-1] if runs else None

    def history(self, case_id: str, scenario: str, metric: str) -> list[HistoryPoint]:
        """The mean of ``metric`` for ``case_id`` in every run of ``scenario`` where it was ok,
        oldest first."""
        if metric not in METRICS:
            raise UnknownName(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
        rows = self._db.execute(
            "SELECT r.run_id, r.git_sha, r.started_at, c.result FROM cases c "
            "JOIN runs r USING (run_id) WHERE c.case_id = ? AND r.scenario = ? "
            "AND c.status = 'ok' ORDER BY r.started_at, r.run_id",
            (case_id, scenario),
        )
        points = []
        for run_id, git_sha, started_at, result in rows:
            value = case_from_dict(json.loads(result)).mean(metric)
            if value is not None:
                points.append(HistoryPoint(run_id, git_sha, started_at, value))
        return points

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def write_run_json(record: RunRecord, path: str | Path) -> None:
    """Write ``record`` as an aisbench-run JSON document (indented, keys in schema order)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(target, json.dumps(run_to_dict(record), indent=2, allow_nan=False)
                          + "\n")


def read_run_json(path: str | Path) -> RunRecord:
    """Read a document written by `write_run_json`; raises ResultFormatError if it is not one."""
    try:
        data = json.loads(Path(path).read_text())
    except json.JSONDecodeError as err:
        raise ResultFormatError(f"{path}: not JSON ({err})") from None
    if not isinstance(data, dict):
        raise ResultFormatError(f"{path}: not an aisbench-run document")
    try:
        return run_from_dict(data)
    except ResultFormatError as err:
        raise ResultFormatError(f"{path}: {err}") from None


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), allow_nan=False)
