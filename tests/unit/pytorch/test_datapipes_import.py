"""The datapipes need torch's datapipes; without them the import error says so."""

import importlib
import sys

import pytest

from aisref.pytorch.datapipes import endpoint_url, parse_ais_url


def test_missing_torch_datapipes_gives_an_import_error_that_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.data.datapipes.datapipe", None)
    monkeypatch.delitem(sys.modules, "aisref.pytorch.datapipes")
    with pytest.raises(ImportError, match=r"torch\.utils\.data\.datapipes"):
        importlib.import_module("aisref.pytorch.datapipes")


def test_ais_url_splits_into_provider_bucket_and_prefix():
    assert parse_ais_url("ais://bucket/train/shard-") == ("ais", "bucket", "train/shard-")


def test_cloud_scheme_aliases_map_to_provider_names():
    assert parse_ais_url("gs://b/x")[0] == "gcp"
    assert parse_ais_url("s3://b")[:2] == ("aws", "b")


def test_url_without_a_bucket_is_rejected_with_the_expected_form():
    with pytest.raises(ValueError, match=r"<provider>://<bucket>"):
        parse_ais_url("bucket/prefix")


def test_endpoint_without_scheme_gets_http():
    assert endpoint_url("localhost:8080") == "http://localhost:8080"
    assert endpoint_url("https://h:1") == "https://h:1"
