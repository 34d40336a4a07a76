"""Partitioning items over distributed ranks x DataLoader workers."""

from collections import Counter

import pytest

from aisref.pytorch.partition import (
    PartitionError,
    ReaderSlot,
    rank_and_world_size,
    slot_items,
    slot_stream,
)


def all_slots(world_size: int, num_workers: int) -> list[ReaderSlot]:
    return [
        ReaderSlot(rank, world_size, worker, num_workers)
        for rank in range(world_size)
        for worker in range(num_workers)
    ]


@pytest.mark.parametrize("n_items", [0, 1, 7, 60, 61])
@pytest.mark.parametrize(("world_size", "num_workers"), [(1, 1), (1, 4), (2, 1), (2, 3), (3, 4)])
def test_every_item_is_read_exactly_once_over_all_slots(n_items, world_size, num_workers):
    items = list(range(n_items))
    read = Counter(
        item for slot in all_slots(world_size, num_workers) for item in slot_items(items, slot)
    )
    assert read == Counter(items)


@pytest.mark.parametrize(("world_size", "num_workers"), [(1, 4), (2, 3), (4, 4)])
def test_slot_sizes_differ_by_at_most_one(world_size, num_workers):
    items = list(range(61))
    sizes = [len(slot_items(items, slot)) for slot in all_slots(world_size, num_workers)]
    assert max(sizes) - min(sizes) <= 1


def test_slot_numbers_cover_ranks_times_workers_without_gaps():
    slots = all_slots(world_size=3, num_workers=4)
    assert sorted(slot.index for slot in slots) == list(range(12))
    assert {slot.count for slot in slots} == {12}


def test_stream_split_matches_sequence_split():
    slot = ReaderSlot(rank=1, world_size=2, worker_id=1, num_workers=2)
    items = list(range(23))
    assert list(slot_stream(iter(items), slot)) == list(slot_items(items, slot))


def test_single_reader_reads_everything_in_order():
    assert list(slot_items(list("abc"), ReaderSlot())) == ["a", "b", "c"]


def test_rank_outside_world_is_rejected_naming_the_variables():
    with pytest.raises(PartitionError, match="RANK and WORLD_SIZE"):
        ReaderSlot(rank=2, world_size=2)


def test_worker_outside_pool_is_rejected():
    with pytest.raises(PartitionError, match="worker_id 4"):
        ReaderSlot(worker_id=4, num_workers=4)


def test_rank_and_world_size_come_from_the_environment_when_not_distributed():
    assert rank_and_world_size({"RANK": "1", "WORLD_SIZE": "4"}) == (1, 4)


def test_rank_and_world_size_default_to_a_single_process():
    assert rank_and_world_size({}) == (0, 1)


def test_non_integer_rank_is_rejected_naming_the_value():
    with pytest.raises(PartitionError, match="'one'"):
        rank_and_world_size({"RANK": "one", "WORLD_SIZE": "2"})
