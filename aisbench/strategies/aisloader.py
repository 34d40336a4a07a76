"""The ceilings: AIStore's own load generator, `aisloader`, reading the same bucket and sizes.

It measures what the cluster serves to a Go client with no Python, no torch and no parsing, so
every report can say what fraction of it a loader reaches. Each kind of read a loader makes has
its ceiling: plain GETs of whole objects (`aisloader`), GetBatch of a batch of objects
(`aisloader-getbatch`, aisloader's "GBT" rows), and GETs of the files inside shards, one at a time
(`aisloader-archive`) or batched (`aisloader-archive-getbatch`).
"""

from __future__ import annotations

import json
import resource
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from aisbench.results import Measurement
from aisbench.scenario import Case
from aisbench.strategies.base import StrategyContext

# Concurrent requests: enough to saturate a small cluster on a 2-core machine, stated in results.
AISLOADER_WORKERS = 8

# Which block of aisloader's -json stats holds the reads: "get" or "get_batch" (GBT rows).
StatsBlock = Literal["get", "get_batch"]


@dataclass(frozen=True)
class ReadKind:
    """One way aisloader reads: its flags, where its numbers are, and what one request holds.

    ``batched``: each request is a GetBatch of the case's ``loader.objects_per_get_batch``
    items.
    ``archive``: the items are the files inside shards (``-arch.list``), not whole objects.
    """

    batched: bool = False
    archive: bool = False

    @property
    def stats_block(self) -> StatsBlock:
        return "get_batch" if self.batched else "get"

    def flags(self, case: Case) -> list[str]:
        flags = ["-arch.list"] if self.archive else []
        if self.batched:
            flags.append(f"-get-batchsize={case.loader.objects_per_get_batch}")
        return flags

    def items_per_request(self, case: Case) -> int:
        return case.loader.objects_per_get_batch if self.batched else 1


def aisloader_argv(binary: Path, ctx: StrategyContext, duration_s: float, workers: int,
                   stats_file: Path, extra_flags: tuple[str, ...] | list[str] = ()) -> list[str]:
    url = urlsplit(ctx.endpoint)
    return [
        str(binary), f"-ip={url.hostname}", f"-port={url.port}",
        f"-bucket=ais://{ctx.bucket}", f"-subdir={ctx.prefix}",
        f"-duration={duration_s:.3f}s", f"-numworkers={workers}", "-pctput=0",
        "-cleanup=false", "-quiet", "-statsinterval=0", "-json",
        f"-stats-output={stats_file}", *extra_flags,
    ]


def parse_stats(stats: list[dict[str, Any]], block: StatsBlock = "get") -> dict[str, float]:
    """count (requests), bytes, errors, duration_s and latencies (s, per request) of ``block``
    ("get", or "get_batch" for GetBatch) in the final stats of an aisloader -json file."""
    final = stats[-1][block]
    return {
        "count": float(final["count"]),
        "bytes": float(final["bytes"]),
        "errors": float(final["errors"]),
        "duration_s": float(final["duration"]) / 1e9,
        "latency_avg_s": float(final["latency"]) / 1e9,
        "latency_min_s": float(final["min_latency"]) / 1e9,
        "latency_max_s": float(final["max_latency"]) / 1e9,
    }


def parse_get_stats(stats: list[dict[str, Any]]) -> dict[str, float]:
    """`parse_stats` of the plain GET block."""
    return parse_stats(stats, "get")


def payload_bytes_read(ctx: StrategyContext, objects: int, wire_bytes: int) -> int:
    """Bytes comparable with what loaders count: for whole shards, the members' payload (a tar's
    headers and padding would otherwise inflate the ceiling's MiB/s several times)."""
    if ctx.dataset.kind != "shards":
        return wire_bytes
    assert ctx.dataset.samples_per_shard is not None
    per_shard = ctx.dataset.samples_per_shard * sum(size for _, size in ctx.dataset.members)
    return objects * per_shard


def samples_read(kind: ReadKind, case: Case, ctx: StrategyContext, requests: int) -> int:
    """Samples in ``requests`` reads: whole objects, whole shards (samples_per_shard each), or
    files inside shards (one sample is one file per member extension)."""
    items = requests * kind.items_per_request(case)
    if kind.archive:
        return items // len(ctx.dataset.members)
    return items * (ctx.dataset.samples_per_shard or 1)


def items_in_dataset(kind: ReadKind, ctx: StrategyContext) -> int:
    """What aisloader can pick from: objects, shards, or (archive) every file in every shard."""
    if kind.archive:
        return ctx.dataset.samples * len(ctx.dataset.members)
    return ctx.dataset.count


@dataclass(frozen=True)
class Aisloader:
    """A ceiling: aisloader reading the case's bucket the way ``kind`` says, for a fixed time."""

    name: str = "aisloader"
    description: str = f"aisloader GET, {AISLOADER_WORKERS} workers: what the cluster serves"
    dataset_kinds: frozenset[str] = frozenset({"objects", "shards"})
    kind: ReadKind = ReadKind()

    @property
    def ceiling(self) -> str:
        return self.name

    @property
    def loader_keys(self) -> frozenset[str]:
        """Loader settings that change what this ceiling measures (GetBatch: its size)."""
        return frozenset({"batch_size", "get_batch_size"}) if self.kind.batched else frozenset()

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None:
        if ctx.aisloader is None:
            return "aisloader is not built (run scripts/setup.sh, or set AISLOADER_BIN)"
        if case.etl is not None:
            return "the aisloader ceiling measures plain reads, not ETL"
        if case.loader.ranks > 1:
            return ("aisloader is a load generator, not a torch DataLoader: loader.ranks does "
                    "not apply to it (the ceiling is measured at ranks 1)")
        items = items_in_dataset(self.kind, ctx)
        if items < 2:
            return "aisloader needs at least 2 objects to run a read-only benchmark"
        if self.kind.batched and case.loader.objects_per_get_batch > items:
            setting = ("loader.get_batch_size" if case.loader.get_batch_size
                       else "loader.batch_size (or set a smaller loader.get_batch_size)")
            return (f"aisloader refuses a GetBatch of {case.loader.objects_per_get_batch} from a "
                    f"dataset of {items}: lower {setting} or grow dataset.count")
        return None

    def measure(self, case: Case, ctx: StrategyContext, duration_s: float) -> Measurement:
        assert ctx.aisloader is not None
        with tempfile.TemporaryDirectory(prefix="aisloader-") as tmp:
            stats_file = Path(tmp) / "stats.json"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            proc = subprocess.run(
                aisloader_argv(ctx.aisloader, ctx, duration_s, AISLOADER_WORKERS, stats_file,
                               self.kind.flags(case)),
                capture_output=True, text=True, timeout=duration_s + 120, cwd=tmp,
            )
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode != 0 or not stats_file.exists():
                tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
                raise RuntimeError(f"{self.name} exited {proc.returncode} on bucket "
                                   f"{ctx.bucket}: " + " | ".join(tail))
            stats = parse_stats(json.loads(stats_file.read_text()), self.kind.stats_block)
        requests = int(stats["count"])
        wire_bytes = int(stats["bytes"])
        return Measurement(
            duration_s=stats["duration_s"],
            samples=samples_read(self.kind, case, ctx, requests),
            # aisloader counts the files' bytes for archive reads and GetBatch; whole shards
            # are counted as their members' payload.
            bytes=wire_bytes if self.kind.archive else payload_bytes_read(ctx, requests,
                                                                          wire_bytes),
            batches=requests if self.kind.batched else 0,
            cpu_seconds=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            peak_rss_bytes=after.ru_maxrss * 1024,
            http_requests=requests,
            errors=int(stats["errors"]),
        )


AISLOADER_GET = Aisloader()
AISLOADER_GETBATCH = Aisloader(
    "aisloader-getbatch",
    f"aisloader GetBatch of loader.get_batch_size (default batch_size) objects, "
    f"{AISLOADER_WORKERS} workers",
    frozenset({"objects"}), ReadKind(batched=True))
AISLOADER_ARCHIVE = Aisloader(
    "aisloader-archive",
    f"aisloader GET of each file inside the shards (-arch.list), {AISLOADER_WORKERS} workers",
    frozenset({"shards"}), ReadKind(archive=True))
AISLOADER_ARCHIVE_GETBATCH = Aisloader(
    "aisloader-archive-getbatch",
    "aisloader GetBatch of loader.get_batch_size (default batch_size) files inside the "
    f"shards, {AISLOADER_WORKERS} workers",
    frozenset({"shards"}), ReadKind(batched=True, archive=True))
