"""The exactly-once check across ranks, from the names each rank received per epoch."""

from aisbench.runner.exactly_once import (
    NO_FULL_EPOCH,
    NO_NAMES,
    EpochNames,
    NameRecorder,
    batch_sample_names,
    check_exactly_once,
    equal_split_padding,
)


def epoch(*names: str, complete: bool = True, named: bool = True) -> EpochNames:
    return EpochNames(list(names), complete=complete, named=named)


def one_window(*epochs: EpochNames) -> list[list[EpochNames]]:
    return [list(epochs)]


def test_names_of_name_and_bytes_samples():
    payload = [["a", "b"], [b"1", b"2"]]  # default_collate of (name, bytes) samples
    assert batch_sample_names(payload, 2) == ["a", "b"]


def test_names_prefer_the_webdataset_key():
    payload = {"__url__": ["u", "u"], "__key__": ["k1", "k2"], "jpg": [b"", b""]}
    assert batch_sample_names(payload, 2) == ["k1", "k2"]


def test_a_batch_of_bytes_only_has_no_names():
    assert batch_sample_names([(b"x", b"y"), (b"z", b"w")], 2) is None


def test_padding_of_an_equal_split_is_r_times_ceil_minus_n():
    assert [equal_split_padding(10, r) for r in (1, 2, 3, 4, 11)] == [0, 0, 2, 2, 1]


def test_two_ranks_reading_disjoint_halves_hold():
    check = check_exactly_once([one_window(epoch("a", "b")), one_window(epoch("c", "d"))], 4)
    assert (check.epochs_checked, check.reads, check.duplicates, check.missing) == (1, 4, 0, 0)
    assert check.holds


def test_documented_padding_is_not_a_duplicate():
    # 5 samples over 2 ranks: 3 each, the last rank reads the first sample again.
    check = check_exactly_once([one_window(epoch("a", "b", "c")),
                                one_window(epoch("d", "e", "a"))], 5)
    assert (check.padding, check.duplicates, check.missing) == (1, 0, 0)
    assert check.holds


def test_every_rank_reading_everything_is_duplicates():
    # What an iterable dataset that ignores ranks does.
    check = check_exactly_once([one_window(epoch("a", "b", "c", "d")),
                                one_window(epoch("a", "b", "c", "d"))], 4)
    assert (check.reads, check.padding, check.duplicates, check.missing) == (8, 0, 4, 0)
    assert not check.holds


def test_padding_beyond_the_documented_count_is_duplicates():
    # 3 samples over 2 ranks allow 1 padding read; 3 extra reads leave 2 duplicates.
    check = check_exactly_once([one_window(epoch("a", "b", "c")),
                                one_window(epoch("a", "b", "c"))], 3)
    assert (check.padding, check.duplicates) == (1, 2)


def test_a_sample_no_rank_read_is_missing():
    check = check_exactly_once([one_window(epoch("a")), one_window(epoch("c"))], 3)
    assert (check.missing, check.duplicates) == (1, 0)


def test_an_epoch_cut_by_the_deadline_is_not_checked():
    check = check_exactly_once([one_window(epoch("a", "b"), epoch("a", complete=False)),
                                one_window(epoch("c", "d"), epoch("c", complete=False))], 4)
    assert (check.epochs_checked, check.reads) == (1, 4)


def test_epochs_of_every_window_are_checked_and_summed():
    rank0 = [[epoch("a")], [epoch("a"), epoch("a")]]
    rank1 = [[epoch("b")], [epoch("b"), epoch("a")]]
    check = check_exactly_once([rank0, rank1], 2)
    assert (check.epochs_checked, check.duplicates, check.missing) == (3, 1, 1)


def test_nothing_checked_says_why():
    unfinished = check_exactly_once([one_window(epoch("a", complete=False))] * 2, 2)
    assert (unfinished.checked, unfinished.note) == (False, NO_FULL_EPOCH)
    nameless = check_exactly_once([one_window(epoch(named=False))] * 2, 2)
    assert nameless.note == NO_NAMES


def test_recorder_marks_an_epoch_complete_only_when_the_loader_ends_it():
    batches = [(2, 0, [["a", "b"], [b"", b""]]), (1, 0, [["c"], [b""]])]
    recorder = NameRecorder(batches)
    recorder.new_window()
    assert list(recorder) == batches
    partial = iter(recorder)
    next(partial)
    del partial
    assert [(e.names, e.complete) for e in recorder.windows[0]] == [
        (["a", "b", "c"], True), (["a", "b"], False)]
