"""Build `Case` values for tests without a scenario file."""

from __future__ import annotations

from aisbench.scenario.dataset import DatasetSpec, SizeRange
from aisbench.scenario.model import (
    AcceleratorSettings,
    Case,
    CaseSettings,
    ClusterSpec,
    EtlSpec,
    LoaderSettings,
    RunSettings,
    Transform,
)

TINY_OBJECTS = DatasetSpec(kind="objects", count=8, object_size=SizeRange(1024, 1024))
TINY_SHARDS = DatasetSpec(kind="shards", count=4, samples_per_shard=8,
                          members=(("jpg", 1024), ("cls", 8)))


def make_case(strategy: str = "aisref-map", *, dataset: DatasetSpec = TINY_OBJECTS,
              num_workers: int = 0, batch_size: int = 4, etl: EtlSpec | None = None,
              transform: Transform = "none", compute_ms_per_batch: float = 0.0,
              run: RunSettings | None = None, scenario: str = "test", ranks: int = 1,
              get_batch_size: int | None = None) -> Case:
    """One case; by default a single epoch with no warmup and one repeat."""
    settings = CaseSettings(
        cluster=ClusterSpec(backend="external"),
        dataset=dataset,
        strategy=strategy,
        loader=LoaderSettings(num_workers=num_workers, batch_size=batch_size, ranks=ranks,
                              get_batch_size=get_batch_size),
        etl=etl,
        transform=transform,
        accelerator=AcceleratorSettings(compute_ms_per_batch=compute_ms_per_batch),
        run=run or RunSettings(duration_s=None, epochs=1, warmup_s=0.0, repeats=1),
    )
    case_id = f"strategy={strategy},num_workers={num_workers}"
    return Case(scenario=scenario, case_id=case_id,
                params={"strategy": strategy, "num_workers": num_workers}, settings=settings)
