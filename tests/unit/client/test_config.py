"""ArchiveConfig validation and the query parameters of archive and ETL reads."""

from __future__ import annotations

import pytest

from aisref.client import ArchiveConfig, ETLConfig


def test_archpath_selects_one_member() -> None:
    assert ArchiveConfig(archpath="a/b.jpg").query_params() == {"archpath": "a/b.jpg"}


def test_regex_with_mode_selects_matching_members() -> None:
    cfg = ArchiveConfig(regex=".jpg", mode="suffix")
    assert cfg.query_params() == {"archregx": ".jpg", "archmode": "suffix"}


def test_regex_requires_mode() -> None:
    with pytest.raises(ValueError, match="needs a mode"):
        ArchiveConfig(regex=".jpg")


def test_mode_requires_regex() -> None:
    with pytest.raises(ValueError, match="needs a regex"):
        ArchiveConfig(mode="suffix")


def test_regex_excludes_archpath() -> None:
    with pytest.raises(ValueError, match="not both"):
        ArchiveConfig(archpath="a", regex="b", mode="prefix")


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="not one of"):
        ArchiveConfig(regex="x", mode="glob")


def test_etl_string_args_pass_through() -> None:
    assert ETLConfig("resize", "256").query_params() == {"etl_name": "resize", "etl_args": "256"}


def test_etl_dict_args_become_compact_json() -> None:
    params = ETLConfig("resize", {"w": 256, "fmt": "jpeg"}).query_params()
    assert params["etl_args"] == '{"w":256,"fmt":"jpeg"}'


def test_etl_needs_a_name() -> None:
    with pytest.raises(ValueError, match="name"):
        ETLConfig("")
