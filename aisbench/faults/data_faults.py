"""Bad data: a shard that is cut short or is not a tar at all, between two good ones.

A shard reader must deliver the good samples it reached and then stop with a typed error naming
the bad shard - never skip it silently or hand out a partial sample as if it were whole.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Literal

from aisbench.datagen import FaultData, make_shard
from aisbench.errors import InvalidValue
from aisbench.faults.bench import FaultBench
from aisbench.faults.epoch_run import patient, run_epoch
from aisbench.faults.id_loaders import SHARD_KINDS
from aisbench.faults.kinds import BenchFault, BenchSite, FaultSettings, Step
from aisbench.results import FaultOutcome
from aisbench.scenario import allowed
from aisref.client import Bucket, RequestClient

Corruption = Literal["truncated", "garbage"]
CORRUPTIONS: tuple[Corruption, ...] = ("truncated", "garbage")
_SAMPLES_PER_SHARD = 4


def corrupt(data: bytes, how: Corruption, seed: int = 0) -> bytes:
    """``data`` cut in the middle of a member's bytes, or as many random bytes instead."""
    if how == "truncated":
        return data[: len(data) // 2 + 100]  # past the first header, inside a member
    return random.Random(seed).randbytes(len(data))


def corrupt_name(how: Corruption) -> str:
    """The corrupt shard's name: the one object its error may blame."""
    return f"{how}-1-corrupt.tar"


@contextmanager
def bad_shard_bucket(bench: FaultBench, how: Corruption) -> Iterator[FaultData]:
    """A bucket of three shards, the middle one corrupt; deleted on exit."""
    bucket = Bucket(RequestClient(bench.endpoint),
                    f"{bench.data.objects_bucket.removesuffix('-obj')}-bad-{how}")
    bucket.create(exist_ok=True)
    names, shard_keys = [], []
    try:
        for index in range(3):
            data, keys, _ = make_shard(90 + index, _SAMPLES_PER_SHARD)
            name = f"{how}-{index}.tar" if index != 1 else corrupt_name(how)
            bucket.put_object(name, corrupt(data, how) if index == 1 else data)
            names.append(name)
            shard_keys.append(tuple(keys))
        yield dataclasses.replace(bench.data, shards_bucket=bucket.name,
                                  shard_names=tuple(names), shard_keys=tuple(shard_keys))
    finally:
        bucket.delete(missing_ok=True)


def corrupt_shard(bench: FaultBench, kind: str, workers: int, how: Corruption) -> FaultOutcome:
    """One epoch of shard reader ``kind`` over good, corrupt, good shards."""
    if kind not in SHARD_KINDS:
        raise InvalidValue(f"{kind} reads no shards; corrupt shards apply to {SHARD_KINDS}")
    with bad_shard_bucket(bench, how) as data:
        return run_epoch(data, bench.target_urls(), f"{how} shard between two good ones", kind,
                         workers, patient, lambda: None, inject_after=0, require_node=False,
                         suspects=[f"ais://{data.shards_bucket}/{corrupt_name(how)}"],
                         must_feel=False,
                         notes="the samples of the corrupt shard cannot be delivered")


# --- as the scenario names it (see kinds.py) -----------------------------------------------


class CorruptShardSettings(FaultSettings):
    corruptions: list[Corruption] = allowed(
        "a non-empty list of truncated, garbage", default_factory=lambda: list(CORRUPTIONS),
        min_length=1)


def _corrupt_steps(settings: CorruptShardSettings, site: BenchSite) -> Iterator[Step]:
    """Once per corruption, shard dataset and worker count."""
    for how in settings.corruptions:
        for kind in (k for k in site.datasets if k in SHARD_KINDS):
            for workers in site.num_workers:
                yield Step(f"{how} shard {kind} w{workers}",
                           partial(corrupt_shard, site.bench, kind, workers, how))


CORRUPT_SHARD = BenchFault("corrupt_shard", CorruptShardSettings, "{corruptions}",
                           _corrupt_steps)
