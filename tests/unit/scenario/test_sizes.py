import pytest

from aisbench.scenario.sizes import format_size, parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100B", 100),
        ("16KiB", 16 * 1024),
        ("1MiB", 2**20),
        ("1GiB", 2**30),
        ("2MB", 2_000_000),
        ("2KB", 2000),
        ("8b", 8),
        ("16 KiB", 16 * 1024),
        ("1.5KiB", 1536),
        (4096, 4096),
    ],
)
def test_parse_size_reads_binary_decimal_and_plain_bytes(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "KiB", "16", "16QB", "1.5B", "-1KiB", "16KiB2"])
def test_parse_size_rejects_what_is_not_a_whole_size(text):
    with pytest.raises(ValueError):
        parse_size(text)


@pytest.mark.parametrize("value", [True, 1.5, None, [1]])
def test_parse_size_rejects_non_size_types(value):
    with pytest.raises(ValueError):
        parse_size(value)


@pytest.mark.parametrize(
    ("num_bytes", "text"),
    [(16384, "16KiB"), (2**20, "1MiB"), (2_000_000, "2MB"), (100, "100B"), (1536, "1536B")],
)
def test_format_size_picks_the_largest_exact_unit(num_bytes, text):
    assert format_size(num_bytes) == text


def test_format_size_round_trips_through_parse_size():
    for num_bytes in (1, 8, 1000, 1024, 65536, 3 * 2**30, 123_456_789):
        assert parse_size(format_size(num_bytes)) == num_bytes
