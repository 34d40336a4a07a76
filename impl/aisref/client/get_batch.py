"""GetBatch: many objects, archived files and byte ranges in ONE request, as one tar, in order.

``GET /v1/ml/moss[/<bucket>]`` with a JSON ``MossReq`` body (AIStore v1.5.0: ``api/ml.go``,
``ais/ml.go``, ``docs/get_batch.md``). The proxy reads the body, picks a designated target (at
random, or by the colocation hint) and redirects (307) there; that target gathers the entries
from its peers and writes one archive whose members are the entries in request order.

What this module adds to the wire protocol, all checked on a real v1.5.0 cluster
(``tests/integration/test_get_batch.py``):

- **Streaming, bounded memory**: results are yielded as the tar arrives; at most one member
  plus one read buffer (:data:`~aisref.client.batch_framing.READ_BUFFER`) is held, in both
  forms (the multipart form's archive part is streamed too, after its metadata part).
- **Order and completeness**: member *k* is entry *k*; each member's name is checked against
  the entry (a mismatch is a :class:`~aisref.client.GetBatchError`, never a silent shift).
  The reply is read up to its last entry and then closed: a v1.5.0 target ends it (the tar's
  end blocks) only ~100 ms later, after its work item has been quiet for ``noRxWindow``;
  waiting for that made a batch of 32 small objects ~13x slower. The cost is one new
  connection per batch.
  The server may end a streaming archive *cleanly* but short - it does so for a missing
  object without continue-on-error, and when continue-on-error meets more missing entries
  than ``get_batch.max_soft_errs`` (8 by default) - so a short archive raises: for a missing
  object, :class:`~aisref.client.ObjectNotFound` naming it (one HEAD finds which); past the
  soft-error limit :class:`~aisref.client.GetBatchTooManyMissing`. Any other short archive
  (seen when a peer the designated target gathers from is killed mid-batch) is a break, as
  is the proxy's 400 "connection refused" for a designated target that died: both are
  re-requested like a cut (below).
- **Missing entries** with ``cont_on_err=True`` come as zero-size ``__404__/...`` members (or
  ``err_msg`` in the multipart metadata): yielded with ``MossOut.err_msg`` set. Without it the
  server answers 404 (or a short archive): :class:`~aisref.client.ObjectNotFound` naming the
  object and the target.
- **A connection cut mid-archive is resumed**: a new GetBatch for the entries not yet yielded
  (members are yielded only when complete, so none is repeated or lost), at most the client's
  ``retries`` times with its backoff, each counted in ``retries_made``; then
  :class:`~aisref.client.GetBatchInterrupted` names the batch, node, entry and byte offset.
- :attr:`Batch.served_by` records the node (the designated target) that served the last
  reply.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import requests

from aisref.client.batch_errors import batch_error, batch_label
from aisref.client.batch_framing import (
    CountingStream,
    FramingError,
    GunzipStream,
    MultipartReader,
    StreamBroken,
    buffered,
    multipart_boundary,
)
from aisref.client.batch_types import MISSING_DIR, Colocation, MossIn, MossOut
from aisref.client.errors import (
    AISError,
    CertificateNotTrusted,
    ClusterUnreachable,
    GetBatchError,
    GetBatchIncomplete,
    GetBatchInterrupted,
    GetBatchTooManyMissing,
    ObjectNotFound,
    ShardFormatError,
)
from aisref.client.node_sweep import unreachable_targets
from aisref.client.obj import Object, object_path
from aisref.client.request_client import RequestClient
from aisref.client.resume import node_of
from aisref.client.stage_clock import FIRST_BYTE, STAGE_CLOCK
from aisref.client.tar_stream import TarMember, iter_tar_members

if TYPE_CHECKING:
    from aisref.client.bucket import Bucket

log = logging.getLogger(__name__)

BatchResult = Iterator[tuple[MossOut, bytes]]
GB_PATH = "ml/moss"
TAR_FORMATS = frozenset({".tar"})
GZIP_FORMATS = frozenset({".tgz", ".tar.gz"})
_MAX_METADATA = 256 << 20  # bytes; the JSON describing the entries, a few hundred bytes each
_RESUMABLE = (StreamBroken,)


class Batch:
    """A GetBatch request being built, then sent by :meth:`get` (``Client.batch`` makes one).

    Same arguments as the official ``aistore.sdk.batch.Batch``:

    Args:
        request_client: the client's :class:`RequestClient`.
        objects: names (then ``bucket`` is required), ``Object`` s, or one of either.
        bucket: the default bucket for names.
        output_format: ``".tar"`` (default), ``".tgz"`` or ``".tar.gz"``. (``.zip`` and
            ``.tar.lz4`` are not read by aisref: ValueError.)
        cont_on_err: missing entries come back as ``__404__/`` placeholders (``MossOut.err_msg``
            set) instead of failing the batch.
        only_obj_name: members named ``<object>`` instead of ``<bucket>/<object>``.
        streaming_get: the server streams the tar as it builds it (default); False: a
            multipart reply, metadata (sizes, per-entry errors) then the tar.
        colocation: the :class:`Colocation` hint (0, 1 or 2).
    """

    def __init__(
        self,
        request_client: RequestClient,
        objects: Sequence[Object | str] | Object | str | None = None,
        bucket: Bucket | None = None,
        output_format: str = ".tar",
        cont_on_err: bool = True,
        only_obj_name: bool = False,
        streaming_get: bool = True,
        colocation: Colocation | int = Colocation.NONE,
    ) -> None:
        fmt = output_format.lower()
        if fmt not in TAR_FORMATS | GZIP_FORMATS:
            raise ValueError(
                f"output_format {output_format!r}: aisref reads GetBatch replies as .tar, .tgz "
                "or .tar.gz"
            )
        self.colocation = Colocation(colocation)  # ValueError outside 0..2, as the server
        self.request_client = request_client
        self.bucket = bucket
        self.output_format = fmt
        self.cont_on_err = cont_on_err
        self.only_obj_name = only_obj_name
        self.streaming_get = streaming_get
        self.served_by = ""  # node of the last reply, e.g. "http://127.0.0.1:8081"
        self._entries: list[MossIn] = []
        if objects is not None:
            for obj in [objects] if isinstance(objects, Object | str) else objects:
                self.add(obj)

    @property
    def requests_list(self) -> list[MossIn]:
        """The entries added so far, in request order."""
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Batch(objects={len(self)}, format={self.output_format})"

    def add(
        self,
        obj: Object | str,
        opaque: bytes | None = None,
        archpath: str | None = None,
        start: int | None = None,
        length: int | None = None,
        bck: str | None = None,
        provider: str | None = None,
    ) -> Batch:
        """Add one entry (an object, a file inside it, a byte range); returns self."""
        if (bck is None) != (provider is None):
            raise ValueError("bck and provider must be set together, or not at all")
        if isinstance(obj, Object):
            if bck is not None:
                raise ValueError("bck/provider cannot be combined with an Object instance")
            bck, provider, name = obj.bucket.name, obj.bucket.provider, obj.name
        else:
            if bck is None:
                if self.bucket is None:
                    raise ValueError(f"object {obj!r} is a name: pass bucket= (or bck/provider)")
                bck, provider = self.bucket.name, self.bucket.provider
            name = obj
        self._entries.append(
            MossIn(
                obj_name=name,
                bck=bck,
                provider=provider or "ais",
                archpath=archpath or "",
                opaque=opaque or b"",
                start=start or 0,
                length=length or 0,
            )
        )
        return self

    def clear(self) -> Batch:
        """Forget the entries (the batch can be reused); returns self."""
        self._entries = []
        return self

    def request_body(self, entries: Sequence[MossIn]) -> dict[str, Any]:
        """The JSON body (``apc.MossReq``) for ``entries``."""
        body: dict[str, Any] = {
            "in": [entry.to_json() for entry in entries],
            "coer": self.cont_on_err,
            "onob": self.only_obj_name,
            "strm": self.streaming_get,
        }
        if self.output_format != ".tar":
            body["mime"] = self.output_format
        if self.colocation:
            body["coloc"] = int(self.colocation)
        return body

    def get(
        self, raw: bool = False, decode_as_stream: bool = False, clear_batch: bool = True
    ) -> Any:
        """Send the request; yield ``(MossOut, bytes)`` per entry, in request order.

        Args:
            raw: return the reply's raw body (``urllib3`` stream; the caller closes it).
            decode_as_stream: accepted for parity; replies are always streamed here.
            clear_batch: forget the entries once sent, so the batch can be reused.

        Raises (while iterating):
            ObjectNotFound, BucketNotFound, GetBatchTooManyMissing, GetBatchIncomplete,
            GetBatchInterrupted, GetBatchUnsupported, GetBatchError: see the module docs.
        """
        del decode_as_stream  # the archive is always parsed as it streams
        if not self._entries:
            raise ValueError("No objects added to batch")
        entries = tuple(self._entries)
        if clear_batch:
            self.clear()
        if raw:
            return self._send(entries).raw
        return self._results(entries)

    # -- one request -----------------------------------------------------------------------

    def _send(self, entries: Sequence[MossIn]) -> requests.Response:
        params = {"coloc": str(int(self.colocation))} if self.colocation else None
        previous = STAGE_CLOCK.enter(FIRST_BYTE)
        try:
            response = self.request_client.request(
                "GET",
                GB_PATH,
                params=params,
                json=self.request_body(entries),
                headers={"Content-Type": "application/json"},
                stream=True,
            )
        except CertificateNotTrusted:
            raise
        except ClusterUnreachable as err:  # no reply, or a node the cluster could not reach
            raise StreamBroken(f"no node answered ({err.message})", 0) from None
        except AISError as err:
            if self.request_client.retry_policy.is_retryable_status(err.status):
                # e.g. 503 "not ready yet" from a target still restarting: the client's own
                # retries did not outlast it; the batch's re-requests may
                raise StreamBroken(f"HTTP {err.status}: {err.message}", 0) from None
            where = f" from node {node_of(err.url)}" if err.url else ""
            raise batch_error(err, batch_label(entries) + where) from None
        finally:
            STAGE_CLOCK.leave(previous)
        self.served_by = node_of(response.url or "")
        return response

    def _results(self, entries: tuple[MossIn, ...]) -> BatchResult:
        """Every entry's result; re-requests the rest after a broken connection."""
        policy = self.request_client.retry_policy
        done = attempt = 0
        while done < len(entries):
            rest = entries[done:]
            progress = _Progress()
            try:
                for result in self._one_reply(rest, progress):
                    done += 1
                    yield result
                return
            except _RESUMABLE as brk:
                why = (
                    f"{batch_label(entries)} from node {self.served_by}: the reply broke off "
                    f"({brk.why}) at byte offset {brk.offset} of the reply, in entry "
                    f"{done} ({entries[done].uname}), after {done} of {len(entries)} entries"
                )
                if not policy.should_retry(attempt):
                    _, held_by_dead_node = self._probe(entries[done], why)
                    if held_by_dead_node is not None:  # the cause, naming entry and node
                        raise held_by_dead_node from None
                    down = unreachable_targets(self.request_client)
                    cause = (f"; targets not answering now: {', '.join(down)} (the designated "
                             "target gathers entries from them)") if down else ""
                    raise GetBatchInterrupted(
                        f"{why}; {attempt} re-requests made (the client's "
                        f"retries={policy.max_retries}){cause} - retry the batch, or raise "
                        "retries",
                        0,
                        self.served_by,
                    ) from None
                attempt = self.request_client.sleep_before_retry(
                    policy, attempt, "GET", self.served_by, why
                )
                log.info("re-requesting the %d entries not yet delivered", len(entries) - done)

    def _one_reply(self, entries: Sequence[MossIn], progress: _Progress) -> BatchResult:
        response = self._send(entries)
        body = CountingStream(response)
        label = f"{batch_label(entries)} from node {self.served_by}"
        try:
            metadata, archive = self._archive_stream(response, body, label)
            members = iter_tar_members(archive, label)
            for index, member in _numbered(members, body, label):
                out = self._result(entries[index], member, metadata, index, label)
                progress.delivered += 1
                progress.missing += bool(out.err_msg)
                yield out, member.data
                if progress.delivered == len(entries):
                    # Every entry is in. A v1.5.0 target ends the reply (the tar's end blocks,
                    # the last chunk) only after its work item has seen no traffic for 100 ms
                    # (xact/xs/moss.go, noRxWindow); waiting for that end made a batch of 32
                    # 16 KiB objects take ~110 ms instead of ~8. So stop here: closing the
                    # unfinished reply drops its connection, and the next batch opens one.
                    break
        finally:
            body.close()
        if progress.delivered < len(entries):
            short = self._short_archive(entries, progress, label)
            if isinstance(short, GetBatchIncomplete):  # e.g. a peer died mid-batch: ask again
                raise StreamBroken(f"the archive ended after {progress.delivered} of "
                                   f"{len(entries)} entries", body.offset)
            raise short

    def _archive_stream(
        self, response: requests.Response, body: CountingStream, label: str
    ) -> tuple[list[dict[str, Any]] | None, Any]:
        """``(per-entry metadata or None, the tar as a stream)`` for either reply form."""
        content_type = response.headers.get("Content-Type", "")
        stream: Any = buffered(body)
        metadata: list[dict[str, Any]] | None = None
        if self.streaming_get:
            if not content_type.startswith("application/"):  # as api.GetBatchStream checks
                raise GetBatchError(f"{label}: unexpected Content-Type {content_type!r}")
        else:
            try:
                parts = MultipartReader(stream, multipart_boundary(content_type))
                metadata = _metadata_part(parts)
                stream = _archive_part(parts)
            except FramingError as err:
                if body.at_eof:
                    raise StreamBroken("the reply ended early", body.offset) from err
                raise GetBatchError(f"{label}: {err}") from None
        if self.output_format in GZIP_FORMATS:
            stream = GunzipStream(stream)
        return metadata, stream

    def _result(
        self,
        entry: MossIn,
        member: TarMember,
        metadata: list[dict[str, Any]] | None,
        index: int,
        label: str,
    ) -> MossOut:
        missing = member.name in entry.missing_names(self.only_obj_name)
        if not missing and member.name != entry.name_in_archive(self.only_obj_name):
            raise GetBatchError(
                f"{label}: member {index} is {member.name!r}, expected "
                f"{entry.name_in_archive(self.only_obj_name)!r} ({entry.uname}): the reply is "
                "out of step with the request"
            )
        if metadata is not None and index < len(metadata):
            out = MossOut.from_json(metadata[index], entry)
        else:
            out = MossOut(entry.obj_name, entry.bck, entry.provider, entry.archpath, entry.opaque)
        err_msg = out.err_msg or (f"missing (the archive has {member.name!r})" if missing else "")
        if err_msg and not self.cont_on_err:
            raise ObjectNotFound(f"{label}: entry {index} {entry.uname}: {err_msg}", 404)
        return dataclasses.replace(out, err_msg=err_msg, size=len(member.data))

    def _short_archive(
        self, entries: Sequence[MossIn], progress: _Progress, label: str
    ) -> AISError:
        """Why the archive ended before its last entry, as the error to raise (or, for
        GetBatchIncomplete, to re-request after)."""
        first = entries[progress.delivered]
        done = f"after {progress.delivered} of {len(entries)} entries"
        if self.cont_on_err and progress.missing:
            return GetBatchTooManyMissing(
                f"{label}: the archive ended {done}, {progress.missing} of them missing; the "
                f"first entry not delivered is {progress.delivered} ({first.uname}): the "
                "cluster stops a batch past get_batch.max_soft_errs missing entries (8 by "
                "default) - split the batch or fix the missing objects"
            )
        exists, unreachable = self._probe(first, f"{label}: the archive ended {done}")
        if unreachable is not None:
            return unreachable
        if not self.cont_on_err and not exists:
            return ObjectNotFound(
                f"{label}: the archive ended {done}: entry {progress.delivered} {first.uname} "
                "does not exist (pass cont_on_err=True to get the others)",
                404,
            )
        return GetBatchIncomplete(
            f"{label}: the archive ended {done}; the first entry not delivered is "
            f"{progress.delivered} ({first.uname}) - the server stopped assembling the batch "
            "(its log names why); retry it"
        )

    def _probe(self, entry: MossIn, context: str) -> tuple[bool, ClusterUnreachable | None]:
        """One HEAD of ``entry`` on its own: ``(exists, None)``, or ``(True, the error naming
        entry and node)`` when the node holding it cannot be reached (e.g. a target killed
        mid-batch, which the designated target was gathering from). A file inside a shard is
        not probed."""
        if entry.archpath:
            return True, None
        try:
            self.request_client.request(
                "HEAD", object_path(entry.bck, entry.obj_name), params={"provider": entry.provider}
            ).close()
        except ObjectNotFound:
            return False, None
        except ClusterUnreachable as err:
            return True, ClusterUnreachable(
                f"{context}: entry {entry.uname} is held by a node that cannot be reached - "
                f"{err.message}",
                err.status,
                err.url,
            )
        except AISError:  # another refusal says nothing about the entry
            return True, None
        return True, None


class _Progress:
    """Entries delivered (and how many of them missing) by the current reply."""

    def __init__(self) -> None:
        self.delivered = 0
        self.missing = 0


def _numbered(
    members: Iterator[TarMember], body: CountingStream, label: str
) -> Iterator[tuple[int, TarMember]]:
    """Members with their index; a tar cut short by a clean end of the reply is a break."""
    index = 0
    while True:
        try:
            member = next(members)
        except StopIteration:
            return
        except ShardFormatError as err:
            if body.at_eof:  # the reply ended inside a member: a cut, like a reset
                raise StreamBroken("the reply ended inside an entry", body.offset) from err
            raise GetBatchError(f"{label}: {err.message}") from None
        except FramingError as err:
            if body.at_eof:
                raise StreamBroken("the reply ended inside the archive", body.offset) from err
            raise GetBatchError(f"{label}: {err}") from None
        yield index, member
        index += 1


def _metadata_part(parts: MultipartReader) -> list[dict[str, Any]]:
    part = parts.next_part()
    if part is None or part[0] != "metadata":
        raise FramingError(f"the first part is {part and part[0]!r}, expected 'metadata'")
    try:
        meta = json.loads(part[1].read_all(_MAX_METADATA))
        out = meta["out"]
    except (ValueError, KeyError, TypeError) as err:
        raise FramingError(f"the metadata part is not a MossResp ({err})") from None
    if not isinstance(out, list):
        raise FramingError("the metadata part's 'out' is not a list")
    return out


def _archive_part(parts: MultipartReader) -> Any:
    part = parts.next_part()
    if part is None or part[0] != "archive":
        raise FramingError(f"the second part is {part and part[0]!r}, expected 'archive'")
    return buffered(part[1])


__all__ = ["MISSING_DIR", "Batch", "BatchResult", "Colocation", "MossIn", "MossOut"]
