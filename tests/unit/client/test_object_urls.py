"""Object paths and URLs: names are URL-quoted so the server sees them exactly."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from aisref.client import Client, ETLConfig
from aisref.client.obj import object_path

BUCKET = Client("http://127.0.0.1:8080").bucket("bck")


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("plain.bin", "plain.bin"),
        ("with space", "with%20space"),
        ("100%", "100%25"),
        ("what?", "what%3F"),
        ("tag#1", "tag%231"),
        ("ünïcode", "%C3%BCn%C3%AFcode"),
        ("dir/sub/file", "dir/sub/file"),
    ],
)
def test_object_name_is_quoted_in_path(name: str, quoted: str) -> None:
    assert object_path("bck", name) == f"objects/bck/{quoted}"
    assert unquote(quoted) == name


def test_get_url_is_full_http_url_with_provider() -> None:
    assert (
        BUCKET.object("a b").get_url() == "http://127.0.0.1:8080/v1/objects/bck/a%20b?provider=ais"
    )


def test_get_url_carries_archpath_and_etl() -> None:
    url = BUCKET.object("s.tar").get_url(archpath="x/y.jpg", etl=ETLConfig("resize", "64"))
    assert url == (
        "http://127.0.0.1:8080/v1/objects/bck/s.tar"
        "?provider=ais&archpath=x%2Fy.jpg&etl_name=resize&etl_args=64"
    )


def test_uname_names_provider_bucket_and_object() -> None:
    assert BUCKET.object("d/o.bin").uname == "ais://bck/d/o.bin"


def test_bucket_name_with_slash_is_rejected() -> None:
    with pytest.raises(ValueError, match="no '/'"):
        Client("http://127.0.0.1:8080").bucket("a/b")
