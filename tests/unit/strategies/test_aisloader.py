"""aisloader's command line and the GET numbers read from its -json stats file."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from aisbench.strategies.aisloader import (
    AISLOADER_ARCHIVE,
    AISLOADER_ARCHIVE_GETBATCH,
    AISLOADER_GET,
    AISLOADER_GETBATCH,
    Aisloader,
    aisloader_argv,
    parse_get_stats,
    parse_stats,
    samples_read,
)
from aisbench.strategies.base import StrategyContext
from tests.case_values import TINY_OBJECTS, TINY_SHARDS, make_case

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


CTX_WITH_BINARY = replace(CTX, aisloader=Path("/bin/aisloader"))


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


# --- the ceilings of the other kinds of read: GetBatch ("GBT") and files inside shards ---

OUTPUT = Path(__file__).parent / "aisloader_output"
SHARDS_CTX = StrategyContext(endpoint="http://127.0.0.1:18080", bucket="aisbench-shards-abc",
                             prefix="shard-", dataset=TINY_SHARDS)


def stats_file(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((OUTPUT / name).read_text())
    return data


def kind_flags(strategy: Aisloader, batch_size: int = 16) -> list[str]:
    return strategy.kind.flags(make_case(strategy.name, batch_size=batch_size))


def test_getbatch_ceiling_asks_for_getbatch_of_the_case_batch_size() -> None:
    assert kind_flags(AISLOADER_GETBATCH, batch_size=16) == ["-get-batchsize=16"]


def test_getbatch_ceiling_asks_for_the_case_get_batch_size_when_set() -> None:
    case = make_case("aisloader-getbatch", batch_size=16, get_batch_size=128)
    assert AISLOADER_GETBATCH.kind.flags(case) == ["-get-batchsize=128"]
    assert AISLOADER_GETBATCH.kind.items_per_request(case) == 128


def test_archive_ceiling_lists_the_files_inside_the_shards() -> None:
    assert kind_flags(AISLOADER_ARCHIVE) == ["-arch.list"]


def test_archive_getbatch_ceiling_batches_files_inside_the_shards() -> None:
    assert kind_flags(AISLOADER_ARCHIVE_GETBATCH, 8) == ["-arch.list", "-get-batchsize=8"]


def test_plain_get_ceiling_adds_no_flags() -> None:
    assert kind_flags(AISLOADER_GET) == []


def test_argv_ends_with_the_kinds_flags() -> None:
    full = aisloader_argv(Path("/bin/aisloader"), CTX, 2.0, 8, Path("/tmp/s.json"),
                          ["-arch.list", "-get-batchsize=8"])
    assert full[-2:] == ["-arch.list", "-get-batchsize=8"]
    assert full[:-2] == argv(2.0)


def test_getbatch_stats_come_from_the_get_batch_block_of_a_real_run() -> None:
    stats = parse_stats(stats_file("getbatch-16x16KiB.stats.json"), "get_batch")
    # 76 GetBatch requests of 16 objects of 16 KiB: aisloader counts the objects' bytes.
    assert (stats["count"], stats["bytes"], stats["errors"]) == (76, 76 * 16 * 16384, 0)
    assert stats["latency_avg_s"] == pytest.approx(0.107350016)
    assert stats["duration_s"] == pytest.approx(2.044042378)


def test_the_get_block_of_a_getbatch_run_is_empty() -> None:
    # Why the kind must pick its block: parse_get_stats would report nothing read.
    assert parse_get_stats(stats_file("getbatch-16x16KiB.stats.json"))["count"] == 0


def test_the_real_runs_gbt_row_shows_the_same_count_as_its_json() -> None:
    gbt_rows = [line.split() for line in
                (OUTPUT / "getbatch-16x16KiB.stdout").read_text().splitlines()
                if line.split()[1:2] == ["GBT"]]
    assert [row[2] for row in gbt_rows] == ["76"]


def test_getbatch_samples_are_requests_times_batch_size() -> None:
    case = make_case("aisloader-getbatch", batch_size=16)
    assert samples_read(AISLOADER_GETBATCH.kind, case, CTX, 76) == 76 * 16


def test_archive_samples_are_files_over_members_per_sample() -> None:
    case = make_case("aisloader-archive-getbatch", dataset=TINY_SHARDS, batch_size=8)
    members = len(TINY_SHARDS.members)
    assert samples_read(AISLOADER_ARCHIVE_GETBATCH.kind, case, SHARDS_CTX, 76) == (
        76 * 8 // members)


def test_whole_shard_samples_are_shards_times_samples_per_shard() -> None:
    case = make_case("aisloader", dataset=TINY_SHARDS)
    assert TINY_SHARDS.samples_per_shard is not None
    assert samples_read(AISLOADER_GET.kind, case, SHARDS_CTX, 3) == (
        3 * TINY_SHARDS.samples_per_shard)


def test_getbatch_larger_than_the_dataset_is_skipped_with_the_fix() -> None:
    case = make_case("aisloader-getbatch", batch_size=TINY_OBJECTS.count + 1)
    reason = AISLOADER_GETBATCH.skip_reason(case, CTX_WITH_BINARY)
    assert reason is not None and "lower loader.batch_size" in reason


def test_getbatch_size_larger_than_the_dataset_names_get_batch_size() -> None:
    case = make_case("aisloader-getbatch", batch_size=2, get_batch_size=TINY_OBJECTS.count + 1)
    reason = AISLOADER_GETBATCH.skip_reason(case, CTX_WITH_BINARY)
    assert reason is not None and "lower loader.get_batch_size or" in reason


def test_getbatch_within_the_dataset_runs() -> None:
    case = make_case("aisloader-getbatch", batch_size=2)
    assert AISLOADER_GETBATCH.skip_reason(case, CTX_WITH_BINARY) is None


def test_only_getbatch_ceilings_depend_on_the_batch_size() -> None:
    assert AISLOADER_GETBATCH.loader_keys == {"batch_size", "get_batch_size"}
    assert AISLOADER_ARCHIVE_GETBATCH.loader_keys == {"batch_size", "get_batch_size"}
    assert AISLOADER_GET.loader_keys == AISLOADER_ARCHIVE.loader_keys == frozenset()
