"""A bucket: create/delete, paged listing (msgpack), archive listing, objects and groups."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import quote

from aisref.client.config import ETLConfig
from aisref.client.errors import BucketAlreadyExists, BucketNotFound, ObjectNotFound
from aisref.client.listing import (
    ENTRY_IS_ARCH_MEMBER,
    LS_ARCH_DIR,
    MAX_PAGE_SIZE,
    MSGPACK_MIME,
    ListPage,
    ObjectEntry,
    decode_page,
)
from aisref.client.obj import Object, ObjectProps
from aisref.client.object_group import ObjectGroup
from aisref.client.request_client import RequestClient
from aisref.client.source import AISSource
from aisref.client.stage_clock import LISTING, STAGE_CLOCK
from aisref.client.template import ObjectRange


class Bucket(AISSource):
    """Bucket ``name`` of ``provider`` ("ais" for AIStore-native buckets).

    ``namespace``, when given, is AIStore's ``"@<cluster uuid>#<name>"`` (``"@#team"`` for a
    namespace of this cluster); every request about the bucket then carries it.
    """

    def __init__(
        self, client: RequestClient, name: str, provider: str = "ais", namespace: str = ""
    ) -> None:
        if not name or "/" in name:
            raise ValueError(f"bucket name {name!r} must be non-empty and contain no '/'")
        if namespace and not namespace.startswith("@"):
            raise ValueError(
                f"namespace {namespace!r} of bucket {name!r} must be AIStore's "
                "'@<cluster uuid>#<name>' form, e.g. '@#team' for this cluster"
            )
        self._client = client
        self.name = name
        self.provider = provider
        self.namespace = namespace

    @property
    def client(self) -> RequestClient:
        """The request client; settable so datasets can install a per-worker one."""
        return self._client

    @client.setter
    def client(self, client: RequestClient) -> None:
        self._client = client

    @property
    def qparams(self) -> dict[str, str]:
        """Query parameters every request about this bucket carries."""
        if self.namespace:
            return {"provider": self.provider, "namespace": self.namespace}
        return {"provider": self.provider}

    @property
    def uname(self) -> str:
        """``<provider>://<name>``, or ``<provider>://<namespace>/<name>`` in a namespace."""
        if self.namespace:
            return f"{self.provider}://{self.namespace}/{self.name}"
        return f"{self.provider}://{self.name}"

    @property
    def path(self) -> str:
        """Request path relative to ``/v1/``."""
        return f"buckets/{quote(self.name, safe='')}"

    def __repr__(self) -> str:
        return f"Bucket({self.uname!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bucket) and other.identity == self.identity

    def __hash__(self) -> int:
        return hash(self.identity)

    @property
    def identity(self) -> tuple[str, str, str]:
        """``(provider, namespace, name)``: what makes two Bucket values the same bucket."""
        return self.provider, self.namespace, self.name

    # -- lifecycle -----------------------------------------------------------------------------

    def create(self, exist_ok: bool = False) -> Bucket:
        """Create the bucket; with ``exist_ok`` an existing one is fine. Returns ``self``."""
        try:
            self.client.request(
                "POST", self.path, params=self.qparams, json={"action": "create-bck"}
            ).close()
        except BucketAlreadyExists:
            if not exist_ok:
                raise
        return self

    def delete(self, missing_ok: bool = False) -> None:
        """Destroy the bucket and all its objects; with ``missing_ok`` absence is fine."""
        try:
            self.client.request(
                "DELETE", self.path, params=self.qparams, json={"action": "destroy-bck"}
            ).close()
        except BucketNotFound:
            if not missing_ok:
                raise

    # -- listing -------------------------------------------------------------------------------

    def list_objects(
        self,
        prefix: str = "",
        props: str = "name,size",
        page_size: int = 0,
        continuation_token: str = "",
        uuid: str = "",
        flags: int = 0,
    ) -> ListPage:
        """One page of the listing (one request), decoded from msgpack (JSON if the server
        answers JSON).

        Args:
            prefix: only names starting with it.
            props: comma-separated properties; "name" and "name,size" are the fast paths.
            page_size: entries per page, 0 for the server's default; at most 10,000.
            continuation_token, uuid: from the previous page, to get the next one.
            flags: ``LS_*`` bits from :mod:`aisref.client.listing`, e.g. ``LS_ARCH_DIR``.
        """
        if not 0 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size {page_size} must be within 0..{MAX_PAGE_SIZE}")
        value = {
            "prefix": prefix,
            "pagesize": page_size,
            "uuid": uuid,
            "props": props,
            "continuation_token": continuation_token,
            "flags": str(flags),
        }
        previous = STAGE_CLOCK.enter(LISTING)
        try:
            response = self.client.request(
                "GET",
                self.path,
                params=self.qparams,
                json={"action": "list", "value": value},
                headers={"Accept": MSGPACK_MIME},
            )
            return decode_page(response.content, response.headers.get("Content-Type", ""))
        finally:
            STAGE_CLOCK.leave(previous)

    def list_pages(
        self, prefix: str = "", props: str = "name,size", page_size: int = 0, flags: int = 0
    ) -> Iterator[ListPage]:
        """Every page of the listing, following continuation tokens."""
        token, uuid = "", ""
        while True:
            page = self.list_objects(prefix, props, page_size, token, uuid, flags)
            yield page
            if not page.continuation_token:
                return
            token, uuid = page.continuation_token, page.uuid or uuid

    def list_objects_iter(
        self, prefix: str = "", props: str = "name,size", page_size: int = 0, flags: int = 0
    ) -> Iterator[ObjectEntry]:
        """Every listed entry, page after page."""
        for page in self.list_pages(prefix, props, page_size, flags):
            yield from page.entries

    def list_all_objects_iter(self, prefix: str = "", props: str = "name,size") -> Iterator[Object]:
        """Every object under ``prefix`` as an :class:`Object`, listed size in ``props_cached``."""
        for entry in self.list_objects_iter(prefix=prefix, props=props):
            yield Object(self, entry.name, ObjectProps(size=entry.size))

    def list_urls(self, prefix: str = "", etl_name: str | None = None) -> Iterator[str]:
        """Full HTTP GET URL of every object under ``prefix`` (as the official SDK yields:
        ``<endpoint>/v1/objects/<bucket>/<name>?provider=ais[&etl_name=...]``)."""
        etl = ETLConfig(etl_name) if etl_name else None
        for entry in self.list_objects_iter(prefix=prefix, props="name"):
            yield self.object(entry.name).get_url(etl=etl)

    def list_archive(self, obj_name: str) -> list[str]:
        """Member paths inside the archive object ``obj_name``, relative to it, sorted by name.

        One listing with ``LS_ARCH_DIR``; entries flagged as archive members and named
        ``<obj_name>/<member>`` are kept, with the ``<obj_name>/`` prefix removed. An object
        that is not an archive has no members ([]).

        Raises:
            ObjectNotFound: ``obj_name`` is not in the bucket (the server would list nothing).
        """
        shard_prefix = obj_name + "/"
        members: list[str] = []
        found = False
        for entry in self.list_objects_iter(prefix=obj_name, props="name", flags=LS_ARCH_DIR):
            found = found or entry.name == obj_name
            if entry.flags & ENTRY_IS_ARCH_MEMBER and entry.name.startswith(shard_prefix):
                members.append(entry.name[len(shard_prefix) :])
        if not found:
            raise ObjectNotFound(
                f"cannot list archive {self.uname}/{obj_name}: no such object in the bucket",
                404,
                self.client.full_url(self.path, self.qparams),
            )
        return members

    # -- objects -------------------------------------------------------------------------------

    def object(self, name: str) -> Object:
        """The object ``name`` in this bucket (no request is sent)."""
        return Object(self, name)

    def objects(
        self,
        obj_names: Iterable[str] | None = None,
        obj_range: ObjectRange | None = None,
        obj_template: str | None = None,
    ) -> ObjectGroup:
        """A group of named objects: exactly one of names, a range, or a template."""
        return ObjectGroup(
            self, obj_names=obj_names, obj_range=obj_range, obj_template=obj_template
        )

    def put_object(self, name: str, data: bytes) -> None:
        """Write ``data`` as object ``name`` (replacing it)."""
        self.object(name).put_content(data)
