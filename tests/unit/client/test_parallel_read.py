"""Range-parallel reads: how an object is split, the buffer's life, and the options refused."""

from __future__ import annotations

from itertools import pairwise

import pytest

from aisref.client import ArchiveConfig, Client, ETLConfig, ParallelBuffer
from aisref.client.parallel_read import split_ranges


def anonymous_shared_mappings() -> int:
    """Mappings of this process made by ``mmap(-1, n)`` (shown as ``/dev/zero (deleted)``)."""
    with open("/proc/self/maps") as maps:
        return sum("/dev/zero (deleted)" in line for line in maps)


def test_ranges_cover_the_object_once_in_order() -> None:
    assert split_ranges(10, 4) == [(0, 3), (4, 7), (8, 9)]
    assert split_ranges(8, 4) == [(0, 3), (4, 7)]
    assert split_ranges(0, 4) == []
    ranges = split_ranges(1_000_003, 65_536)
    covered = [b for first, last in ranges for b in (first, last)]
    assert covered == sorted(covered) and ranges[0][0] == 0 and ranges[-1][1] == 1_000_002
    assert all(b[0] == a[1] + 1 for a, b in pairwise(ranges))


def test_buffer_is_unmapped_on_close_and_on_leaving_with() -> None:
    before = anonymous_shared_mappings()
    buffer = ParallelBuffer(3 << 20)
    assert anonymous_shared_mappings() == before + 1
    buffer.buf[:3] = b"abc"
    assert buffer.tobytes()[:3] == b"abc" and len(buffer) == 3 << 20
    buffer.close()
    buffer.close()  # a second close does nothing
    assert anonymous_shared_mappings() == before
    with pytest.raises(ValueError, match="closed"):
        buffer.tobytes()
    with ParallelBuffer(1 << 20):
        assert anonymous_shared_mappings() == before + 1
    assert anonymous_shared_mappings() == before


def test_empty_buffer_holds_no_bytes() -> None:
    with ParallelBuffer(0) as buffer:
        assert buffer.tobytes() == b"" and len(buffer) == 0


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"num_workers": 1}, "at least 2"),
        ({"num_workers": 4, "byte_range": (0, 9)}, "byte_range"),
        ({"num_workers": 4, "archive_config": ArchiveConfig(archpath="a.txt")}, "archive_config"),
        ({"num_workers": 4, "etl": ETLConfig("up")}, "etl"),
    ],
)
def test_options_a_parallel_read_cannot_honour_are_refused(
    options: dict[str, object], named: str
) -> None:
    obj = Client("http://127.0.0.1:1").bucket("b").object("o")
    with pytest.raises(ValueError, match=named):
        obj.get_reader(**options)  # type: ignore[call-overload]
