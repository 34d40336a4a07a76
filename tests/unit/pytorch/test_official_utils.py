"""aisref.pytorch.utils gives what the official aistore.pytorch.utils gives."""

from __future__ import annotations

import pytest
from aistore.pytorch import utils as official

from aisref.pytorch import utils as ours

NAMES = ["a.jpg", "dir/sample.0.jpg", "noext", "dir.d/x", ".hidden", "a/b/c.tar.gz", ""]


@pytest.mark.parametrize("name", NAMES)
def test_basename_and_extension_are_the_officials(name):
    assert ours.get_basename(name) == official.get_basename(name)
    assert ours.get_extension(name) == official.get_extension(name)


@pytest.mark.parametrize("value", [0, 1, 999_999, 1_000_000, 1_500_001, 123_456_789])
def test_byte_conversions_are_the_officials(value):
    assert ours.convert_bytes_to_mb(value) == official.convert_bytes_to_mb(value)
    assert ours.convert_mb_to_bytes(value / 7) == official.convert_mb_to_bytes(value / 7)


@pytest.mark.parametrize(("provider", "bucket", "name"),
                         [("ais", "b", "x/y.jpg"), ("gcp", "b", ""), ("ais", "b", "/lead")])
def test_unparse_url_is_the_officials(provider, bucket, name):
    assert ours.unparse_url(provider, bucket, name) == official.unparse_url(provider, bucket, name)


@pytest.mark.parametrize("url", ["ais://b/x/y.jpg", "ais://b", "gs://b/p/", "ais://b//x"])
def test_parse_url_is_the_officials_for_names_without_query_characters(url):
    assert ours.parse_url(url) == official.parse_url(url)
