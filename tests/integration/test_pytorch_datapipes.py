"""AIS datapipes against the real cluster: listing, loading, splitting over readers."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from torch.utils.data import DataLoader
from torch.utils.data.datapipes.iter import IterableWrapper

from aisref.client import ETLNotAvailable
from aisref.pytorch import AISFileLister, AISFileLoader, AISSourceLister
from tests.integration.pytorch_fixtures import ObjectsBucket, objects_bucket, pt_endpoint

__all__ = ["objects_bucket", "pt_endpoint"]  # fixtures used below

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:This DataLoader will create"),
]


def read_stream(item: tuple[str, Any]) -> tuple[str, bytes]:
    url, stream = item
    return url, stream.read()


def expected(objects_bucket: ObjectsBucket, prefix: str = "") -> Counter[tuple[str, bytes]]:
    return Counter(
        (f"ais://{objects_bucket.name}/{name}", data)
        for name, data in objects_bucket.contents.items()
        if name.startswith(prefix)
    )


def test_lister_yields_an_ais_url_per_object_under_the_prefix(objects_bucket: ObjectsBucket):
    prefixes = IterableWrapper([f"ais://{objects_bucket.name}/a/"])
    urls = list(AISFileLister(source_datapipe=prefixes, url=objects_bucket.endpoint))
    assert Counter(urls) == Counter(url for url, _ in expected(objects_bucket, "a/"))


def test_lister_accepts_an_endpoint_without_scheme(objects_bucket: ObjectsBucket):
    bare = objects_bucket.endpoint.removeprefix("http://")
    prefixes = IterableWrapper([f"ais://{objects_bucket.name}"])
    assert len(AISFileLister(source_datapipe=prefixes, url=bare)) == len(objects_bucket.contents)


def test_functional_names_and_aliases_chain(objects_bucket: ObjectsBucket):
    endpoint = objects_bucket.endpoint
    prefixes = IterableWrapper([f"ais://{objects_bucket.name}/b/"])
    official_names = prefixes.list_files_by_ais(url=endpoint).load_files_by_ais(url=endpoint)
    aliases = prefixes.ais_list_files(url=endpoint).ais_load_files(url=endpoint)
    want = expected(objects_bucket, "b/")
    assert Counter(map(read_stream, official_names)) == want
    assert Counter(map(read_stream, aliases)) == want


@pytest.mark.parametrize("num_workers", [0, 2, 4])
def test_loader_reads_every_object_once_across_workers(objects_bucket: ObjectsBucket, num_workers):
    endpoint = objects_bucket.endpoint
    urls = AISFileLister(IterableWrapper([f"ais://{objects_bucket.name}"]), url=endpoint)
    pipe = AISFileLoader(urls, url=endpoint).map(read_stream)
    items = [tuple(item) for item in DataLoader(pipe, batch_size=None, num_workers=num_workers)]
    assert Counter(items) == expected(objects_bucket)


def test_loader_splits_across_two_ranks_exactly_once(objects_bucket: ObjectsBucket, monkeypatch):
    read: Counter[tuple[str, bytes]] = Counter()
    for rank in range(2):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        urls = AISFileLister(
            IterableWrapper([f"ais://{objects_bucket.name}"]), url=objects_bucket.endpoint
        )
        read += Counter(map(read_stream, AISFileLoader(urls, url=objects_bucket.endpoint)))
    assert read == expected(objects_bucket)


def test_loader_with_unknown_etl_raises_naming_it(objects_bucket: ObjectsBucket):
    url = f"ais://{objects_bucket.name}/{next(iter(objects_bucket.contents))}"
    loader = AISFileLoader(IterableWrapper([url]), url=objects_bucket.endpoint, etl_name="pt-x")
    with pytest.raises(ETLNotAvailable, match="pt-x"):
        list(loader)


def test_source_lister_yields_http_urls_of_every_object(objects_bucket: ObjectsBucket):
    urls = list(AISSourceLister([objects_bucket.bucket()], prefix="a/"))
    assert len(urls) == sum(1 for n in objects_bucket.contents if n.startswith("a/"))
    assert all(u.startswith(f"{objects_bucket.endpoint}/v1/objects/") for u in urls)


def test_lister_rejects_a_url_without_bucket(objects_bucket: ObjectsBucket):
    with pytest.raises(ValueError, match="ais://my-bucket"):
        AISFileLister(IterableWrapper(["just-a-bucket"]), url=objects_bucket.endpoint)
