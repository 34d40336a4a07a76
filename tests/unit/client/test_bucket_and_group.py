"""Bucket listing/paging and ObjectGroup enumeration over a scripted server."""

from __future__ import annotations

import json
import pickle

import msgpack
import pytest

from aisref.client import (
    AISSource,
    Bucket,
    BucketAlreadyExists,
    DataShard,
    ObjectNotFound,
    ObjectRange,
)
from tests.unit.client.fake_ais import FakeAIS, Reply, fast_client

EXISTS = b'{"tcode":"ErrBucketAlreadyExists","message":"bucket \\"ais://b\\" already exists"}'
MISSING = b'{"tcode":"ErrBckNotFound","message":"bucket \\"ais://b\\" does not exist"}'


def page(names: list[str], token: str) -> Reply:
    body = msgpack.packb(
        {"UUID": "u", "ContinuationToken": token, "Entries": [{"n": n, "s": len(n)} for n in names]}
    )
    return Reply(200, body, headers={"Content-Type": "application/msgpack"})


def bucket_at(url: str) -> Bucket:
    return Bucket(fast_client(url, retries=0), "b")


def test_listing_follows_continuation_tokens_until_empty(fake_ais: FakeAIS) -> None:
    fake_ais.script(page(["a", "bb"], "bb"), page(["ccc"], ""))
    objects = list(bucket_at(fake_ais.url).list_all_objects_iter())
    assert [(o.name, o.props_cached.size) for o in objects] == [("a", 1), ("bb", 2), ("ccc", 3)]
    second = json.loads(fake_ais.seen[1].body)["value"]
    assert (second["continuation_token"], second["uuid"]) == ("bb", "u")


def test_listing_asks_for_msgpack_and_sends_flags_as_string(fake_ais: FakeAIS) -> None:
    fake_ais.script(page([], ""))
    bucket_at(fake_ais.url).list_objects(prefix="p/", page_size=7, flags=8)
    sent = fake_ais.seen[0]
    assert sent.headers["Accept"] == "application/msgpack"
    assert json.loads(sent.body) == {
        "action": "list",
        "value": {
            "prefix": "p/",
            "pagesize": 7,
            "uuid": "",
            "props": "name,size",
            "continuation_token": "",
            "flags": "8",
        },
    }


def test_listing_falls_back_to_json_reply(fake_ais: FakeAIS) -> None:
    body = b'{"uuid":"","continuation_token":"","entries":[{"name":"x","size":"5"}],"flags":0}'
    fake_ais.script(Reply(200, body, headers={"Content-Type": "application/json"}))
    assert [(e.name, e.size) for e in bucket_at(fake_ais.url).list_objects_iter()] == [("x", 5)]


def test_list_archive_keeps_members_without_shard_prefix(fake_ais: FakeAIS) -> None:
    body = msgpack.packb(
        {
            "Entries": [
                {"n": "s.tar", "f": 576},
                {"n": "s.tar/a.jpg", "f": 192},
                {"n": "s.tar/d/b.cls", "f": 192},
                {"n": "s.tar.bak", "f": 64},
            ]
        }
    )
    fake_ais.script(Reply(200, body, headers={"Content-Type": "application/msgpack"}))
    assert bucket_at(fake_ais.url).list_archive("s.tar") == ["a.jpg", "d/b.cls"]


def test_list_archive_of_missing_object_raises_object_not_found(fake_ais: FakeAIS) -> None:
    fake_ais.script(
        Reply(200, msgpack.packb({"Entries": []}), headers={"Content-Type": "application/msgpack"})
    )
    with pytest.raises(ObjectNotFound, match=r"ais://b/s\.tar"):
        bucket_at(fake_ais.url).list_archive("s.tar")


def test_create_with_exist_ok_accepts_existing_bucket(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(409, EXISTS))
    bucket = bucket_at(fake_ais.url)
    assert bucket.create(exist_ok=True) is bucket


def test_create_without_exist_ok_raises_for_existing_bucket(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(409, EXISTS))
    with pytest.raises(BucketAlreadyExists):
        bucket_at(fake_ais.url).create()


def test_delete_with_missing_ok_accepts_missing_bucket(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(404, MISSING))
    bucket_at(fake_ais.url).delete(missing_ok=True)
    assert json.loads(fake_ais.seen[0].body) == {"action": "destroy-bck"}


def test_bucket_and_group_are_ais_sources() -> None:
    bucket = bucket_at("http://127.0.0.1:1")
    assert isinstance(bucket, AISSource)
    assert isinstance(bucket.objects(obj_names=["a"]), AISSource)


def test_group_needs_exactly_one_selector() -> None:
    bucket = bucket_at("http://127.0.0.1:1")
    with pytest.raises(ValueError, match="exactly one"):
        bucket.objects()
    with pytest.raises(ValueError, match="exactly one"):
        bucket.objects(obj_names=["a"], obj_template="x{0..1}")


def test_group_from_template_lists_expanded_names() -> None:
    group = bucket_at("http://127.0.0.1:1").objects(obj_template="obj-{0000..0099}.bin")
    names = group.list_names()
    assert (len(names), names[0], names[-1]) == (100, "obj-0000.bin", "obj-0099.bin")


def test_group_from_range_lists_its_names() -> None:
    group = bucket_at("http://127.0.0.1:1").objects(obj_range=ObjectRange("r", 1, 3))
    assert group.list_names() == ["r1", "r2", "r3"]


def test_group_enumeration_sends_no_request(fake_ais: FakeAIS) -> None:
    group = bucket_at(fake_ais.url).objects(obj_names=["a/1", "a/2", "b/1"])
    objects = list(group.list_all_objects_iter(prefix="a/"))
    assert [o.name for o in objects] == ["a/1", "a/2"]
    assert fake_ais.seen == []


def test_group_heads_each_object_when_more_props_are_asked(fake_ais: FakeAIS) -> None:
    fake_ais.route = lambda seen: Reply(200, headers={"ais-size": "7", "ais-version": "2"})
    group = bucket_at(fake_ais.url).objects(obj_names=["a", "b"])
    objects = list(group.list_all_objects_iter(props="name,size,version"))
    assert [o.props_cached.version for o in objects] == ["2", "2"]
    assert [s.method for s in fake_ais.seen] == ["HEAD", "HEAD"]


def test_group_urls_are_full_http_urls_with_etl(fake_ais: FakeAIS) -> None:
    group = bucket_at("http://127.0.0.1:1").objects(obj_names=["x y"])
    assert list(group.list_urls(etl_name="e")) == [
        "http://127.0.0.1:1/v1/objects/b/x%20y?provider=ais&etl_name=e"
    ]


def test_swapping_the_bucket_client_reaches_its_objects() -> None:
    bucket = bucket_at("http://127.0.0.1:1")
    obj = bucket.object("o")
    other = fast_client("http://127.0.0.1:2")
    bucket.client = other
    assert obj.client is other


def test_bucket_pickles_with_its_client_settings() -> None:
    bucket = bucket_at("http://127.0.0.1:1")
    _ = bucket.client.session
    copy = pickle.loads(pickle.dumps(bucket))
    assert (copy.name, copy.provider, copy.client.endpoint) == ("b", "ais", "http://127.0.0.1:1")


def test_data_shard_pickles_and_builds_its_bucket() -> None:
    shard = DataShard("http://127.0.0.1:1", "b", prefix="train/")
    copy = pickle.loads(pickle.dumps(shard))
    assert copy == shard
    assert copy.bucket == Bucket(copy.client.request_client, "b", "ais")
    assert copy.client is shard.client  # one client per process and endpoint


def test_a_namespaced_bucket_sends_its_namespace_with_every_request(fake_ais: FakeAIS) -> None:
    fake_ais.script(page(["a"], ""), Reply(200, b"x"))
    bucket = Bucket(fast_client(fake_ais.url, retries=0), "b", namespace="@#team")
    assert [o.name for o in bucket.list_all_objects_iter()] == ["a"]
    assert bucket.object("a").get_reader().read_all() == b"x"
    assert all("namespace=%40%23team" in seen.path for seen in fake_ais.seen)
    assert bucket.uname == "ais://@#team/b"


def test_buckets_in_different_namespaces_are_different_buckets() -> None:
    client = fast_client("http://127.0.0.1:1")
    plain, team = Bucket(client, "b"), Bucket(client, "b", namespace="@#team")
    assert plain != team and len({plain, team, Bucket(client, "b")}) == 2


def test_a_namespace_not_in_aistore_form_is_rejected_saying_the_form() -> None:
    with pytest.raises(ValueError, match="'@<cluster uuid>#<name>'"):
        Bucket(fast_client("http://127.0.0.1:1"), "b", namespace="team")
