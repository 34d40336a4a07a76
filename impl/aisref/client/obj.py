"""One object in a bucket: its URL, metadata (HEAD), writes, and a reader for its bytes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload
from urllib.parse import quote

from aisref.client.config import QPARAM_ARCHPATH, ArchiveConfig, ETLConfig
from aisref.client.parallel_read import DEFAULT_PARALLEL_CHUNK_SIZE, ParallelObjectReader
from aisref.client.reader import DEFAULT_CHUNK_SIZE, ObjectReader
from aisref.client.request_client import RequestClient

if TYPE_CHECKING:
    from aisref.client.bucket import Bucket


@dataclass(frozen=True)
class ObjectProps:
    """Object metadata. Fields not known (e.g. only the listed size) are None / ""."""

    size: int | None = None  # bytes
    checksum_type: str = ""
    checksum_value: str = ""
    version: str = ""
    present: bool | None = None  # stored in the cluster (vs. only in a remote backend)

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> ObjectProps:
        """From a HEAD reply: ``Content-Length`` / ``ais-size``, ``ais-checksum-*``, ..."""
        size = headers.get("ais-size") or headers.get("Content-Length")
        present = headers.get("ais-present")
        return cls(
            size=int(size) if size not in (None, "") else None,
            checksum_type=headers.get("ais-checksum-type", ""),
            checksum_value=headers.get("ais-checksum-value", ""),
            version=headers.get("ais-version", ""),
            present=None if present is None else present.lower() == "true",
        )


def object_path(bucket_name: str, object_name: str) -> str:
    """``objects/<bucket>/<name>`` relative to ``/v1/``, with the name URL-quoted.

    ``/`` stays as is (AIStore names are paths); space, ``%``, ``?``, ``#`` and non-ASCII are
    percent-encoded so the server sees the exact name.
    """
    return f"objects/{quote(bucket_name, safe='')}/{quote(object_name, safe='/')}"


class Object:
    """An object ``name`` in ``bucket``. Cheap to create: no request until asked.

    Attributes:
        props_cached: metadata known without a request (the size from a listing), else
            an all-unknown :class:`ObjectProps`.
    """

    def __init__(self, bucket: Bucket, name: str, props: ObjectProps | None = None) -> None:
        if not name:
            raise ValueError(f"object name in bucket {bucket.uname!r} must not be empty")
        self.bucket = bucket
        self.name = name
        self.props_cached = props or ObjectProps()

    @property
    def client(self) -> RequestClient:
        """The bucket's current request client (datasets may swap it per worker)."""
        return self.bucket.client

    @property
    def uname(self) -> str:
        """``<provider>://<bucket>/<name>``, e.g. ``ais://images/cat.jpg``."""
        return f"{self.bucket.uname}/{self.name}"

    @property
    def path(self) -> str:
        """Request path relative to ``/v1/``, name URL-quoted."""
        return object_path(self.bucket.name, self.name)

    def __repr__(self) -> str:
        return f"Object({self.uname!r})"

    @overload
    def get_reader(
        self,
        archive_config: ArchiveConfig | None = None,
        etl: ETLConfig | None = None,
        byte_range: tuple[int, int | None] | None = None,
        chunk_size: int | None = None,
        num_workers: None = None,
    ) -> ObjectReader: ...

    @overload
    def get_reader(
        self,
        archive_config: ArchiveConfig | None = None,
        etl: ETLConfig | None = None,
        byte_range: tuple[int, int | None] | None = None,
        chunk_size: int | None = None,
        *,
        num_workers: int,
    ) -> ParallelObjectReader: ...

    def get_reader(
        self,
        archive_config: ArchiveConfig | None = None,
        etl: ETLConfig | None = None,
        byte_range: tuple[int, int | None] | None = None,
        chunk_size: int | None = None,
        num_workers: int | None = None,
    ) -> ObjectReader | ParallelObjectReader:
        """A reader for this object's bytes; nothing is sent until it is read.

        Args:
            archive_config: read a member of an archive object instead of the whole object.
            etl: pass the object through an initialised ETL.
            byte_range: ``(first, last)`` byte offsets, inclusive; ``last=None`` reads to the end.
            chunk_size: bytes per network read when streaming (default 1 MiB); with
                ``num_workers``, bytes per range (default 8 MiB, as the official SDK).
            num_workers: read the whole object with this many concurrent Range GETs (>= 2)
                into one shared-memory buffer: a
                :class:`~aisref.client.parallel_read.ParallelObjectReader`, whose
                ``read_all()`` returns a ``ParallelBuffer``. Not with ``byte_range``,
                ``archive_config`` or ``etl`` (as the official SDK; AIStore range-reads
                neither archive members nor ETL output).
        """
        params = dict(self.bucket.qparams)
        if num_workers is not None:
            reject_parallel_options(self.uname, num_workers, archive_config, etl, byte_range)
            return ParallelObjectReader(
                self.client,
                self.path,
                params,
                self.uname,
                num_workers=num_workers,
                chunk_size=DEFAULT_PARALLEL_CHUNK_SIZE if chunk_size is None else chunk_size,
            )
        if archive_config is not None:
            params.update(archive_config.query_params())
        if etl is not None:
            params.update(etl.query_params())
        return ObjectReader(
            self.client,
            self.path,
            params,
            self.uname,
            byte_range=byte_range,
            chunk_size=DEFAULT_CHUNK_SIZE if chunk_size is None else chunk_size,
        )

    def head(self) -> ObjectProps:
        """Fetch the metadata (one HEAD). Raises ObjectNotFound / BucketNotFound."""
        response = self.client.request("HEAD", self.path, params=self.bucket.qparams)
        return ObjectProps.from_headers(response.headers)

    def put_content(self, data: bytes | Iterable[bytes]) -> None:
        """Write the object (replacing it). ``data``: all bytes, or an iterable of chunks.

        The body is sent once, directly to the target; a chunk iterable is not retried.
        """
        response = self.client.request("PUT", self.path, params=self.bucket.qparams, data=data)
        response.close()

    def delete(self) -> None:
        """Delete the object. Raises ObjectNotFound if it is not there."""
        self.client.request("DELETE", self.path, params=self.bucket.qparams).close()

    def get_url(self, archpath: str = "", etl: ETLConfig | None = None) -> str:
        """Full HTTP GET URL, with ``archpath`` / ETL query parameters when given."""
        params = dict(self.bucket.qparams)
        if archpath:
            params[QPARAM_ARCHPATH] = archpath
        if etl is not None:
            params.update(etl.query_params())
        return self.client.full_url(self.path, params)


def reject_parallel_options(
    uname: str,
    num_workers: int,
    archive_config: ArchiveConfig | None,
    etl: ETLConfig | None,
    byte_range: tuple[int, int | None] | None,
) -> None:
    """ValueError when ``num_workers`` comes with an option a range-parallel read cannot honour."""
    if num_workers < 2:
        raise ValueError(f"num_workers must be at least 2 to read {uname}, got {num_workers}")
    clashes = {
        "byte_range": (byte_range, "a parallel read fetches the whole object"),
        "archive_config": (archive_config, "AIStore does not range-read archive members"),
        "etl": (etl, "ETL output is made anew by each GET, so its byte offsets may not repeat"),
    }
    for name, (value, why) in clashes.items():
        if value is not None:
            raise ValueError(f"reading {uname}: num_workers cannot be used with {name}: {why}")
