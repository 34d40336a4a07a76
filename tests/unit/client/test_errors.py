"""Error mapping from AIStore's real error bodies (captured from aisnode 5.0)."""

from __future__ import annotations

import json
import pickle
import tarfile

from aisref.client import (
    AISError,
    BucketAlreadyExists,
    BucketNotFound,
    ETLNotAvailable,
    ETLNotFound,
    ObjectNotFound,
    ShardFormatError,
)
from aisref.client.errors import error_from_reply, parse_error_body


def body(tcode: str, message: str, status: int) -> str:
    return json.dumps({"tcode": tcode, "message": message, "status": status, "node": "p[x]"})


MISSING_BUCKET = body("ErrBckNotFound", 'bucket "ais://nope" does not exist', 404)
MISSING_OBJECT = body("ErrNotFound", "t[target1]: ais://b/missing does not exist", 404)
BUCKET_EXISTS = body("ErrBucketAlreadyExists", 'bucket "ais://b" already exists', 409)
ETL_NOT_BUILT = body(
    "ErrUnsupp", "cannot use ETL in a build without ETL support - operation not supported", 501
)


def test_message_and_tcode_are_read_from_json_body() -> None:
    assert parse_error_body(MISSING_BUCKET) == (
        'bucket "ais://nope" does not exist',
        "ErrBckNotFound",
    )


def test_non_json_body_is_the_message() -> None:
    assert parse_error_body("plain failure\n") == ("plain failure", "")


def test_missing_bucket_on_object_path_is_bucket_not_found() -> None:
    err = error_from_reply(404, MISSING_BUCKET, "http://x/v1/objects/nope/o", path="objects/nope/o")
    assert isinstance(err, BucketNotFound)
    assert err.status == 404
    assert err.message == 'bucket "ais://nope" does not exist'


def test_missing_object_is_object_not_found() -> None:
    err = error_from_reply(404, MISSING_OBJECT, "u", path="objects/b/missing")
    assert isinstance(err, ObjectNotFound)
    assert "ais://b/missing" in str(err)


def test_missing_bucket_on_listing_is_bucket_not_found() -> None:
    assert isinstance(
        error_from_reply(404, MISSING_BUCKET, "u", path="buckets/nope"), BucketNotFound
    )


def test_head_error_is_read_from_hdr_error_header() -> None:
    err = error_from_reply(
        404, "", "u", path="objects/b/missing", headers={"Hdr-Error": MISSING_OBJECT}
    )
    assert isinstance(err, ObjectNotFound)
    assert "does not exist" in err.message


def test_existing_bucket_is_bucket_already_exists() -> None:
    assert isinstance(
        error_from_reply(409, BUCKET_EXISTS, "u", path="buckets/b"), BucketAlreadyExists
    )


def test_etl_in_build_without_etl_names_the_etl_and_kubernetes() -> None:
    err = error_from_reply(501, ETL_NOT_BUILT, "u", path="objects/b/o", etl_name="resize")
    assert isinstance(err, ETLNotAvailable)
    assert "'resize'" in err.message
    assert "no ETL support" in err.message
    assert "Kubernetes" in err.message


def test_etl_requiring_kubernetes_is_etl_not_available() -> None:
    msg = body("", "the operation requires Kubernetes", 400)
    assert isinstance(error_from_reply(400, msg, "u", path="etl", etl_name="x"), ETLNotAvailable)


def test_unknown_etl_is_etl_not_found() -> None:
    msg = body("", "etl job resize does not exist - try starting new ETL", 404)
    err = error_from_reply(404, msg, "u", path="objects/b/o", etl_name="resize")
    assert isinstance(err, ETLNotFound)
    assert "'resize'" in err.message


def test_missing_bucket_with_etl_is_still_bucket_not_found() -> None:
    err = error_from_reply(404, MISSING_BUCKET, "u", path="objects/nope/o", etl_name="resize")
    assert isinstance(err, BucketNotFound)


def test_unsupported_without_etl_is_plain_ais_error() -> None:
    msg = body("ErrUnsupp", "archpath with range - operation not supported", 501)
    err = error_from_reply(501, msg, "u", path="objects/b/o")
    assert type(err) is AISError
    assert err.status == 501


def test_empty_body_still_gives_a_message() -> None:
    assert "HTTP 502" in error_from_reply(502, "", "u").message


def test_errors_survive_pickling_with_all_fields() -> None:
    err = pickle.loads(pickle.dumps(ObjectNotFound("gone", 404, "http://x/v1/objects/b/o")))
    assert isinstance(err, ObjectNotFound)
    assert (err.message, err.status, err.url) == ("gone", 404, "http://x/v1/objects/b/o")


def test_shard_format_error_takes_just_a_message() -> None:
    err = ShardFormatError("shard ais://b/s.tar: truncated header")
    assert isinstance(err, AISError)
    assert err.status == 0
    assert str(err) == "shard ais://b/s.tar: truncated header"


def test_shard_format_error_is_a_tar_error_and_stays_one_through_pickling() -> None:
    err = pickle.loads(pickle.dumps(ShardFormatError("shard ais://b/s.tar: cut at byte offset 7")))
    assert isinstance(err, ShardFormatError)
    assert isinstance(err, tarfile.TarError)
    assert isinstance(err, AISError)
    assert err.message == "shard ais://b/s.tar: cut at byte offset 7"
