"""One rank's windows (with a fake loader): every window behind a barrier, names recorded per
epoch, and a failing rank still meeting every barrier so the others are not left waiting."""

from dataclasses import dataclass
from typing import Any

from aisbench.results import Measurement
from aisbench.runner.rank_process import RankOutcome, case_result, measure_rank
from aisbench.scenario import Case
from aisbench.scenario.model import RunSettings
from aisbench.strategies import StrategyContext
from tests.case_values import make_case

BATCHES = [(2, 20, [["a", "b"], [b"x" * 10] * 2]), (1, 10, [["c"], [b"x" * 10]])]


@dataclass(frozen=True)
class FakeStrategy:
    broken: bool = False
    name: str = "fake"
    description: str = ""
    dataset_kinds: frozenset[str] = frozenset({"objects"})
    ceiling: str = "aisloader"

    def skip_reason(self, case: Case, ctx: StrategyContext) -> str | None:
        return None

    def make_loader(self, case: Case, ctx: StrategyContext) -> Any:
        if self.broken:
            raise ConnectionError("listing ais://b refused")
        return BATCHES


def make_window() -> Measurement:
    return Measurement(duration_s=1.0, samples=3, bytes=30, batches=2)


def two_epoch_case() -> Case:
    return make_case(strategy="aisref-iter", ranks=2,
                     run=RunSettings(duration_s=None, epochs=1, warmup_s=0.0, repeats=2))


def context(case: Case) -> StrategyContext:
    return StrategyContext(endpoint="http://127.0.0.1:1", bucket="b", prefix="p/",
                           dataset=case.dataset)


def test_each_window_waits_at_a_barrier_and_records_its_epochs():
    case, barriers = two_epoch_case(), []
    outcome = RankOutcome(rank=1, node=0)
    measure_rank(case, context(case), FakeStrategy(), outcome, lambda: barriers.append(1))
    assert len(barriers) == 2
    assert [m.samples for m in outcome.repeats] == [3, 3]
    assert [[(e.names, e.complete) for e in w] for w in outcome.windows] == [
        [(["a", "b", "c"], True)]] * 2
    # Counting and naming, as a share of the window: measured, so above 0; no upper bound
    # here, as the fake's windows last well under a millisecond (a loaded machine made the
    # share 1.5 once) - the real share is reported per case.
    assert outcome.overhead > 0


def test_the_case_keeps_the_largest_harness_overhead_of_any_rank():
    case = two_epoch_case()
    outcomes = [RankOutcome(rank=0, node=0, overhead=0.01), RankOutcome(rank=1, node=0,
                                                                         overhead=0.03)]
    for outcome in outcomes:
        outcome.repeats = [make_window(), make_window()]
    result = case_result(case, "run", outcomes, nnodes=1, ceiling="aisloader")
    assert result.extra == {"harness_overhead": 0.03, "ceiling_strategy": "aisloader"}


def test_a_failing_rank_meets_every_barrier_and_says_why():
    case, barriers = two_epoch_case(), []
    outcome = RankOutcome(rank=1, node=0)
    measure_rank(case, context(case), FakeStrategy(broken=True), outcome,
                 lambda: barriers.append(1))
    assert len(barriers) == 2
    assert outcome.failure == "ConnectionError: listing ais://b refused"
    assert outcome.repeats == []


def test_the_case_fails_naming_the_rank_and_keeps_the_others_windows():
    case = two_epoch_case()
    good, bad = RankOutcome(rank=1, node=0), RankOutcome(rank=1, node=0)
    measure_rank(case, context(case), FakeStrategy(), good, lambda: None)
    good.rank = 0  # measured as rank 1: rank 0 would ask the (absent) cluster for its GETs
    measure_rank(case, context(case), FakeStrategy(broken=True), bad, lambda: None)
    result = case_result(case, "run", [bad, good], nnodes=1, ceiling="aisloader")
    assert (result.status, result.reason) == (
        "failed", "rank 1: ConnectionError: listing ais://b refused")
    assert result.distributed is not None
    assert [len(r.repeats) for r in result.distributed.ranks] == [2, 0]
