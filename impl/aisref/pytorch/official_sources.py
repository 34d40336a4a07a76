"""The official SDK's sources, taken by their public attributes and read through aisref.

A user of ``aistore.pytorch`` who swaps the import for ``aisref.pytorch`` still holds
``aistore.sdk`` objects: ``Client(url).bucket(name)``, ``bucket.objects(...)``, ``DataShard``.
The datasets take those as they are. Each is read by its public attributes - a bucket's
``name`` and ``qparam`` (provider and namespace) and its client's ``base_url``, ``token``,
``timeout`` and TLS settings; an object group's ``bck`` and ``list_names()``; a DataShard's
fields - and rebuilt as the aisref value on an aisref client at the same endpoint (as is an
official ``Client`` given to ``AISBatchIterDataset``). The
user's objects are not changed, and the SDK is never imported: an object is recognised by
the module and name of its class (or of a base class).

Not carried over: the official client's retry settings and session hooks (aisref's client
retries on its own terms, see :class:`~aisref.client.RequestClient`). A client certificate
(mutual TLS) cannot be carried and raises :class:`OfficialSourceNotSupported`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aisref.client import AISSource, Bucket, Client, DataShard, ObjectGroup

# (module, class name) of the official SDK 2.0.0 classes accepted here.
OFFICIAL_BUCKET = ("aistore.sdk.bucket", "Bucket")
OFFICIAL_OBJECT_GROUP = ("aistore.sdk.multiobj.object_group", "ObjectGroup")
OFFICIAL_DATA_SHARD = ("aistore.sdk.dataset.data_shard", "DataShard")
OFFICIAL_CLIENT = ("aistore.sdk.client", "Client")
_API_SUFFIX = "/v1"
# The official SDK's provider aliases (aistore.sdk.provider), for DataShard's str provider.
_PROVIDER_ALIASES = {"gs": "gcp", "s3": "aws"}


class OfficialSourceNotSupported(TypeError):
    """An object of the official SDK that aisref cannot read as it is."""


def official_kind(obj: object) -> tuple[str, str] | None:
    """``(module, class name)`` of the official SDK class ``obj`` is (or derives from)."""
    accepted = (OFFICIAL_BUCKET, OFFICIAL_OBJECT_GROUP, OFFICIAL_DATA_SHARD, OFFICIAL_CLIENT)
    for cls in type(obj).__mro__:
        kind = (cls.__module__, cls.__qualname__)
        if kind in accepted:
            return kind
    return None


def is_official_sdk_object(obj: object) -> bool:
    """True for any object of the official ``aistore.sdk`` package (accepted or not)."""
    return type(obj).__module__.split(".")[:2] == ["aistore", "sdk"]


def endpoint_of(base_url: str) -> str:
    """``"http://h:8080/v1"`` (the official client's ``base_url``) → ``"http://h:8080"``."""
    url = base_url.rstrip("/")
    return url[: -len(_API_SUFFIX)] if url.endswith(_API_SUFFIX) else url


def provider_name(provider: object) -> str:
    """A ``Provider`` enum or a string (with the SDK's aliases) as AIStore's provider name."""
    name = str(getattr(provider, "value", provider))
    return _PROVIDER_ALIASES.get(name, name)


def _timeout(value: object) -> float | tuple[float, float] | None:
    if isinstance(value, int | float) and value > 0:
        return float(value)
    if isinstance(value, tuple) and len(value) == 2:
        connect, read = value
        if isinstance(connect, int | float) and isinstance(read, int | float):
            return float(connect), float(read)
    return None  # None (no timeout) or an odd value: aisref's default applies


def client_like(official_client: Any, owner: str) -> Client:
    """An aisref :class:`Client` at the official request client's endpoint, with its token,
    TLS verification and timeout."""
    base_url = getattr(official_client, "base_url", None)
    if not isinstance(base_url, str):
        raise OfficialSourceNotSupported(
            f"{owner}: the official client {official_client!r} has no base_url, so its "
            "cluster's endpoint is unknown; pass an aisref Bucket "
            "(aisref.client.Client(endpoint).bucket(name)) instead"
        )
    sessions = getattr(official_client, "session_manager", None)
    if getattr(sessions, "client_cert", None):
        raise OfficialSourceNotSupported(
            f"{owner}: the official client for {endpoint_of(base_url)} uses a client "
            "certificate (mutual TLS), which aisref's client does not support"
        )
    verify: bool | str = True
    if getattr(sessions, "skip_verify", False):
        verify = False
    elif getattr(sessions, "ca_cert", None):
        verify = str(sessions.ca_cert)  # type: ignore[union-attr]
    timeout = _timeout(getattr(official_client, "timeout", None))
    token = getattr(official_client, "token", None) or None
    if timeout is None:
        return Client(endpoint_of(base_url), token=token, verify=verify)
    return Client(endpoint_of(base_url), timeout=timeout, token=token, verify=verify)


def aisref_client(client: object, owner: str) -> Client:
    """``client`` if it is aisref's; an aisref :class:`Client` like an official ``Client``.

    The official client keeps its request client private; a bucket it makes (no request is
    sent) hands it out publicly.
    """
    if isinstance(client, Client):
        return client
    if official_kind(client) == OFFICIAL_CLIENT:
        official: Any = client
        return client_like(official.bucket("aisref-endpoint").client, owner)
    raise TypeError(
        f"{owner}: client {client!r} is not a Client; pass aisref.client.Client(endpoint) "
        "or the official aistore.sdk Client"
    )


class OfficialSourceConverter:
    """Rebuilds official SDK sources as aisref ones, each object once.

    One instance per dataset: the same official object (in the source list and as a
    ``prefix_map`` key) becomes the same aisref object, and official buckets sharing one
    client share one aisref client.
    """

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._clients: dict[int, Client] = {}
        self._done: dict[int, tuple[object, AISSource]] = {}  # keeps the official alive

    def source(self, obj: object) -> AISSource:
        """``obj`` if it is an aisref source; the aisref equivalent of an official one."""
        if isinstance(obj, AISSource):
            return obj
        done = self._done.get(id(obj))
        if done is not None:
            return done[1]
        kind = official_kind(obj)
        converted: AISSource
        if kind == OFFICIAL_BUCKET:
            converted = self.bucket(obj)
        elif kind == OFFICIAL_OBJECT_GROUP:
            converted = self.object_group(obj)
        else:
            raise not_a_source(obj, self._owner)
        self._done[id(obj)] = (obj, converted)
        return converted

    def bucket(self, official: Any) -> Bucket:
        """An official ``Bucket``: its name, provider and namespace, on its endpoint."""
        client = self._clients.get(id(official.client))
        if client is None:
            client = self._clients[id(official.client)] = client_like(official.client, self._owner)
        qparam = dict(official.qparam)
        return client.bucket(
            official.name, provider_name(qparam["provider"]), qparam.get("namespace", "")
        )

    def object_group(self, official: Any) -> ObjectGroup:
        """An official ``ObjectGroup``: its bucket and its object names, in order."""
        return ObjectGroup(self.bucket(official.bck), obj_names=list(official.list_names()))

    def prefix_map(
        self, prefix_map: Mapping[Any, str | Sequence[str] | None] | None
    ) -> dict[AISSource, str | Sequence[str] | None]:
        """``prefix_map`` with its keys as aisref sources (the same objects as :meth:`source`)."""
        return {self.source(key): value for key, value in (prefix_map or {}).items()}


def data_shard(obj: object, owner: str) -> DataShard:
    """An aisref :class:`DataShard`, or one rebuilt from an official ``DataShard``'s fields."""
    if isinstance(obj, DataShard):
        return obj
    if official_kind(obj) != OFFICIAL_DATA_SHARD:
        raise TypeError(
            f"{owner}: {obj!r} is not a DataShard; pass aisref.client.DataShard(client_url, "
            "bucket_name, ...) or the official aistore.sdk DataShard"
        )
    shard: Any = obj
    return DataShard(
        client_url=shard.client_url,
        bucket_name=shard.bucket_name,
        provider=provider_name(shard.provider),
        prefix=shard.prefix or "",
        etl_name=shard.etl_name or None,
    )


def not_a_source(obj: object, owner: str) -> TypeError:
    """The error for something that is neither an aisref nor an accepted official source."""
    what = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if is_official_sdk_object(obj):
        return OfficialSourceNotSupported(
            f"{owner}: {what} is not a source aisref can read; of the official SDK it "
            "takes Bucket and ObjectGroup (and DataShard for AISMultiShardStream)"
        )
    return TypeError(
        f"{owner}: {obj!r} ({what}) is not an AIS source; pass a Bucket or ObjectGroup "
        "(aisref's, e.g. aisref.client.Client(endpoint).bucket(name), or the official "
        "aistore.sdk ones) or a list of them"
    )


def is_one_source(obj: object) -> bool:
    """True for a single source (aisref or official), False for a collection of them."""
    return isinstance(obj, AISSource) or official_kind(obj) in (
        OFFICIAL_BUCKET,
        OFFICIAL_OBJECT_GROUP,
    )


__all__ = [
    "OfficialSourceConverter",
    "OfficialSourceNotSupported",
    "aisref_client",
    "data_shard",
    "is_one_source",
    "not_a_source",
]
