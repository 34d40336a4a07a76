"""The official SDK's sources rebuilt as aisref ones (real official objects; no requests)."""

from __future__ import annotations

import pytest
from aistore.sdk import Client as OfficialClient
from aistore.sdk.dataset.data_shard import DataShard as OfficialDataShard
from aistore.sdk.namespace import Namespace
from aistore.sdk.provider import Provider

from aisref.client import Bucket, DataShard, ObjectGroup
from aisref.pytorch import AISIterDataset, AISMultiShardStream
from aisref.pytorch.official_sources import (
    OfficialSourceConverter,
    OfficialSourceNotSupported,
    aisref_client,
    data_shard,
    endpoint_of,
)
from aisref.pytorch.source_list import DatasetSources

URL = "http://127.0.0.1:1"


def test_an_official_bucket_becomes_the_same_bucket_on_an_aisref_client_at_its_endpoint():
    official = OfficialClient(URL + "/", token="tok", timeout=(2, 9)).bucket(
        "b", provider="gcp", namespace=Namespace(uuid="u1", name="ns")
    )
    bucket = OfficialSourceConverter("test").source(official)
    assert isinstance(bucket, Bucket)
    assert (bucket.name, bucket.provider, bucket.namespace) == ("b", "gcp", "@u1#ns")
    client = bucket.client
    assert (client.endpoint, client.token, client.timeout) == (URL, "tok", (2.0, 9.0))


@pytest.mark.filterwarnings("ignore:Skipping SSL certificate verification")
def test_tls_settings_of_the_official_client_are_carried(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("not read here")
    assert OfficialSourceConverter("t").bucket(
        OfficialClient(URL, ca_cert=str(ca)).bucket("b")).client.verify == str(ca)
    assert OfficialSourceConverter("t").bucket(
        OfficialClient(URL, skip_verify=True).bucket("b")).client.verify is False


def test_a_client_certificate_cannot_be_carried_and_says_so():
    official = OfficialClient(URL, client_cert=("c.pem", "k.pem")).bucket("b")
    with pytest.raises(OfficialSourceNotSupported, match="client certificate"):
        OfficialSourceConverter("AISIterDataset").source(official)


def test_an_official_object_group_keeps_its_bucket_and_names_in_order():
    group = OfficialClient(URL).bucket("b").objects(obj_names=["z", "a"])
    converted = OfficialSourceConverter("t").source(group)
    assert isinstance(converted, ObjectGroup)
    assert (converted.bucket.name, converted.list_names()) == ("b", ["z", "a"])


def test_the_same_official_object_in_the_list_and_the_prefix_map_is_one_aisref_source():
    client = OfficialClient(URL)
    group = client.bucket("b").objects(obj_names=["p/x", "q/y"])
    bucket = client.bucket("c")
    sources = DatasetSources.of([group, bucket], {group: "p/", bucket: ["r/"]}, "t")
    assert [sources.prefixes(s) for s in sources.sources] == [["p/"], ["r/"]]
    assert sources.sources[0].client is not None
    assert sources.sources[1].client.endpoint == URL


def test_buckets_of_one_official_client_share_one_aisref_client():
    client = OfficialClient(URL)
    converter = OfficialSourceConverter("t")
    first, second = converter.source(client.bucket("a")), converter.source(client.bucket("b"))
    assert first.client is second.client


def test_the_users_official_bucket_is_not_changed():
    official = OfficialClient(URL).bucket("b")
    before = official.client
    OfficialSourceConverter("t").source(official)
    assert official.client is before


def test_an_official_data_shard_keeps_its_fields():
    official = OfficialDataShard(client_url=URL, bucket_name="b", prefix="p/", etl_name="e")
    assert data_shard(official, "t") == DataShard(URL, "b", "ais", "p/", "e")
    assert official.provider is Provider.AIS  # an enum, made a plain "ais" above


def test_an_unsupported_official_object_is_named_with_what_is_accepted():
    obj = OfficialClient(URL).bucket("b").object("o")
    with pytest.raises(OfficialSourceNotSupported, match=r"aistore\.sdk\.obj\.object\.Object"):
        AISIterDataset(obj)
    with pytest.raises(TypeError, match="not a DataShard"):
        AISMultiShardStream([OfficialClient(URL).bucket("b")])


def test_anything_else_is_named_with_how_to_make_a_source():
    with pytest.raises(TypeError, match=r"42 \(builtins\.int\) is not an AIS source"):
        AISIterDataset(42)  # type: ignore[call-overload]


def test_the_endpoint_is_the_base_url_without_its_api_suffix():
    assert endpoint_of("http://h:8080/v1") == "http://h:8080"
    assert endpoint_of("https://h/v1/") == "https://h"


def test_an_official_client_becomes_an_aisref_client_at_its_endpoint_with_its_token():
    client = aisref_client(OfficialClient(URL, token="tok"), "AISBatchIterDataset")
    assert (client.endpoint, client.request_client.token) == (URL, "tok")
    with pytest.raises(TypeError, match="is not a Client"):
        aisref_client("http://127.0.0.1:1", "AISBatchIterDataset")
