"""judge(): what may be blamed, what must be in order, and when a fault proved nothing."""

from __future__ import annotations

from aisbench.faults.epoch_run import EpochObservation, judge
from aisbench.faults.judge import is_ordered_prefix
from aisbench.results import (
    COMPLETED,
    HARNESS_ERROR,
    NOT_EXERCISED,
    SKIPPED,
    TYPED_ERROR,
    VIOLATION,
    FaultOutcome,
)
from aisref.client import ClusterUnreachable

NODE = "http://127.0.0.1:21101"
OTHER_NODE = "http://127.0.0.1:21102"
IDS = {"ais://b/o1": ("o1",), "ais://b/o2": ("o2",), "ais://b/o3": ("o3",)}


def observed(seen: tuple[str, ...], error: BaseException | None = None,
             injected: bool = True) -> EpochObservation:
    return EpochObservation(seen, error, 1.0, injected)


def judged(observation: EpochObservation, **kwargs: object) -> FaultOutcome:
    return judge(observation, fault="f", dataset="d", num_workers=0, ids_by_label=IDS,
                 node_urls=[NODE], **kwargs)  # type: ignore[arg-type]


def unreachable(object_url: str, node: str = NODE) -> ClusterUnreachable:
    return ClusterUnreachable(f"GET {object_url} from {node.split('://')[1]}: refused")


def test_an_error_naming_an_undelivered_object_and_the_faulty_node_keeps_the_rule() -> None:
    outcome = judged(observed(("o1",), unreachable("ais://b/o2")), ordered=True)
    assert outcome.outcome == TYPED_ERROR
    assert (outcome.seen, outcome.missing) == (1, 2)


def test_an_error_blaming_an_object_already_delivered_explains_nothing() -> None:
    outcome = judged(observed(("o1", "o2"), unreachable("ais://b/o1")))
    assert outcome.outcome.startswith(VIOLATION)
    assert "does not name an object it failed to deliver" in outcome.outcome


def test_an_error_blaming_a_healthy_node_is_a_violation() -> None:
    outcome = judged(observed(("o1",), unreachable("ais://b/o2", OTHER_NODE)))
    assert "does not name the faulty node" in outcome.outcome


def test_a_sample_skipped_before_the_error_is_a_silent_gap_where_order_is_known() -> None:
    skipped_o1 = observed(("o2",), unreachable("ais://b/o3"))
    assert "silent gap" in judged(skipped_o1, ordered=True).outcome
    # Workers of an iterable dataset interleave their shares: no order to hold them to.
    assert judged(skipped_o1, ordered=False).outcome == TYPED_ERROR


def test_only_the_suspects_may_be_blamed_when_they_are_given() -> None:
    error = unreachable("ais://b/o3")
    assert judged(observed(("o1",), error), suspects=["ais://b/o2"]).outcome.startswith(
        VIOLATION)
    assert judged(observed(("o1",), error), suspects=["ais://b/o3"]).outcome == TYPED_ERROR


def test_a_clean_epoch_that_never_retried_did_not_feel_the_fault() -> None:
    outcome = judged(observed(("o1", "o2", "o3")), retries=0, must_feel=True)
    assert outcome.outcome.startswith(NOT_EXERCISED)
    assert outcome.failed and not outcome.violated


def test_a_clean_epoch_that_retried_completed_under_the_fault() -> None:
    assert judged(observed(("o3", "o1", "o2")), retries=2, must_feel=True).outcome == COMPLETED


def test_an_epoch_that_ended_before_the_injection_proves_nothing() -> None:
    outcome = judged(observed(("o1", "o2", "o3"), injected=False), retries=5, must_feel=True)
    assert outcome.outcome == f"{NOT_EXERCISED}: the epoch ended before the fault was injected"


def test_an_unobservable_retry_count_passes_with_a_note_saying_so() -> None:
    outcome = judged(observed(("o1", "o2", "o3")), retries=None, must_feel=True)
    assert outcome.outcome == COMPLETED
    assert "cannot be seen" in outcome.notes


def test_ordered_prefix() -> None:
    assert is_ordered_prefix(["a", "b", "c"], ["a", "b"])
    assert is_ordered_prefix(["a", "b", "c"], [])
    assert not is_ordered_prefix(["a", "b", "c"], ["a", "c"])
    assert not is_ordered_prefix(["a", "b", "c"], ["b", "a"])


def _outcome(text: str) -> FaultOutcome:
    return FaultOutcome(fault="f", dataset="d", num_workers=0, outcome=text, expected=1,
                        seen=1, duplicates=0, missing=0, duration_s=0.1)


def test_failure_kinds_are_never_passes_and_skips_are_neither() -> None:
    for text in (f"{VIOLATION}: x", f"{NOT_EXERCISED}: y", f"{HARNESS_ERROR}: z"):
        assert _outcome(text).failed
    assert _outcome(f"{VIOLATION}: x").violated
    assert _outcome(f"{HARNESS_ERROR}: z").harness_error
    assert not _outcome(f"{HARNESS_ERROR}: z").violated
    assert not _outcome(SKIPPED).failed
    assert not _outcome(COMPLETED).failed
    assert _outcome("something nobody defined").violated  # an unknown outcome is no pass
