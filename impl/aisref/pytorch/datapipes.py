"""AIS datapipes on torch's own ``torch.utils.data.datapipes`` (no torchdata needed).

- :class:`AISFileListerIterDataPipe` (``AISFileLister``; functional ``list_files_by_ais``,
  alias ``ais_list_files``): URL prefixes such as ``ais://bucket/prefix`` → object URLs.
- :class:`AISFileLoaderIterDataPipe` (``AISFileLoader``; functional ``load_files_by_ais``,
  alias ``ais_load_files``): object URLs → ``(url, StreamWrapper(BytesIO(bytes)))``.
- :class:`AISSourceLister` (functional ``ais_list_sources``): AISSources → HTTP object URLs.

Arguments are those of the official ``aistore.pytorch`` 1.9.2 datapipes (its ``aisio``
module; ``aisref.pytorch.aisio`` is the same path here): ``url`` is the second parameter and
may be passed by position or by name.

Listers list once, at construction, and every DataLoader worker replays that list. The
loader is the stage that reads, so it is the one that splits over distributed ranks and
DataLoader workers, with equal per-rank counts (see :class:`AISFileLoaderIterDataPipe`). Do
not add ``sharding_filter()`` between a lister and the loader; it would split a second time
and drop data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from io import BytesIO
from typing import Any

try:
    from torch.utils.data.datapipes._decorator import functional_datapipe
    from torch.utils.data.datapipes.datapipe import IterDataPipe
    from torch.utils.data.datapipes.utils.common import StreamWrapper
except ImportError as exc:  # torch dropped datapipes upstream; say so instead of a bare error
    import torch

    raise ImportError(
        f"aisref.pytorch.datapipes needs torch.utils.data.datapipes (IterDataPipe, "
        f"functional_datapipe), which torch {torch.__version__} does not provide; use "
        "AISIterDataset/AISMapDataset instead, or a torch version that ships datapipes"
    ) from exc

from aisref.client import AISSource, Bucket, Client
from aisref.pytorch.official_sources import OfficialSourceConverter
from aisref.pytorch.partition import RankSplit, rank_share, reader_ranges, slot_stream, take
from aisref.pytorch.source_list import etl_config
from aisref.pytorch.worker_client import WorkerRequestClient

# URL scheme → AIStore provider name.
_PROVIDER_ALIASES = {"gs": "gcp", "s3": "aws", "az": "azure"}


def parse_ais_url(url: str) -> tuple[str, str, str]:
    """``"ais://bucket/some/prefix"`` → ``("ais", "bucket", "some/prefix")``.

    Not ``urlsplit``: the object name is everything after the bucket, verbatim, since object
    names may hold ``?``, ``#`` and ``%`` (the lister yields names unquoted).
    """
    scheme, sep, rest = url.partition("://")
    bucket, _, name = rest.partition("/")
    if not sep or not scheme or not bucket:
        raise ValueError(
            f"{url!r} is not an AIS URL; expected <provider>://<bucket>[/<prefix>], "
            "e.g. ais://my-bucket/train/"
        )
    provider = _PROVIDER_ALIASES.get(scheme, scheme)
    return provider, bucket, name.lstrip("/")


def endpoint_url(url: str) -> str:
    """Accept ``"localhost:8080"`` as the docs write it: add ``http://`` when no scheme."""
    return url if "://" in url else f"http://{url}"


class _ListedDataPipe(IterDataPipe[str]):
    """A datapipe over a URL list made once at construction."""

    def __init__(self, urls: list[str], length: int) -> None:
        self._urls = urls
        self._length = length

    def __iter__(self) -> Iterator[str]:
        return iter(self._urls)

    def __len__(self) -> int:
        """``length`` when given (>= 0), else the number of listed URLs."""
        return self._length if self._length >= 0 else len(self._urls)


@functional_datapipe("list_files_by_ais")
class AISFileListerIterDataPipe(_ListedDataPipe):
    """Object URLs under AIS URL prefixes (functional name: ``list_files_by_ais``).

    Args:
        source_datapipe: URL prefixes such as ``ais://bucket``, ``ais://bucket/train/``,
            ``aws://bucket/prefix``.
        url: AIStore endpoint, e.g. ``"http://localhost:8080"`` (``"localhost:8080"`` works).
        length: value for ``len()``; -1 (default) means the number of listed objects (the
            official lister, which lists lazily, raises TypeError then).

    Yields ``"<provider>://<bucket>/<object name>"`` for every object, in listing order.
    """

    def __init__(
        self, source_datapipe: IterDataPipe[str] | Sequence[str], url: str, length: int = -1
    ) -> None:
        client = Client(endpoint_url(url))
        self._client = client  # kept so a harness can find it and read its retries_made
        urls: list[str] = []
        for prefix_url in source_datapipe:
            provider, bucket_name, prefix = parse_ais_url(prefix_url)
            bucket = client.bucket(bucket_name, provider=provider)
            urls.extend(
                f"{provider}://{bucket_name}/{obj.name}"
                for obj in bucket.list_all_objects_iter(prefix=prefix, props="name")
            )
        super().__init__(urls, length)


class AISFileLoaderIterDataPipe(IterDataPipe[tuple[str, StreamWrapper]]):
    """Load AIS objects named by URL (functional name: ``load_files_by_ais``).

    Args:
        source_datapipe: object URLs such as ``ais://bucket/object``.
        url: AIStore endpoint, e.g. ``"http://localhost:8080"``.
        length: value for ``len()``; -1 (default): this rank's share of
            ``len(source_datapipe)`` (all of it on one rank, as the official loader gives).
        etl_name: optional ETL, already running on the cluster, applied server-side.
        split_by_rank: split over torch.distributed ranks (default). False: every rank loads
            every URL (split over its DataLoader workers only).
        drop_last: make rank counts equal by dropping the last (fewer than world size) URLs
            instead of loading the first ones again.

    Yields ``(url, StreamWrapper(BytesIO(object bytes)))``. On one rank, each URL is loaded
    once, DataLoader workers taking every N-th URL as it streams in (an endless source
    works). Over several ranks every rank loads the same number of URLs, each once apart
    from the padding that makes the counts equal (see :mod:`aisref.pytorch.partition`); the
    count needs the whole source, so each reader reads the URL list to its end first (it
    must be finite).
    """

    def __init__(
        self,
        source_datapipe: IterDataPipe[str] | Sequence[str],
        url: str,
        length: int = -1,
        etl_name: str | None = None,
        *,
        split_by_rank: bool = True,
        drop_last: bool = False,
    ) -> None:
        self.source_datapipe = source_datapipe
        self._length = length
        self._client = Client(endpoint_url(url))
        self._request_client = WorkerRequestClient(self._client.request_client)
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._etl = etl_config(etl_name)
        self._rank_split = RankSplit(split_by_rank=split_by_rank, drop_last=drop_last)

    def _bucket(self, provider: str, name: str) -> Bucket:
        bucket = self._buckets.get((provider, name))
        if bucket is None:
            bucket = self._client.bucket(name, provider=provider)
            bucket.client = self._request_client  # one session per worker, shared by buckets
            self._buckets[(provider, name)] = bucket
        return bucket

    def _urls_for_this_reader(self) -> Iterable[str]:
        slot = self._rank_split.reader_slot()
        if slot.world_size == 1:
            return slot_stream(self.source_datapipe, slot)
        urls = list(self.source_datapipe)
        return take(urls, reader_ranges(len(urls), slot, self._rank_split.drop_last))

    def __iter__(self) -> Iterator[tuple[str, StreamWrapper]]:
        for object_url in self._urls_for_this_reader():
            provider, bucket_name, object_name = parse_ais_url(object_url)
            bucket = self._bucket(provider, bucket_name)
            data = bucket.object(object_name).get_reader(etl=self._etl).read_all()
            yield object_url, StreamWrapper(BytesIO(data))

    def __len__(self) -> int:
        """``length`` when given (>= 0), else the URLs this rank loads per epoch.

        The latter needs ``len(source_datapipe)``; a source without one raises TypeError.
        """
        if self._length >= 0:
            return self._length
        _, world_size = self._rank_split.ranks()
        return rank_share(len(self.source_datapipe), world_size, self._rank_split.drop_last)

    def __getstate__(self) -> Any:
        # Spawned DataLoader workers have no process group: carry the main process's rank.
        state = {**self.__dict__, "_rank_split": self._rank_split.for_workers()}
        hook = IterDataPipe.getstate_hook  # as IterDataPipe.__getstate__ applies it
        return state if hook is None else hook(state)


@functional_datapipe("ais_list_sources")
class AISSourceLister(_ListedDataPipe):
    """Full HTTP URLs of every object in the given AIS sources (``ais_list_sources``).

    Args:
        ais_sources: Buckets or ObjectGroups (aisref's or the official SDK's).
        prefix: only objects whose names start with this.
        etl_name: optional ETL on the cluster; the URLs then ask for the transformed objects.
    """

    def __init__(
        self, ais_sources: Sequence[AISSource], prefix: str = "", etl_name: str | None = None
    ) -> None:
        converter = OfficialSourceConverter(type(self).__name__)
        urls: list[str] = []
        for source in ais_sources:
            urls.extend(converter.source(source).list_urls(prefix=prefix, etl_name=etl_name))
        super().__init__(urls, -1)


functional_datapipe("ais_list_files")(AISFileListerIterDataPipe)
functional_datapipe("load_files_by_ais")(AISFileLoaderIterDataPipe)
functional_datapipe("ais_load_files")(AISFileLoaderIterDataPipe)

AISFileLister = AISFileListerIterDataPipe
AISFileLoader = AISFileLoaderIterDataPipe
