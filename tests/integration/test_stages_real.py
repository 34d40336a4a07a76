"""Where the time goes, on the real cluster: each case's stages add up to its window.

The invariant, per window of duration W (StageTimes in results/schema.py):
- the consumer's stages sum to W within 5%; with the consumer's compute and bookkeeping taken
  off, what is left is its wait for batches, which must match the sum of the batch waits the
  window measures independently, within 5% of W;
- the workers' stages sum to num_workers x W within 5% with persistent workers; without,
  never more than that (workers are re-forked each epoch; their start is not theirs to count);
- the network stages are there for aisref's client (listing, first byte, receive, tar parse
  for shards), and "not measured" (no number) for the official SDK.

Short windows (1 s), tiny datasets of this module's own seed: the suite must stay fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from aisbench.results import Measurement, StageTimes
from aisbench.runner.case_process import run_case
from aisbench.scenario.dataset import DatasetSpec, SizeRange
from aisbench.scenario.model import Case, RunSettings
from aisbench.strategies.base import StrategyContext
from tests.case_values import make_case
from tests.dataset_contexts import dataset_contexts

pytestmark = pytest.mark.integration

SEED = 7_310_515
OBJECTS = DatasetSpec(kind="objects", count=64, seed=SEED, object_size=SizeRange(16384, 16384))
SHARDS = DatasetSpec(kind="shards", count=8, seed=SEED, samples_per_shard=16,
                     members=(("jpg", 8192), ("cls", 8)))
WINDOW = RunSettings(duration_s=1.0, epochs=None, warmup_s=0.0, repeats=1)
TOLERANCE = 0.05
RUN_ID = "test-stages-real"


@pytest.fixture(scope="module")
def contexts(ais_endpoint: str, ais_home: Path) -> Iterator[dict[str, StrategyContext]]:
    yield from dataset_contexts(ais_endpoint, ais_home, {"objects": OBJECTS, "shards": SHARDS})


def measure(ctx: StrategyContext, strategy: str, workers: int, *,
            persistent: bool = True) -> tuple[Measurement, StageTimes]:
    case: Case = make_case(strategy, dataset=ctx.dataset, num_workers=workers, batch_size=8,
                           transform="decode", compute_ms_per_batch=2.0, run=WINDOW)
    if workers:
        case = replace(case, settings=case.settings.with_value("loader.persistent_workers",
                                                               persistent))
    result = run_case(case, ctx, RUN_ID)
    assert result.status == "ok", result.reason
    (window,) = result.repeats
    assert window.stages is not None
    return window, window.stages


def assert_consumer_adds_up(window: Measurement, stages: StageTimes) -> None:
    wall = window.duration_s
    total = sum(stages.main_s.values())
    assert abs(total - wall) <= TOLERANCE * wall, (total, wall, stages.main_s)
    waiting = total - stages.main_s.get("compute", 0.0) - stages.main_s.get("harness", 0.0)
    waits = sum(window.batch_latencies_s)
    assert abs(waiting - waits) <= TOLERANCE * wall, (waiting, waits, stages.main_s)
    # accel_busy_s is the sleep asked for; compute is what the sleeps took (a busy machine
    # wakes late), never less.
    assert stages.main_s.get("compute", 0.0) >= window.accel_busy_s * 0.99


def assert_workers_add_up(window: Measurement, stages: StageTimes, *, exactly: bool) -> None:
    budget = stages.workers * window.duration_s
    total = sum(stages.workers_s.values())
    assert total <= budget * (1 + TOLERANCE), (total, budget, stages.workers_s)
    if exactly:
        assert total >= budget * (1 - TOLERANCE), (total, budget, stages.workers_s)


@pytest.mark.parametrize("strategy", ["aisref-map", "aisref-iter"])
def test_objects_without_workers_add_up_in_the_consumer(
        contexts: dict[str, StrategyContext], strategy: str) -> None:
    window, stages = measure(contexts["objects"], strategy, 0)
    assert_consumer_adds_up(window, stages)
    assert stages.workers_s == {} and stages.not_measured == ()
    for stage in ("first_byte", "receive", "transform", "collate", "compute"):
        assert stages.main_s.get(stage, 0.0) > 0, (stage, stages.main_s)


@pytest.mark.parametrize("strategy", ["aisref-map", "aisref-iter"])
def test_objects_with_two_workers_add_up_in_both_timelines(
        contexts: dict[str, StrategyContext], strategy: str) -> None:
    window, stages = measure(contexts["objects"], strategy, 2)
    assert_consumer_adds_up(window, stages)
    assert_workers_add_up(window, stages, exactly=True)
    assert stages.main_s.get("unpickle", 0.0) > 0
    assert stages.helper_threads_s.get("pickle", 0.0) > 0  # the workers' queue threads
    for stage in ("first_byte", "receive", "transform", "collate"):
        assert stages.workers_s.get(stage, 0.0) > 0, (stage, stages.workers_s)
        assert stages.main_s.get(stage, 0.0) == 0, (stage, stages.main_s)


@pytest.mark.parametrize("workers", [0, 2])
def test_shards_count_tar_parsing_apart_from_receiving(
        contexts: dict[str, StrategyContext], workers: int) -> None:
    window, stages = measure(contexts["shards"], "aisref-shards", workers)
    assert_consumer_adds_up(window, stages)
    timeline = stages.workers_s if workers else stages.main_s
    for stage in ("first_byte", "receive", "tar_parse"):
        assert timeline.get(stage, 0.0) > 0, (stage, timeline)
    if workers:
        assert_workers_add_up(window, stages, exactly=True)


def test_workers_forked_each_epoch_never_count_more_than_they_lived(
        contexts: dict[str, StrategyContext]) -> None:
    window, stages = measure(contexts["objects"], "aisref-iter", 2, persistent=False)
    assert_consumer_adds_up(window, stages)
    assert_workers_add_up(window, stages, exactly=False)


def test_the_official_sdk_network_stages_are_not_measured(
        contexts: dict[str, StrategyContext]) -> None:
    pytest.importorskip("aistore")
    window, stages = measure(contexts["objects"], "official-map", 0)
    assert_consumer_adds_up(window, stages)
    assert stages.not_measured == ("listing", "first_byte", "receive", "tar_parse")
    assert all(stage not in stages.main_s for stage in stages.not_measured)
    assert stages.main_s.get("collate", 0.0) > 0  # the harness's own stages still are


@pytest.mark.parametrize("strategy", ["aisref-map", "aisref-datapipe"])
def test_listing_is_timed_where_the_loader_lists_once_at_construction(
        contexts: dict[str, StrategyContext], strategy: str) -> None:
    case = make_case(strategy, dataset=OBJECTS, run=WINDOW)
    result = run_case(case, contexts["objects"], RUN_ID)
    assert result.status == "ok", result.reason
    setup = result.extra["setup_stages_s"]
    assert setup["listing"] > 0, setup
    assert sum(setup.values()) == pytest.approx(result.extra["setup_s"], rel=0.05)
    (window,) = result.repeats
    assert window.stages is not None and "listing" not in window.stages.main_s
