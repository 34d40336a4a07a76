"""Which loaders can run over ranks, and why the others skip."""

from pathlib import Path

from aisbench.strategies import STRATEGIES, StrategyContext, get_strategy
from aisbench.strategies.dataset_strategy import DatasetStrategy
from tests.case_values import make_case


def dataset_strategy(name: str) -> DatasetStrategy:
    strategy = STRATEGIES[name]
    assert isinstance(strategy, DatasetStrategy)
    return strategy


def context(case) -> StrategyContext:
    return StrategyContext(endpoint="http://127.0.0.1:1", bucket="b", prefix="p/",
                           dataset=case.dataset, aisloader=Path("/bin/true"))


def test_official_iterable_datasets_skip_over_ranks_saying_they_do_not_split():
    case = make_case(strategy="official-iter", ranks=2)
    reason = get_strategy("official-iter").skip_reason(case, context(case))
    assert reason is not None and "do not split by torch.distributed rank" in reason


def test_a_batch_sampler_of_its_own_skips_over_ranks():
    case = make_case(strategy="aisref-map-dynamic", ranks=2)
    strategy = dataset_strategy("aisref-map-dynamic")
    assert "does not split them by rank" in (strategy.ranks_refusal(case) or "")


def test_map_and_splitting_iterable_datasets_run_over_ranks():
    for name in ("aisref-map", "aisref-iter", "official-map", "requests-get"):
        case = make_case(strategy=name, ranks=2)
        assert dataset_strategy(name).ranks_refusal(case) is None, name


def test_one_rank_refuses_nothing_it_did_not_refuse_before():
    case = make_case(strategy="official-iter", ranks=1)
    assert dataset_strategy("official-iter").ranks_refusal(case) is None


def test_aisloader_does_not_take_ranks():
    case = make_case(strategy="aisloader", ranks=2)
    reason = get_strategy("aisloader").skip_reason(case, context(case))
    assert reason is not None and "loader.ranks does not apply" in reason
