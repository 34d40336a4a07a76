"""AIS URLs keep object names verbatim: ``?``, ``#`` and ``%`` are part of the name."""

from __future__ import annotations

import pytest

from aisref.pytorch.datapipes import parse_ais_url


@pytest.mark.parametrize("name", ["what?.bin", "tag#1.bin", "100%.bin", "all ?#% of them.bin",
                                  "dir/ünïcødé 文件.bin"])
def test_ais_url_keeps_the_object_name_verbatim(name: str) -> None:
    assert parse_ais_url(f"ais://bucket/{name}") == ("ais", "bucket", name)


def test_ais_url_without_bucket_is_rejected() -> None:
    with pytest.raises(ValueError, match="not an AIS URL"):
        parse_ais_url("ais://")
