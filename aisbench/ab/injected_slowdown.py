"""A real, committed client-side change, to prove what the gate does with one.

`slowed_commit` writes a commit on top of a base commit whose only change is CPU work in
aisref's request path (every HTTP request the client sends burns ``iterations`` rounds of pure
Python arithmetic); `patched_commit` puts any one statement there (the tests break the client
this way). Both use git plumbing with a private index, so neither the working tree, the index
nor any branch moves; the caller may point a temporary branch at the commit.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from aisbench.ab.errors import AbError
from aisbench.ab.versions import private_index_env

REQUEST_PATH_FILE = "impl/aisref/client/request_client.py"
# The first statement of RequestClient.request: the work goes right after it.
ANCHOR = "        method = method.upper()\n"
MARKER = "# aisbench: injected by aisbench.ab.injected_slowdown"


def burn(iterations: int) -> int:
    """The injected work, as the slowed commit runs it (kept here to calibrate it)."""
    return sum(i * i for i in range(iterations))


def iterations_for(seconds: float, probe_iterations: int = 200_000) -> int:
    """How many iterations of `burn` take about ``seconds`` on this machine (best of 5)."""
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        burn(probe_iterations)
        best = min(best, time.perf_counter() - t0)
    return max(1, round(seconds / (best / probe_iterations)))


def burn_statement(iterations: int) -> str:
    """The Python statement the slowed commit runs on every request."""
    return f"sum(i * i for i in range({iterations}))"


def patched_source(source: str, statement: str) -> str:
    """``source`` of request_client.py with ``statement`` run first thing on every request."""
    if source.count(ANCHOR) != 1:
        raise AbError(f"{REQUEST_PATH_FILE}: the anchor {ANCHOR.strip()!r} is not there exactly "
                      "once, so the change has nowhere to go; update ANCHOR in "
                      "aisbench/ab/injected_slowdown.py")
    return source.replace(ANCHOR, f"{ANCHOR}        {statement}  {MARKER}\n")


def _git(repo: Path, *args: str, env: dict[str, str] | None = None,
         stdin: str | None = None) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          env=env, input=stdin, timeout=60)
    if proc.returncode != 0:
        raise AbError(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def slowed_commit(repo: Path, base: str, iterations: int) -> str:
    """The SHA of a new commit: ``base`` plus `burn(iterations)` on every request."""
    return patched_commit(repo, base, burn_statement(iterations),
                          f"gate proof: {iterations} iterations of CPU work per request")


def patched_commit(repo: Path, base: str, statement: str, message: str) -> str:
    """The SHA of a new commit: ``base`` with ``statement`` run on every request."""
    source = _git(repo, "show", f"{base}:{REQUEST_PATH_FILE}") + "\n"
    blob = _git(repo, "hash-object", "-w", "--stdin", stdin=patched_source(source, statement))
    with tempfile.TemporaryDirectory(prefix="aisbench-slowed-") as tmp:
        env = private_index_env(Path(tmp) / "index")
        _git(repo, "read-tree", base, env=env)
        _git(repo, "update-index", "--cacheinfo", f"100644,{blob},{REQUEST_PATH_FILE}", env=env)
        tree = _git(repo, "write-tree", env=env)
        return _git(repo, "commit-tree", tree, "-p", base, "-m", message, env=env)
