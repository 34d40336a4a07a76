"""Progress bars: items pass through unchanged; each reader's bar names its worker."""

from aisref.pytorch.partition import ReaderSlot
from aisref.pytorch.progress import progress_label, with_progress


def test_items_pass_through_unchanged_with_the_bar_on():
    items = with_progress(range(5), "T", ReaderSlot(), enabled=True, total=5)
    assert list(items) == [0, 1, 2, 3, 4]


def test_items_pass_through_unchanged_with_the_bar_off():
    assert list(with_progress(iter("ab"), "T", ReaderSlot(), enabled=False)) == ["a", "b"]


def test_label_names_the_worker_when_there_are_several():
    slot = ReaderSlot(worker_id=2, num_workers=4)
    assert progress_label("AISIterDataset", slot) == "AISIterDataset (worker 2)"


def test_label_names_rank_and_worker_under_distributed_training():
    slot = ReaderSlot(rank=1, world_size=2, worker_id=0, num_workers=2)
    assert progress_label("AISShardReader", slot) == "AISShardReader (rank 1, worker 0)"


def test_label_is_the_title_alone_for_a_single_reader():
    assert progress_label("AISIterDataset", ReaderSlot()) == "AISIterDataset"
