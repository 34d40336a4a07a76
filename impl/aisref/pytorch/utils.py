"""The official ``aistore.pytorch.utils`` helpers, at the same path and with the same results.

Unit conversions use decimal megabytes (1 MB = 1,000,000 bytes), as the official does.
``get_basename``/``get_extension`` are the official's rule for naming an object's parts
(directories dropped; extension after the last dot); :class:`~aisref.pytorch.AISShardReader`
groups shard members by webdataset's rule instead (see the parity table in the README).
"""

from __future__ import annotations

from math import floor

MB_TO_B = 1_000_000  # bytes per (decimal) megabyte


def convert_mb_to_bytes(megabytes: float) -> int:
    """Megabytes to bytes, rounded down to a whole byte."""
    return floor(megabytes * MB_TO_B)


def convert_bytes_to_mb(bytes: int) -> float:  # the official's parameter name
    """Bytes to (decimal) megabytes."""
    return bytes / MB_TO_B


def unparse_url(provider: str, bck_name: str, obj_name: str) -> str:
    """``("ais", "b", "x/y.jpg")`` → ``"ais://b/x/y.jpg"`` (``"ais://b"`` with no object)."""
    if not obj_name:
        return f"{provider}://{bck_name}"
    return f"{provider}://{bck_name}{'' if obj_name.startswith('/') else '/'}{obj_name}"


def parse_url(url: str) -> tuple[str, str, str]:
    """``"ais://bucket1/file.txt"`` → ``("ais", "bucket1", "file.txt")``.

    The scheme is returned as written (no alias mapping), as the official does. Unlike the
    official (``urlparse``), the object name is kept verbatim, ``?`` and ``#`` included,
    since object names may hold them.
    """
    scheme, _, rest = url.partition("://")
    bucket, _, name = rest.partition("/")
    return scheme, bucket, name.lstrip("/")


def get_basename(name: str) -> str:
    """``"dir/sample.0.jpg"`` → ``"sample"``: the file name up to its first dot."""
    return name.split("/")[-1].split(".")[0]


def get_extension(name: str) -> str:
    """``"dir/sample.0.jpg"`` → ``"jpg"``: after the file name's last dot, or ``""``."""
    _, dot, extension = name.rsplit("/", 1)[-1].rpartition(".")
    return extension if dot else ""
