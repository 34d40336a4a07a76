"""aisloader's command line and the GET numbers read from its -json stats file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aisbench.strategies.aisloader import aisloader_argv, parse_get_stats
from aisbench.strategies.base import StrategyContext
from tests.case_values import TINY_OBJECTS

# A real stats file (aisloader -json), from this machine; "put"/"get_batch" have the same keys.
_BLOCK_ZERO = {"start_time": "2026-11-23T20:37:22.133227598Z", "count": "0", "bytes": "0",
               "errors": 0, "latency": 0, "duration": 3000583734, "min_latency": 0,
               "max_latency": 0, "throughput": "0"}
STATS_TEXT = json.dumps([{
    "get": {"start_time": "2026-11-23T20:37:22.133227598Z", "count": "9592",
            "bytes": "28502307", "errors": 0, "latency": 1240172, "duration": 3000583734,
            "min_latency": 257634, "max_latency": 9192321, "throughput": "9498919"},
    "put": _BLOCK_ZERO,
    "get_batch": _BLOCK_ZERO,
}])

CTX = StrategyContext(endpoint="http://127.0.0.1:18080", bucket="aisbench-objects-abc",
                      prefix="obj-", dataset=TINY_OBJECTS)


def argv(duration_s: float = 2.5) -> list[str]:
    return aisloader_argv(Path("/bin/aisloader"), CTX, duration_s, 8, Path("/tmp/s.json"))


def test_argv_starts_with_the_binary() -> None:
    assert argv()[0] == "/bin/aisloader"


def test_argv_addresses_the_endpoints_host_and_port() -> None:
    assert {"-ip=127.0.0.1", "-port=18080"} <= set(argv())


def test_argv_reads_the_bucket_under_the_data_prefix() -> None:
    assert {"-bucket=ais://aisbench-objects-abc", "-subdir=obj-"} <= set(argv())


def test_argv_only_reads_and_keeps_the_data() -> None:
    assert {"-pctput=0", "-cleanup=false"} <= set(argv())


def test_argv_sets_duration_workers_and_json_stats_file() -> None:
    assert {"-duration=2.500s", "-numworkers=8", "-json",
            "-stats-output=/tmp/s.json"} <= set(argv())


def test_parse_get_stats_reads_count_bytes_and_errors() -> None:
    stats = parse_get_stats(json.loads(STATS_TEXT))
    assert (stats["count"], stats["bytes"], stats["errors"]) == (9592, 28502307, 0)


def test_parse_get_stats_converts_nanoseconds_to_seconds() -> None:
    stats = parse_get_stats(json.loads(STATS_TEXT))
    assert stats["duration_s"] == pytest.approx(3.000583734)
    assert stats["latency_avg_s"] == pytest.approx(0.001240172)
    assert stats["latency_min_s"] == pytest.approx(0.000257634)
    assert stats["latency_max_s"] == pytest.approx(0.009192321)


def test_parse_get_stats_uses_the_last_block() -> None:
    first = json.loads(STATS_TEXT)[0]
    last = {**first, "get": {**first["get"], "count": "12000"}}
    assert parse_get_stats([first, last])["count"] == 12000
