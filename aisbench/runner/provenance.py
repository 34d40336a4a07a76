"""Where a number came from: code, versions, machine, cluster and scenario, kept with every run."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

from aisbench import __version__
from aisbench.results import Provenance, utc_now_iso


def git_sha(repo: Path) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    sha = proc.stdout.strip()
    if proc.returncode != 0 or not sha:
        return None
    dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked=no"],
                           capture_output=True, text=True, timeout=10).stdout.strip()
    return sha + ("-dirty" if dirty else "")


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def collect_provenance(*, cluster: str, aisnode_version: str | None,
                       scenario_hash: str) -> Provenance:
    return Provenance(
        git_sha=git_sha(Path(__file__).resolve().parents[2]),
        aisbench_version=__version__,
        aisnode_version=aisnode_version,
        sdk_version=package_version("aistore"),
        torch_version=package_version("torch"),
        python_version=platform.python_version(),
        platform=f"{platform.system()} {platform.release()} {platform.machine()}",
        cpu_model=cpu_model(),
        cpu_count=os.cpu_count() or 1,
        cluster=cluster,
        scenario_hash=scenario_hash,
        started_at=utc_now_iso(),
    )



