"""Splitting samples over distributed ranks, then DataLoader workers; reading the rank."""

from collections import Counter
from types import SimpleNamespace

import pytest
import torch.distributed

from aisref.pytorch import partition as partition_module
from aisref.pytorch.partition import (
    PartitionError,
    RankSplit,
    ReaderSlot,
    rank_and_world_size,
    rank_share,
    reader_ranges,
    slot_stream,
    take,
    worker_piece,
    wrapped_ranges,
)


def rank_positions(n_items: int, world_size: int, drop_last: bool = False) -> list[list[int]]:
    """Each rank's positions (one reader per rank)."""
    slots = [ReaderSlot(rank, world_size) for rank in range(world_size)]
    return [[i for span in reader_ranges(n_items, slot, drop_last) for i in span] for slot in slots]


def all_slots(world_size: int, num_workers: int) -> list[ReaderSlot]:
    return [
        ReaderSlot(rank, world_size, worker, num_workers)
        for rank in range(world_size)
        for worker in range(num_workers)
    ]


def positions_read(n_items: int, world_size: int, num_workers: int, drop_last: bool) -> Counter:
    return Counter(
        i
        for slot in all_slots(world_size, num_workers)
        for span in reader_ranges(n_items, slot, drop_last)
        for i in span
    )


# -- equal counts: padding and dropping ------------------------------------------------------


def test_six_items_on_four_ranks_pad_to_two_each_by_repeating_the_first():
    assert rank_positions(6, 4) == [[0, 1], [2, 3], [4, 5], [0, 1]]


def test_six_items_on_four_ranks_with_drop_last_read_one_each_and_drop_the_tail():
    assert rank_positions(6, 4, drop_last=True) == [[0], [1], [2], [3]]


def test_seven_items_on_two_ranks_pad_with_the_first_item():
    assert rank_positions(7, 2) == [[0, 1, 2, 3], [4, 5, 6, 0]]


def test_fewer_items_than_ranks_repeat_them_all_round():
    assert rank_positions(1, 4) == [[0], [0], [0], [0]]
    assert rank_positions(2, 3) == [[0], [1], [0]]


def test_fewer_items_than_ranks_with_drop_last_read_nothing():
    assert rank_positions(3, 4, drop_last=True) == [[], [], [], []]


def test_an_empty_dataset_gives_every_reader_nothing():
    assert rank_positions(0, 3) == [[], [], []]


def test_rank_share_is_ceil_or_floor():
    assert [rank_share(n, 4) for n in (0, 1, 4, 5, 8)] == [0, 1, 1, 2, 2]
    assert [rank_share(n, 4, drop_last=True) for n in (0, 3, 4, 7, 8)] == [0, 0, 1, 1, 2]


@pytest.mark.parametrize("n_items", [0, 1, 5, 7, 60, 61])
@pytest.mark.parametrize(("world_size", "num_workers"), [(1, 1), (1, 4), (2, 1), (2, 3), (4, 2)])
def test_padding_reads_every_item_once_and_the_first_ones_once_more(
    n_items, world_size, num_workers
):
    padding = rank_share(n_items, world_size) * world_size - n_items
    want = Counter(range(n_items)) + Counter(i % n_items for i in range(padding))
    assert positions_read(n_items, world_size, num_workers, drop_last=False) == want


@pytest.mark.parametrize("n_items", [0, 1, 5, 7, 60, 61])
@pytest.mark.parametrize(("world_size", "num_workers"), [(1, 1), (1, 4), (2, 1), (2, 3), (4, 2)])
def test_drop_last_reads_each_kept_item_once_and_drops_fewer_than_world_size(
    n_items, world_size, num_workers
):
    kept = rank_share(n_items, world_size, drop_last=True) * world_size
    assert n_items - kept < world_size
    assert positions_read(n_items, world_size, num_workers, drop_last=True) == Counter(range(kept))


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("n_items", [6, 7, 30, 61])
def test_every_rank_has_the_same_worker_counts_so_the_same_batches(n_items, drop_last):
    counts = [  # 4 ranks x 3 workers
        [sum(map(len, reader_ranges(n_items, ReaderSlot(r, 4, w, 3), drop_last))) for w in range(3)]
        for r in range(4)
    ]
    assert all(rank_counts == counts[0] for rank_counts in counts)


def test_workers_cut_their_rank_share_into_contiguous_pieces_longest_first():
    assert [worker_piece(7, w, 3) for w in range(3)] == [range(0, 3), range(3, 5), range(5, 7)]
    assert [worker_piece(1, w, 3) for w in range(3)] == [range(0, 1), range(1, 1), range(1, 1)]


def test_a_worker_of_the_last_rank_reads_its_piece_wrapping_to_the_start():
    slot = ReaderSlot(rank=1, world_size=2, worker_id=1, num_workers=2)
    assert reader_ranges(7, slot) == (range(6, 7), range(0, 1))


def test_wrapped_ranges_split_at_the_end():
    assert wrapped_ranges(5, 4, 7) == (range(5, 7), range(0, 2))
    assert wrapped_ranges(9, 2, 7) == (range(2, 4),)
    assert wrapped_ranges(3, 0, 7) == ()


def test_take_returns_the_items_of_the_ranges_in_order():
    assert take(list("abcdefg"), (range(6, 7), range(0, 2))) == ["g", "a", "b"]


def test_stream_split_takes_every_slot_count_th_item():
    slot = ReaderSlot(rank=0, world_size=1, worker_id=1, num_workers=3)
    assert list(slot_stream(iter(range(10)), slot)) == [1, 4, 7]


def test_single_reader_reads_everything_in_order():
    assert take(list("abc"), reader_ranges(3, ReaderSlot())) == ["a", "b", "c"]


def test_rank_outside_world_is_rejected_naming_the_variables():
    with pytest.raises(PartitionError, match="RANK and WORLD_SIZE"):
        ReaderSlot(rank=2, world_size=2)


def test_worker_outside_pool_is_rejected():
    with pytest.raises(PartitionError, match="worker_id 4"):
        ReaderSlot(worker_id=4, num_workers=4)


# -- where the rank comes from ---------------------------------------------------------------


@pytest.fixture
def initialised_process_group(monkeypatch):
    """torch.distributed as rank 1 of 2 (faked: a real group needs two processes)."""
    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.distributed, "get_rank", lambda group=None: 1)
    monkeypatch.setattr(torch.distributed, "get_world_size", lambda group=None: 2)


@pytest.fixture
def in_worker(monkeypatch):
    """Calls made as DataLoader worker 0 of 1."""
    info = SimpleNamespace(id=0, num_workers=1)
    monkeypatch.setattr(partition_module, "get_worker_info", lambda: info)


@pytest.fixture
def no_rank_env(monkeypatch):
    for name in ("RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)


def test_rank_and_world_size_come_from_the_environment_when_not_distributed():
    assert rank_and_world_size({"RANK": "1", "WORLD_SIZE": "4"}) == (1, 4)


def test_rank_and_world_size_default_to_a_single_process():
    assert rank_and_world_size({}) == (0, 1)


def test_non_integer_rank_is_rejected_naming_the_value():
    with pytest.raises(PartitionError, match="'one'"):
        rank_and_world_size({"RANK": "one", "WORLD_SIZE": "2"})


def test_carried_ranks_win_over_the_environment():
    assert rank_and_world_size({"RANK": "0", "WORLD_SIZE": "1"}, carried=(3, 4)) == (3, 4)


def test_an_initialised_process_group_wins_over_carried_ranks(initialised_process_group):
    assert rank_and_world_size({}, carried=(3, 4)) == (1, 2)


def test_pickling_in_the_main_process_captures_the_process_group_rank(
    initialised_process_group,
):
    assert RankSplit().for_workers().main_ranks == (1, 2)


def test_a_worker_uses_the_carried_rank_when_it_has_no_process_group(no_rank_env, in_worker):
    assert RankSplit(main_ranks=(1, 2)).ranks() == (1, 2)


def test_the_main_process_ignores_a_carried_rank(no_rank_env):
    assert RankSplit(main_ranks=(1, 2)).ranks() == (0, 1)


def test_a_worker_passing_itself_on_keeps_what_it_carried(no_rank_env, in_worker):
    assert RankSplit(main_ranks=(1, 2)).for_workers().main_ranks == (1, 2)


def test_split_by_rank_off_reads_as_one_rank_whatever_the_rank(initialised_process_group):
    split = RankSplit(split_by_rank=False)
    assert split.ranks() == (0, 1)
    assert split.reader_slot() == ReaderSlot(0, 1)


def test_reader_slot_includes_the_dataloader_worker(no_rank_env, monkeypatch):
    monkeypatch.setattr(
        partition_module, "get_worker_info", lambda: SimpleNamespace(id=2, num_workers=3)
    )
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert RankSplit().reader_slot() == ReaderSlot(1, 2, worker_id=2, num_workers=3)
