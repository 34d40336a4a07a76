"""Bucket lifecycle and paged listing against the real cluster."""

from __future__ import annotations

import uuid

import pytest
import requests

from aisref.client import BucketAlreadyExists, BucketNotFound, Client
from aisref.client.listing import decode_page
from tests.integration.client_fixtures import PopulatedBucket, client, populated_bucket

__all__ = ["client", "populated_bucket"]  # fixtures used below

pytestmark = pytest.mark.integration


def test_paged_listing_returns_exactly_what_was_put(populated_bucket: PopulatedBucket) -> None:
    entries = list(populated_bucket.bucket.list_objects_iter(page_size=7))
    listed = {e.name: e.size for e in entries}
    assert len(entries) == len(populated_bucket.contents)
    assert listed == {name: len(data) for name, data in populated_bucket.contents.items()}


def test_pages_hold_at_most_page_size_and_chain_by_token(populated_bucket: PopulatedBucket) -> None:
    pages = list(populated_bucket.bucket.list_pages(page_size=7))
    assert all(len(p.entries) <= 7 for p in pages)
    assert sum(len(p.entries) for p in pages) == len(populated_bucket.contents)
    assert len(pages) >= len(populated_bucket.contents) // 7
    assert pages[-1].continuation_token == ""


def test_listing_is_sorted_by_name(populated_bucket: PopulatedBucket) -> None:
    names = [e.name for e in populated_bucket.bucket.list_objects_iter(page_size=7)]
    assert names == sorted(names)


def test_prefix_limits_the_listing(populated_bucket: PopulatedBucket) -> None:
    listed = {o.name for o in populated_bucket.bucket.list_all_objects_iter(prefix="a/")}
    assert listed == {n for n in populated_bucket.contents if n.startswith("a/")}


def test_listed_objects_carry_their_size(populated_bucket: PopulatedBucket) -> None:
    sizes = {o.name: o.props_cached.size for o in populated_bucket.bucket.list_all_objects_iter()}
    assert sizes == {name: len(data) for name, data in populated_bucket.contents.items()}


def test_name_only_listing_has_no_sizes(populated_bucket: PopulatedBucket) -> None:
    entries = list(populated_bucket.bucket.list_objects_iter(prefix="b/", props="name"))
    assert entries
    assert all(e.size is None for e in entries)


def test_json_listing_matches_msgpack_listing(populated_bucket: PopulatedBucket) -> None:
    bucket = populated_bucket.bucket
    response = bucket.client.request(
        "GET",
        bucket.path,
        params=bucket.qparams,
        json={"action": "list", "value": {"props": "name,size", "prefix": "a/", "flags": "0"}},
    )
    assert response.headers["Content-Type"].startswith("application/json")
    json_page = decode_page(response.content, response.headers["Content-Type"])
    assert json_page.entries == bucket.list_objects(prefix="a/").entries


def test_listed_urls_fetch_the_objects(populated_bucket: PopulatedBucket) -> None:
    urls = list(populated_bucket.bucket.list_urls())
    assert len(urls) == len(populated_bucket.contents)
    by_name = {o.name: o.get_url() for o in populated_bucket.bucket.list_all_objects_iter()}
    for name in ("with space.bin", "what?.bin", "ünïcødé-文件.bin"):
        assert by_name[name] in urls
        assert requests.get(by_name[name], timeout=30).content == populated_bucket.contents[name]


def test_listed_urls_carry_the_etl_name(populated_bucket: PopulatedBucket) -> None:
    url = next(populated_bucket.bucket.list_urls(prefix="a/", etl_name="resize"))
    assert url.endswith("?provider=ais&etl_name=resize")


def test_listing_a_missing_bucket_raises_bucket_not_found(client: Client) -> None:
    with pytest.raises(BucketNotFound, match="does not exist"):
        client.bucket(f"client-test-missing-{uuid.uuid4().hex[:8]}").list_objects()


def test_bucket_lifecycle(client: Client) -> None:
    bucket = client.bucket(f"client-test-life-{uuid.uuid4().hex[:8]}")
    bucket.create()
    try:
        assert bucket.name in client.cluster().list_buckets()
        with pytest.raises(BucketAlreadyExists, match="already exists"):
            bucket.create()
        assert bucket.create(exist_ok=True) is bucket
    finally:
        bucket.delete()
    assert bucket.name not in client.cluster().list_buckets()
    with pytest.raises(BucketNotFound):
        bucket.delete()
    bucket.delete(missing_ok=True)
