"""The fast-path strategies' own pieces: byte-sized batches, shared buffers, worker refusal."""

from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path

import pytest

from aisbench.scenario.dataset import SizeRange
from aisbench.strategies.base import StrategyContext
from aisbench.strategies.dataset_strategy import DatasetStrategy
from aisbench.strategies.official import SharedBuffersAsBytes, batch_bytes_limit
from aisbench.strategies.registry import get_strategy
from tests.case_values import TINY_OBJECTS, TINY_SHARDS, make_case

CTX = StrategyContext(endpoint="http://127.0.0.1:1", bucket="b", prefix="obj-",
                      dataset=TINY_OBJECTS, aisloader=Path("/bin/aisloader"))


class FakeParallelBuffer:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.closed = False

    def tobytes(self) -> bytes:
        return self.data

    def close(self) -> None:
        self.closed = True


def test_dynamic_batches_hold_batch_size_samples_of_the_mean_size() -> None:
    sized = replace(TINY_OBJECTS, object_size=SizeRange(1000, 3000))
    assert batch_bytes_limit(make_case(dataset=sized, batch_size=8)) == 8 * 2000


def test_dynamic_batches_of_shards_count_a_samples_members() -> None:
    assert batch_bytes_limit(make_case(dataset=TINY_SHARDS, batch_size=4)) == 4 * (1024 + 8)


def test_shared_buffers_become_bytes_and_are_released() -> None:
    buffer = FakeParallelBuffer(b"abc")
    dataset = SharedBuffersAsBytes([("obj-1", buffer)])
    assert (len(dataset), dataset[0], buffer.closed) == (1, ("obj-1", b"abc"), True)


def test_plain_bytes_pass_through_unchanged() -> None:
    assert SharedBuffersAsBytes([("obj-1", b"xyz")])[0] == ("obj-1", b"xyz")


def test_official_parallel_map_refuses_dataloader_workers_and_says_why() -> None:
    reason = get_strategy("official-parallel-map").skip_reason(make_case(num_workers=2), CTX)
    assert reason is not None and "num_workers 0" in reason and "daemonic" in reason


def test_official_parallel_map_runs_in_the_main_process() -> None:
    assert get_strategy("official-parallel-map").skip_reason(make_case(num_workers=0), CTX) is None



class RecordedBatchIter:
    """Stands in for AISBatchIterDataset (ours and the SDK's): keeps its keyword arguments."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.kwargs = kwargs


@pytest.mark.parametrize(("strategy", "module"), [
    ("aisref-batch-iter", "aisref.pytorch"),
    ("official-batch-iter", "aistore.pytorch.batch_iter_dataset"),
])
def test_batch_iter_datasets_send_get_batch_size_objects_per_request(
    strategy: str, module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importlib.import_module(module), "AISBatchIterDataset", RecordedBatchIter)
    build = get_strategy(strategy)
    assert isinstance(build, DatasetStrategy)
    by_batch = build.dataset(make_case(strategy, batch_size=8), CTX)
    by_option = build.dataset(make_case(strategy, batch_size=8, get_batch_size=128), CTX)
    assert by_batch.kwargs["max_batch_size"] == 8
    assert by_option.kwargs["max_batch_size"] == 128
