"""Read options for one GET: which archive member(s) to extract, which ETL to apply."""

from __future__ import annotations

import json
from dataclasses import dataclass

# Query parameters (apc.Qparam*).
QPARAM_ARCHPATH = "archpath"
QPARAM_ARCHREGX = "archregx"
QPARAM_ARCHMODE = "archmode"
QPARAM_ETL_NAME = "etl_name"
QPARAM_ETL_ARGS = "etl_args"

ARCHIVE_MODES = ("regexp", "prefix", "suffix", "substr", "wdskey")


@dataclass(frozen=True)
class ArchiveConfig:
    """Extract from an archive object (e.g. a tar shard) instead of reading it whole.

    Either ``archpath`` (one member, by its path inside the archive) or ``regex`` with ``mode``
    (members matching it; ``mode`` is one of ``ARCHIVE_MODES``).
    """

    archpath: str = ""
    regex: str = ""
    mode: str = ""

    def __post_init__(self) -> None:
        if self.mode and not self.regex:
            raise ValueError(f"ArchiveConfig mode {self.mode!r} needs a regex to match with")
        if self.regex and not self.mode:
            raise ValueError(
                f"ArchiveConfig regex {self.regex!r} needs a mode: one of {ARCHIVE_MODES}"
            )
        if self.regex and self.archpath:
            raise ValueError(
                "ArchiveConfig takes archpath or regex, not both "
                f"(archpath={self.archpath!r}, regex={self.regex!r})"
            )
        if self.mode and self.mode not in ARCHIVE_MODES:
            raise ValueError(f"ArchiveConfig mode {self.mode!r} is not one of {ARCHIVE_MODES}")

    def query_params(self) -> dict[str, str]:
        """The GET query parameters that select the member(s)."""
        if self.archpath:
            return {QPARAM_ARCHPATH: self.archpath}
        if self.regex:
            return {QPARAM_ARCHREGX: self.regex, QPARAM_ARCHMODE: self.mode}
        return {}


@dataclass(frozen=True)
class ETLConfig:
    """Apply the named, already-initialised ETL to the object on the way out.

    ``args`` is passed as ``etl_args``: a string as is, a dict as compact JSON.
    """

    name: str
    args: str | dict[str, object] | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("ETLConfig needs the name of an initialised ETL")

    def query_params(self) -> dict[str, str]:
        """The GET query parameters that select the ETL."""
        params = {QPARAM_ETL_NAME: self.name}
        if self.args:
            params[QPARAM_ETL_ARGS] = (
                json.dumps(self.args, separators=(",", ":"))
                if isinstance(self.args, dict)
                else self.args
            )
        return params
