"""Every registered strategy reads a whole tiny dataset through the real case path.

One epoch, no warmup, one repeat, with and without DataLoader workers: the case must be "ok" and
deliver exactly the dataset's samples and payload bytes. The datasets use their own seed, so
their buckets are this module's alone, and are deleted at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aisbench.runner.case_process import run_case
from aisbench.scenario.dataset import DatasetSpec, SizeRange
from aisbench.scenario.model import EtlSpec, RunSettings
from aisbench.strategies.base import StrategyContext, ToolStrategy
from aisbench.strategies.dataset_strategy import DatasetStrategy
from aisbench.strategies.registry import STRATEGIES
from tests.case_values import make_case
from tests.dataset_contexts import dataset_contexts

pytestmark = pytest.mark.integration

SEED = 7_310_042  # a seed of this module only: its own buckets
OBJECTS = DatasetSpec(kind="objects", count=40, seed=SEED, object_size=SizeRange(2048, 2048))
SHARDS = DatasetSpec(kind="shards", count=4, seed=SEED, samples_per_shard=5,
                     members=(("jpg", 1024), ("cls", 8)))
PAYLOAD_BYTES = {"objects": 40 * 2048, "shards": 4 * 5 * (1024 + 8)}
RUN_ID = "test-strategies-real"


def loader_cases(kind: str) -> list[object]:
    """Every loader (not the aisloader ceilings) for ``kind``, with 0 and 2 workers; a loader
    that cannot run here (aisref's #12 classes before they land) or refuses the settings
    (official-parallel-map in DataLoader workers) is a skip with its reason."""
    cases: list[object] = []
    for name, strategy in STRATEGIES.items():
        if kind not in strategy.dataset_kinds or isinstance(strategy, ToolStrategy):
            continue
        for workers in (0, 2):
            missing = (strategy.unavailable() or strategy.refuses(
                make_case(name, num_workers=workers))
                       if isinstance(strategy, DatasetStrategy) else None)
            marks = [pytest.mark.skip(reason=missing)] if missing else []
            cases.append(pytest.param(name, workers, marks=marks))
    return cases


def expected_samples(strategy: str, spec: DatasetSpec) -> int:
    """Samples a strategy yields for the whole dataset (multishard regroups its members)."""
    return spec.samples


@pytest.fixture(scope="module")
def contexts(ais_endpoint: str, ais_home: Path) -> Iterator[dict[str, StrategyContext]]:
    yield from dataset_contexts(ais_endpoint, ais_home, {"objects": OBJECTS, "shards": SHARDS})


@pytest.mark.parametrize(("strategy", "workers"), loader_cases("objects"))
def test_object_strategy_reads_every_sample_and_byte_once(
        contexts: dict[str, StrategyContext], strategy: str, workers: int) -> None:
    case = make_case(strategy, dataset=OBJECTS, num_workers=workers, batch_size=8)
    result = run_case(case, contexts["objects"], RUN_ID)
    assert result.status == "ok", result.reason
    (measured,) = result.repeats
    assert (measured.samples, measured.bytes) == (OBJECTS.samples, PAYLOAD_BYTES["objects"])


@pytest.mark.parametrize(("strategy", "workers"), loader_cases("shards"))
def test_shard_strategy_reads_every_sample_and_byte_once(
        contexts: dict[str, StrategyContext], strategy: str, workers: int) -> None:
    case = make_case(strategy, dataset=SHARDS, num_workers=workers, batch_size=4)
    result = run_case(case, contexts["shards"], RUN_ID)
    assert result.status == "ok", result.reason
    (measured,) = result.repeats
    assert (measured.samples, measured.bytes) == (expected_samples(strategy, SHARDS),
                                                  PAYLOAD_BYTES["shards"])


def test_aisloader_measures_gets_on_the_objects(contexts: dict[str, StrategyContext]) -> None:
    result = run_case(make_case("aisloader", dataset=OBJECTS), contexts["objects"], RUN_ID)
    assert result.status == "ok", result.reason
    (measured,) = result.repeats
    assert measured.samples > 0


def test_an_etl_case_is_skipped_naming_the_etl_and_kubernetes(
        contexts: dict[str, StrategyContext]) -> None:
    case = make_case("aisref-map", dataset=OBJECTS, etl=EtlSpec("some-etl"))
    reason = STRATEGIES["aisref-map"].skip_reason(case, contexts["objects"])
    assert reason is not None
    assert "some-etl" in reason and "Kubernetes" in reason


@pytest.mark.parametrize("strategy", ["aisloader-getbatch", "aisloader-archive",
                                      "aisloader-archive-getbatch"])
def test_aisloader_ceiling_of_each_kind_of_read_measures_the_data(
        contexts: dict[str, StrategyContext], strategy: str) -> None:
    batch_size = 4
    spec = OBJECTS if strategy == "aisloader-getbatch" else SHARDS
    run = RunSettings(duration_s=1.0, warmup_s=0.0, repeats=1)
    case = make_case(strategy, dataset=spec, batch_size=batch_size, run=run)
    result = run_case(case, contexts[spec.kind], RUN_ID)
    assert result.status == "ok", result.reason
    (measured,) = result.repeats
    assert measured.http_requests > 0 and measured.errors == 0
    # Payload bytes per sample as the loaders count them (archive: aisloader picks files of
    # both members, so the mean is near, not at, a whole sample's bytes).
    assert measured.bytes == pytest.approx(measured.samples * spec.mean_sample_bytes, rel=0.25)
    if strategy == "aisloader-getbatch":
        assert measured.samples == measured.http_requests * batch_size
        assert measured.bytes == measured.samples * 2048


def test_the_sdks_parallel_map_dataset_fails_inside_dataloader_workers(
        contexts: dict[str, StrategyContext]) -> None:
    """Why official-parallel-map refuses num_workers > 0: the SDK's own failure, on the cluster."""
    from aistore.pytorch import AISParallelMapDataset
    from aistore.sdk import Client as SdkClient
    from torch.utils.data import DataLoader

    ctx = contexts["objects"]
    bucket = SdkClient(ctx.endpoint).bucket(ctx.bucket)
    dataset = AISParallelMapDataset(bucket, prefix_map={bucket: ctx.prefix}, num_workers=2)
    with pytest.raises(AssertionError, match="daemonic processes are not allowed to have children"):
        next(iter(DataLoader(dataset, batch_size=2, num_workers=1, collate_fn=list)))
