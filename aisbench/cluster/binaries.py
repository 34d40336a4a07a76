"""Find the aisnode and aisloader binaries, and check they are the pinned AIStore version.

scripts/setup.sh builds both with `go install` from AIStore's Go module at AISTORE_MODULE_VERSION
(pinned in tools/aisnode-build/go.mod) into <home>/bin. AISNODE_BIN / AISLOADER_BIN override.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from aisbench.cluster.base import ClusterError

AISTORE_MODULE_VERSION = "v1.5.0"
AISNODE_VERSION_PREFIX = "5.0"  # what aisnode v1.5.0 reports about itself

_VERSION_LINE = re.compile(r"Version\s+([0-9][0-9A-Za-z.\-+]*)")

_HOW_TO_GET = (
    "run `scripts/setup.sh` (it builds aisnode with Go), "
    "or set AISNODE_BIN=/path/to/aisnode (AIStore {ver}), "
    "or set AIS_ENDPOINT=http://127.0.0.1:PORT to use a running cluster"
)


def find_binary(name: str, home: Path, env: Mapping[str, str] = os.environ) -> Path:
    """The path of `aisnode` or `aisloader`: $<NAME>_BIN, else <home>/bin/<name>."""
    override = env.get(f"{name.upper()}_BIN")
    path = Path(override) if override else home / "bin" / name
    if not path.is_file() or not os.access(path, os.X_OK):
        source = f"{name.upper()}_BIN={override}" if override else str(path)
        raise ClusterError(
            f"{name} not found at {source}: "
            + _HOW_TO_GET.format(ver=AISTORE_MODULE_VERSION)
        )
    return path


def tidy_version(reported: str) -> str:
    """aisnode reports "<AIStore version>.<build>"; a binary built without a build stamp (plain
    `go install`) leaves "5.0." - shown as "5.0", not with a dangling dot."""
    return reported.rstrip(".")


def parse_aisnode_version(usage_text: str) -> str | None:
    """The version aisnode prints in its usage text ("Version 5.0.v1.5.0 (build: )" ->
    "5.0.v1.5.0"; unstamped "Version 5.0. (build: )" -> "5.0")."""
    match = _VERSION_LINE.search(usage_text)
    return tidy_version(match.group(1)) if match else None


def aisnode_version(binary: Path) -> str:
    """Ask the binary for its version (`aisnode -h` prints it and exits)."""
    try:
        proc = subprocess.run([str(binary), "-h"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClusterError(f"cannot run {binary}: {exc}") from exc
    version = parse_aisnode_version(proc.stdout + proc.stderr)
    if version is None:
        raise ClusterError(f"{binary} does not look like aisnode (no 'Version' in `-h` output)")
    return version


def check_aisnode(binary: Path) -> str:
    """Return the binary's version, or raise if it is not the pinned AIStore version."""
    version = aisnode_version(binary)
    if version != AISNODE_VERSION_PREFIX and not version.startswith(AISNODE_VERSION_PREFIX + "."):
        raise ClusterError(
            f"{binary} is aisnode {version}, but aisbench is pinned to AIStore "
            f"{AISTORE_MODULE_VERSION} (reports {AISNODE_VERSION_PREFIX}): "
            + _HOW_TO_GET.format(ver=AISTORE_MODULE_VERSION)
        )
    return version
