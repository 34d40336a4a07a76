"""The strategy table: unique names, helpful errors, ETL cases skipped with a reason."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import aisbench.strategies
from aisbench.scenario.model import EtlSpec
from aisbench.strategies.aisloader import Aisloader
from aisbench.strategies.base import LoaderStrategy, StrategyContext, ToolStrategy, etl_skip_reason
from aisbench.strategies.dataset_strategy import DatasetStrategy
from aisbench.strategies.registry import STRATEGIES, get_strategy
from tests.case_values import TINY_OBJECTS, make_case

NO_ETL = "this cluster has no ETL support (HTTP 404: not found); AIStore's ETL needs Kubernetes"


def context(etl_unavailable_reason: str | None = NO_ETL) -> StrategyContext:
    return StrategyContext(endpoint="http://127.0.0.1:1", bucket="b", prefix="obj-",
                           dataset=TINY_OBJECTS, etl_unavailable_reason=etl_unavailable_reason,
                           aisloader=Path("/nonexistent/aisloader"))


def defined_strategies() -> list[object]:
    """Every strategy defined in aisbench.strategies.*: DatasetStrategy values and strategy
    classes (instantiated)."""
    found: dict[int, object] = {}  # by identity: registry.py imports the same values again
    for module_info in pkgutil.iter_modules(aisbench.strategies.__path__):
        module = importlib.import_module(f"aisbench.strategies.{module_info.name}")
        for _, value in inspect.getmembers(module):
            if isinstance(value, DatasetStrategy | Aisloader):
                found[id(value)] = value
            elif (inspect.isclass(value) and value.__module__ == module.__name__
                  and value not in (DatasetStrategy, Aisloader)
                  and isinstance(getattr(value, "name", None), str)
                  and hasattr(value, "dataset_kinds")):
                found[id(value)] = value()
    return list(found.values())


def test_every_defined_strategy_is_registered_under_its_own_unique_name() -> None:
    names = [strategy.name for strategy in defined_strategies()]  # type: ignore[attr-defined]
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(STRATEGIES)


def test_every_registered_strategy_is_found_under_its_own_name() -> None:
    assert all(get_strategy(name).name == name for name in STRATEGIES)


def test_every_strategy_is_a_loader_or_a_tool() -> None:
    for strategy in STRATEGIES.values():
        assert isinstance(strategy, LoaderStrategy | ToolStrategy), strategy.name


def test_every_strategy_reads_objects_or_shards() -> None:
    for strategy in STRATEGIES.values():
        assert strategy.dataset_kinds and strategy.dataset_kinds <= {"objects", "shards"}


def test_get_strategy_of_an_unknown_name_lists_the_allowed_names() -> None:
    with pytest.raises(KeyError) as raised:
        get_strategy("aisref-mapp")
    message = str(raised.value)
    assert "'aisref-mapp'" in message
    assert all(name in message for name in STRATEGIES)


def test_etl_skip_reason_names_the_etl_and_why_the_cluster_cannot_run_it() -> None:
    reason = etl_skip_reason(make_case(etl=EtlSpec("resize-etl")), context())
    assert reason is not None
    assert "'resize-etl'" in reason and "Kubernetes" in reason


def test_etl_skip_reason_is_none_without_an_etl() -> None:
    assert etl_skip_reason(make_case(), context()) is None


def test_etl_skip_reason_is_none_where_the_cluster_runs_etl() -> None:
    assert etl_skip_reason(make_case(etl=EtlSpec("resize-etl")), context(None)) is None


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_skips_an_etl_case_on_a_cluster_without_etl(name: str) -> None:
    case = make_case(name, etl=EtlSpec("resize-etl"))
    assert get_strategy(name).skip_reason(case, context())


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_names_a_registered_aisloader_ceiling(name: str) -> None:
    ceiling = get_strategy(name).ceiling
    assert isinstance(get_strategy(ceiling), ToolStrategy)
    assert get_strategy(name).dataset_kinds <= get_strategy(ceiling).dataset_kinds


@pytest.mark.parametrize("name", ["aisref-batch-iter", "aisref-parallel-map",
                                  "aisref-map-dynamic"])
def test_aisref_fast_strategies_skip_while_aisref_lacks_their_class(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import aisref.pytorch
    for missing in ("AISBatchIterDataset", "AISParallelMapDataset", "DynamicBatchSampler"):
        monkeypatch.delattr(aisref.pytorch, missing, raising=False)
    reason = get_strategy(name).skip_reason(make_case(name), context(None))
    assert reason is not None and reason.startswith("aisref has no ") and "(#12)" in reason


def test_aisref_fast_strategy_runs_once_aisref_has_its_class(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import aisref.pytorch
    monkeypatch.setattr(aisref.pytorch, "AISBatchIterDataset", object, raising=False)
    assert get_strategy("aisref-batch-iter").skip_reason(make_case(), context(None)) is None


@pytest.mark.parametrize(("name", "cls"), [("aisref-map-tensors", "AISMapDataset"),
                                           ("aisref-iter-tensors", "AISIterDataset")])
def test_tensor_strategies_skip_on_an_aisref_without_tensor_payloads(
        name: str, cls: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import aisref.pytorch

    class WithoutTheOption:  # an older aisref (e.g. an A/B base)
        def __init__(self, ais_source_list: object, prefix_map: object = None) -> None: ...

    assert get_strategy(name).skip_reason(make_case(name), context(None)) is None
    monkeypatch.setattr(aisref.pytorch, cls, WithoutTheOption)
    reason = get_strategy(name).skip_reason(make_case(name), context(None))
    assert reason == f"aisref's {cls} has no tensor_payloads option in this version"
