"""Client-side expansion of AIStore's brace templates and object ranges."""

from __future__ import annotations

import pytest

from aisref.client import ObjectRange, expand_template


def test_range_is_inclusive_and_padded_to_first_number_width() -> None:
    names = expand_template("obj-{0000..0099}.bin")
    assert len(names) == 100
    assert names[0] == "obj-0000.bin"
    assert names[-1] == "obj-0099.bin"


def test_range_with_step() -> None:
    assert expand_template("s{0..10..5}") == ["s0", "s5", "s10"]


def test_unpadded_range_grows_digits() -> None:
    assert expand_template("{8..11}") == ["8", "9", "10", "11"]


def test_several_ranges_vary_rightmost_fastest() -> None:
    assert expand_template("a{1..2}/b{0..1}") == ["a1/b0", "a1/b1", "a2/b0", "a2/b1"]


def test_template_without_range_is_rejected() -> None:
    with pytest.raises(ValueError, match="no range"):
        expand_template("plain-name")


def test_descending_range_is_rejected() -> None:
    with pytest.raises(ValueError, match="count up"):
        expand_template("x{9..1}")


def test_comma_alternatives_are_rejected() -> None:
    with pytest.raises(ValueError, match="only numeric ranges"):
        expand_template("x{a,b}{1..2}")


def test_object_range_names_match_its_template() -> None:
    rng = ObjectRange("img-", 1, 12, pad_width=3, step=4, suffix=".jpg")
    assert list(rng) == ["img-001.jpg", "img-005.jpg", "img-009.jpg"]
    assert expand_template(rng.template) == list(rng)


def test_object_range_rejects_reversed_bounds() -> None:
    with pytest.raises(ValueError, match="min_index <= max_index"):
        ObjectRange("x", 5, 1)
