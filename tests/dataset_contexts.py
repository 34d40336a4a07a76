"""Datasets of a test module's own, made on the session cluster and deleted after it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from aisbench.datagen.generate import ensure_dataset
from aisbench.runner.run import strategy_context
from aisbench.scenario.dataset import DatasetSpec
from aisbench.strategies.base import StrategyContext
from aisref.client import Client


def dataset_contexts(endpoint: str, ais_home: Path,
                     specs: Mapping[str, DatasetSpec]) -> Iterator[dict[str, StrategyContext]]:
    """For a module fixture (``yield from``): each spec's dataset made, its strategy context
    by the same key, and its bucket deleted when the fixture ends."""
    for spec in specs.values():
        ensure_dataset(endpoint, spec, parallel=4, progress=False)
    yield {kind: strategy_context(endpoint, spec, ais_home) for kind, spec in specs.items()}
    for spec in specs.values():
        Client(endpoint).bucket(spec.bucket_name).delete(missing_ok=True)
