"""The two versions of the code an A/B measures: git refs checked out as worktrees, or the
working tree itself, and the environment that makes a case process import that version.

Only the pure-Python packages (aisbench and aisref) come from the version's tree; everything
else (torch, requests, the SDK) is this venv's. So a version whose declared dependencies this
venv does not satisfy is refused before anything is measured.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from aisbench.ab.errors import AbError
from aisbench.ab.gate import Role

WORKING_TREE = "working tree"
_GIT_TIMEOUT_S = 60.0
_PROBE_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Version:
    """One side of an A/B: ``role`` is "base" or "current"; ``ref`` as the user gave it (or
    "working tree"); ``commit`` the full SHA it resolved to (plus "-dirty" for a working tree
    with uncommitted changes); ``tree`` the directory its code is imported from."""

    role: Role
    ref: str
    commit: str
    tree: Path

    @property
    def label(self) -> str:
        """E.g. "base origin/main (1a2b3c4d)"."""
        return f"{self.role} {self.ref} ({self.commit[:8]}{'-dirty' * self.dirty})"

    @property
    def dirty(self) -> bool:
        return self.commit.endswith("-dirty")

    def environment(self, base_env: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of a process that imports this version's aisbench and aisref."""
        env = dict(os.environ if base_env is None else base_env)
        paths = [str(self.tree), str(self.tree / "impl")]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        return env


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              timeout=_GIT_TIMEOUT_S)
    except FileNotFoundError:
        raise AbError("git is not installed, and ab takes both versions from git: install "
                      "git") from None


def resolve_commit(repo: Path, ref: str) -> str:
    """The full SHA of ``ref``, or an AbError naming the ref and how to fix it."""
    proc = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    sha = proc.stdout.strip()
    if proc.returncode != 0 or not sha:
        hint = ("fetch it first (git fetch origin main)" if "/" in ref
                else "check the spelling with `git branch -a` / `git log --oneline`")
        raise AbError(f"unknown git ref {ref!r} in {repo}: {hint}")
    return sha


def working_tree_snapshot(repo: Path) -> tuple[str, bool]:
    """A commit of the working tree as it is now - tracked changes and untracked files that
    .gitignore does not exclude - made with a private index, so nothing of the user's moves;
    and whether it differs from HEAD."""
    head = resolve_commit(repo, "HEAD")
    with tempfile.TemporaryDirectory(prefix="aisbench-ab-index-") as tmp:
        env = private_index_env(Path(tmp) / "index")
        out = ""
        for step in (("read-tree", head), ("add", "--all", "."), ("write-tree",)):
            out = _git_with(repo, env, *step)
        if out == _git_with(repo, env, "rev-parse", f"{head}^{{tree}}"):
            return head, False
        return _git_with(repo, env, "commit-tree", out, "-p", head, "-m",
                         "aisbench ab: working tree snapshot"), True


def private_index_env(index_file: Path) -> dict[str, str]:
    """The environment of git commands that build a commit in ``index_file``, never touching
    the user's index, with aisbench as author and committer."""
    return {**os.environ, "GIT_INDEX_FILE": str(index_file),
            "GIT_AUTHOR_NAME": "aisbench", "GIT_AUTHOR_EMAIL": "aisbench@localhost",
            "GIT_COMMITTER_NAME": "aisbench", "GIT_COMMITTER_EMAIL": "aisbench@localhost"}


def _git_with(repo: Path, env: Mapping[str, str], *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          env=dict(env), timeout=_GIT_TIMEOUT_S)
    if proc.returncode != 0:
        raise AbError(f"cannot snapshot the working tree of {repo} (git {' '.join(args)}): "
                      f"{proc.stderr.strip()}")
    return proc.stdout.strip()


@contextmanager
def checked_out(repo: Path, role: Role, ref: str | None) -> Iterator[Version]:
    """The version at ``ref`` (None: a snapshot of the working tree, uncommitted and untracked
    files included) as a temporary worktree, removed again on exit.

    Both versions get paths of the same length (the role is not in them): the size of the
    environment and of every path a process holds shifts memory alignment, a known source of
    a few percent of bias between two builds of the same code.
    """
    if ref is None:
        sha, dirty = working_tree_snapshot(repo)
        label_ref = WORKING_TREE
        commit = resolve_commit(repo, "HEAD") + ("-dirty" if dirty else "")
    else:
        sha = resolve_commit(repo, ref)
        label_ref, commit = ref, sha
    parent = Path(tempfile.mkdtemp(prefix="aisbench-ab-"))
    tree = parent / "tree"
    proc = _git(repo, "worktree", "add", "--detach", "--force", str(tree), sha)
    if proc.returncode != 0:
        shutil.rmtree(parent, ignore_errors=True)
        raise AbError(f"cannot check out {label_ref!r} ({sha[:8]}) as a worktree: "
                      f"{proc.stderr.strip()}")
    try:
        yield Version(role, label_ref, commit, tree)
    finally:
        _git(repo, "worktree", "remove", "--force", str(tree))
        shutil.rmtree(parent, ignore_errors=True)
        _git(repo, "worktree", "prune")


def unmet_requirements(pyproject: Path, extras: tuple[str, ...] = ("peers",)) -> list[str]:
    """The requirements in ``pyproject`` ([project] dependencies and ``extras``) that this
    environment does not satisfy, each as "requirement (installed: X)"."""
    try:
        project = tomllib.loads(pyproject.read_text())["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise AbError(f"cannot read the dependencies in {pyproject}: {exc}") from None
    wanted = list(project.get("dependencies", []))
    for extra in extras:
        wanted += project.get("optional-dependencies", {}).get(extra, [])
    unmet = []
    for text in wanted:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            unmet.append(f"{text} (not a valid requirement)")
            continue
        if requirement.name == "aisbench" or (requirement.marker is not None
                                              and not requirement.marker.evaluate()):
            continue
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            unmet.append(f"{text} (not installed)")
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            unmet.append(f"{text} (installed: {installed})")
    return unmet


_PROBE = """
import json, aisbench, aisref
from aisbench.strategies.registry import STRATEGIES
print(json.dumps({"aisbench": aisbench.__file__, "aisref": aisref.__file__,
                  "strategies": sorted(STRATEGIES)}))
"""


def strategies_of(version: Version) -> list[str]:
    """The strategy names ``version`` registers, asked of a process that imports it; refuses a
    version whose packages do not import from its own tree (the measurement would be a lie)."""
    proc = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                          env=version.environment(), cwd=version.tree,
                          timeout=_PROBE_TIMEOUT_S)
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise AbError(f"{version.label}: its code does not import: {tail}")
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    for package in ("aisbench", "aisref"):
        where = Path(found[package]).resolve()
        if not where.is_relative_to(version.tree.resolve()):
            raise AbError(f"{version.label}: {package} was imported from {where}, not from "
                          f"{version.tree}; unset PYTHONPATH overrides or reinstall the venv "
                          "(pip install -e .)")
    return list(found["strategies"])


def check_dependencies(version: Version) -> None:
    """AbError when ``version`` declares dependencies this venv does not satisfy."""
    unmet = unmet_requirements(version.tree / "pyproject.toml")
    if unmet:
        raise AbError(f"{version.label} needs what this venv does not have: "
                      f"{'; '.join(unmet)}. ab imports only aisbench and aisref from each "
                      "version, so both must run on this venv: install these, or compare refs "
                      "with the same dependencies")
