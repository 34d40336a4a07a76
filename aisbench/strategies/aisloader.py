"""The ceiling: AIStore's own load generator, `aisloader`, GETting the same bucket and sizes.

It measures what the cluster serves to a Go client with no Python, no torch and no parsing, so
every report can say what fraction of it a loader reaches.
"""

from __future__ import annotations

import json
import resource
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aisbench.results import Measurement
from aisbench.scenario import Case
from aisbench.strategies.base import StrategyContext

# Concurrent GETs: enough to saturate a small cluster on a 2-core machine, stated in results.
AISLOADER_WORKERS = 8


def aisloader_argv(binary: Path, ctx: StrategyContext, duration_s: float, workers: int,
                   stats_file: Path) -> list[str]:
    url = urlsplit(ctx.endpoint)
    return [
        str(binary), f"-ip={url.hostname}", f"-port={url.port}",
        f"-bucket=ais://{ctx.bucket}", f"-subdir={ctx.prefix}",
        f"-duration={duration_s:.3f}s", f"-numworkers={workers}", "-pctput=0",
        "-cleanup=false", "-quiet", "-statsinterval=0", "-json",
        f"-stats-output={stats_file}",
    ]


def parse_get_stats(stats: list[dict[str, Any]]) -> dict[str, float]:
    """count, bytes, errors, duration_s and latencies (s) of the final GET stats block."""
    get = stats[-1]["get"]
    return {
        "count": float(get["count"]),
        "bytes": float(get["bytes"]),
        "errors": float(get["errors"]),
        "duration_s": float(get["duration"]) / 1e9,
        "latency_avg_s": float(get["latency"]) / 1e9,
        "latency_min_s": float(get["min_latency"]) / 1e9,
        "latency_max_s": float(get["max_latency"]) / 1e9,
    }


def payload_bytes_read(ctx: StrategyContext, objects: int, wire_bytes: int) -> int:
    """Bytes comparable with what loaders count: for shards, the members' payload (a tar's
    headers and padding would otherwise inflate the ceiling's MiB/s several times)."""
    if ctx.dataset.kind != "shards":
        return wire_bytes
    assert ctx.dataset.samples_per_shard is not None
    per_shard = ctx.dataset.samples_per_shard * sum(size for _, size in ctx.dataset.members)
    return objects * per_shard


@dataclass(frozen=True)
class Aisloader:
    name: str = "aisloader"
    description: str = f"aisloader GET, {AISLOADER_WORKERS} workers: what the cluster serves"
    dataset_kinds: frozenset[str] = frozenset({"objects", "shards"})

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None:
        if ctx.aisloader is None:
            return "aisloader is not built (run scripts/setup.sh, or set AISLOADER_BIN)"
        if case.etl is not None:
            return "the aisloader ceiling measures plain GETs, not ETL"
        if ctx.dataset.count < 2:
            return "aisloader needs at least 2 objects to run a read-only benchmark"
        return None

    def measure(self, case: Case, ctx: StrategyContext, duration_s: float) -> Measurement:
        assert ctx.aisloader is not None
        with tempfile.TemporaryDirectory(prefix="aisloader-") as tmp:
            stats_file = Path(tmp) / "stats.json"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            proc = subprocess.run(
                aisloader_argv(ctx.aisloader, ctx, duration_s, AISLOADER_WORKERS, stats_file),
                capture_output=True, text=True, timeout=duration_s + 120, cwd=tmp,
            )
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode != 0 or not stats_file.exists():
                tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
                raise RuntimeError(f"aisloader exited {proc.returncode}: " + " | ".join(tail))
            stats = parse_get_stats(json.loads(stats_file.read_text()))
        objects = int(stats["count"])
        return Measurement(
            duration_s=stats["duration_s"],
            samples=objects * (ctx.dataset.samples_per_shard or 1),
            bytes=payload_bytes_read(ctx, objects, int(stats["bytes"])),
            batches=0,
            cpu_seconds=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            peak_rss_bytes=after.ru_maxrss * 1024,
            http_requests=int(stats["count"]),
            errors=int(stats["errors"]),
        )
