"""The rule a dataset must keep under a fault (tally, verdict, what an error names), as pure
functions; and a verdict's JSON values."""

from __future__ import annotations

import json

from aisbench.faults.judge import first_line, names_object_and_node, tally, verdict
from aisbench.results import (
    COMPLETED,
    TYPED_ERROR,
    VIOLATION,
    FaultOutcome,
    outcome_from_dict,
    outcome_to_dict,
)
from aisref.client import ClusterUnreachable

EXPECTED = ["a", "b", "c", "d"]


def test_tally_of_a_complete_epoch_is_exactly_once() -> None:
    counts = tally(EXPECTED, ["d", "c", "b", "a"])
    assert counts.exactly_once
    assert (counts.seen, counts.unique, counts.missing) == (4, 4, 0)


def test_tally_counts_duplicates_gaps_and_foreign_samples() -> None:
    counts = tally(EXPECTED, ["a", "a", "a", "b", "CORRUPT:c"])
    assert (counts.duplicates, counts.missing, counts.unexpected) == (2, 2, 1)
    assert not counts.exactly_once
    assert not counts.clean_prefix


def test_complete_epoch_without_error_is_completed() -> None:
    assert verdict(tally(EXPECTED, EXPECTED), None, False, None, None) == COMPLETED


def test_silent_gap_is_a_violation() -> None:
    result = verdict(tally(EXPECTED, ["a", "b"]), None, False, None, None)
    assert result.startswith(VIOLATION)
    assert "2 missing" in result


def test_typed_error_naming_object_and_node_after_a_clean_prefix_is_allowed() -> None:
    error = ClusterUnreachable("x")
    assert verdict(tally(EXPECTED, ["a"]), error, True, "ais://b/c", "http://h:1") == TYPED_ERROR


def test_error_that_does_not_name_the_node_is_a_violation() -> None:
    result = verdict(tally(EXPECTED, ["a"]), ClusterUnreachable("x"), True, "ais://b/c", None)
    assert result == f"{VIOLATION}: error does not name the faulty node"


def test_untyped_error_is_a_violation() -> None:
    result = verdict(tally(EXPECTED, []), RuntimeError("x"), False, "o", "n")
    assert result == f"{VIOLATION}: untyped error RuntimeError"


def test_duplicate_before_an_error_is_a_violation() -> None:
    result = verdict(tally(EXPECTED, ["a", "a"]), ClusterUnreachable("x"), True, "o", "n")
    assert "1 duplicates" in result


def test_object_is_named_only_by_its_whole_name() -> None:
    message = "reading ais://b/obj-0010 from node http://127.0.0.1:51102 failed"
    obj, node = names_object_and_node(
        message, ["ais://b/obj-001", "ais://b/obj-0010"],
        ["http://127.0.0.1:5110", "http://127.0.0.1:51102"],
    )
    assert obj == "ais://b/obj-0010"
    assert node == "http://127.0.0.1:51102"


def test_first_line_keeps_the_original_message_of_a_worker_traceback() -> None:
    wrapped = ClusterUnreachable(
        "Caught ClusterUnreachable in DataLoader worker process 0.\nTraceback:\n  File x\n"
        "aisref.client.errors.ClusterUnreachable: reading ais://b/o: cannot reach node"
    )
    assert first_line(wrapped) == "reading ais://b/o: cannot reach node"


def test_an_outcome_round_trips_through_its_json_values() -> None:
    outcome = FaultOutcome(fault="target SIGKILL", dataset="AISMapDataset", num_workers=2,
                           outcome=COMPLETED, expected=4, seen=4, duplicates=0, missing=0,
                           duration_s=1.5, retries=None, step=7)
    assert outcome.case_id == "007-target-sigkill-aismapdataset-w2"
    assert outcome_from_dict(json.loads(json.dumps(outcome_to_dict(outcome)))) == outcome
