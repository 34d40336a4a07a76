"""GetBatch request and result values (AIStore's ``apc.MossIn``/``apc.MossOut``), and how the
archive names each entry.

Field names follow the official SDK's ``aistore.sdk.batch.types`` (``obj_name``, ``bck``...);
the JSON keys are AIStore v1.5.0's (``api/apc/ml.go``).
"""

from __future__ import annotations

import base64
import enum
from dataclasses import dataclass
from typing import Any

MISSING_DIR = "__404__"  # apc.MossMissingDir: a missing entry's zero-size stand-in lives here


class Colocation(enum.IntEnum):
    """The colocation hint (``apc.ColocLevel``): how the proxy picks the designated target."""

    NONE = 0  # objects spread over all targets: a random designated target
    TARGET_AWARE = 1  # objects on few targets: the one holding most of them assembles
    TARGET_AND_SHARD_AWARE = 2  # also archpaths in few shards (v1.5.0 routes it as 1)


@dataclass(frozen=True)
class MossIn:
    """One requested entry: an object, a file inside an archive object (``archpath``), and/or
    a byte range of either (``start``, ``length``: (0, 0) whole, (N, L) L bytes, (N, -1) to
    the end; with ``archpath`` the range is inside the archived file)."""

    obj_name: str
    bck: str
    provider: str = "ais"
    archpath: str = ""
    opaque: bytes = b""
    start: int = 0
    length: int = 0

    def __post_init__(self) -> None:
        if not self.obj_name:
            raise ValueError("a GetBatch entry needs an object name")
        if self.start < 0 or self.length < -1 or (self.start and not self.length):
            raise ValueError(
                f"invalid byte range start={self.start}, length={self.length} for "
                f"{self.obj_name!r}: start must be >= 0; length > 0, or -1 to read to the end; "
                "a non-zero start needs a length"
            )

    def to_json(self) -> dict[str, Any]:
        """The entry as AIStore's JSON (``apc.MossIn``); defaults are omitted."""
        body: dict[str, Any] = {"objname": self.obj_name, "bucket": self.bck}
        if self.provider:
            body["provider"] = self.provider
        if self.archpath:
            body["archpath"] = self.archpath
        if self.opaque:
            body["opaque"] = base64.b64encode(self.opaque).decode("ascii")  # Go's []byte
        if self.start:
            body["start"] = self.start
        if self.length:
            body["length"] = self.length
        return body

    @property
    def uname(self) -> str:
        """``"ais://bucket/object[/archpath]"``: how errors name the entry."""
        tail = f"/{self.archpath.lstrip('/')}" if self.archpath else ""
        return f"{self.provider or 'ais'}://{self.bck}/{self.obj_name}{tail}"

    def name_in_archive(self, only_obj_name: bool) -> str:
        """The member name the server gives this entry (``MossIn.NameInRespArch``)."""
        name = self.obj_name if only_obj_name else f"{self.bck}/{self.obj_name}"
        return f"{name}/{self.archpath.lstrip('/')}" if self.archpath else name

    def missing_names(self, only_obj_name: bool) -> frozenset[str]:
        """Names the server gives this entry when it is missing (continue-on-error): under
        ``__404__/``, with the archpath joined by "/", without it (a shard that failed to
        open), or appended as is (an archpath with a leading "/")."""
        base = f"{MISSING_DIR}/{self.obj_name if only_obj_name else f'{self.bck}/{self.obj_name}'}"
        if not self.archpath:
            return frozenset({base})
        return frozenset({base, f"{base}/{self.archpath}", base + self.archpath})


@dataclass(frozen=True)
class MossOut:
    """One delivered entry: what was asked (names, opaque) and what came (``size`` in bytes;
    ``err_msg`` non-empty when it was missing and continue-on-error kept the batch going)."""

    obj_name: str
    bucket: str
    provider: str
    archpath: str = ""
    opaque: bytes = b""
    err_msg: str = ""
    size: int = 0

    @classmethod
    def from_json(cls, body: dict[str, Any], asked: MossIn) -> MossOut:
        """From the multipart reply's metadata (``apc.MossOut``); names not echoed (the
        server leaves ``provider`` empty at times) are taken from the request."""
        opaque = body.get("opaque")
        return cls(
            obj_name=str(body.get("objname") or asked.obj_name),
            bucket=str(body.get("bucket") or asked.bck),
            provider=str(body.get("provider") or asked.provider),
            archpath=str(body.get("archpath") or asked.archpath),
            opaque=base64.b64decode(opaque) if opaque else asked.opaque,
            err_msg=str(body.get("err_msg") or ""),
            size=int(body.get("size") or 0),
        )
