"""A named set of objects in one bucket: a list of names, a range or a template."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from aisref.client.config import ETLConfig
from aisref.client.obj import Object
from aisref.client.request_client import RequestClient
from aisref.client.source import AISSource
from aisref.client.template import ObjectRange, expand_template

if TYPE_CHECKING:
    from aisref.client.bucket import Bucket


class ObjectGroup(AISSource):
    """Objects of ``bucket`` named by exactly one of ``obj_names``, ``obj_range`` or
    ``obj_template`` (AIStore's brace syntax, e.g. ``"obj-{0000..0099}.bin"``, expanded here).

    Enumerating sends no request: unlike the official SDK, which sends one HEAD per object in
    ``list_all_objects_iter`` to fill in sizes, sizes are fetched only when ``props`` asks for
    more than the name (one HEAD per object then). For thousands of names the HEADs would cost
    more than the reads they plan, and a missing object surfaces on its read anyway.
    """

    def __init__(
        self,
        bucket: Bucket,
        obj_names: Iterable[str] | None = None,
        obj_range: ObjectRange | None = None,
        obj_template: str | None = None,
    ) -> None:
        given = [x is not None for x in (obj_names, obj_range, obj_template)]
        if sum(given) != 1:
            raise ValueError(
                f"ObjectGroup of {bucket.uname} needs exactly one of obj_names, obj_range, "
                f"obj_template; got {sum(given)}"
            )
        self.bucket = bucket
        names: list[str]
        if obj_names is not None:
            if isinstance(obj_names, str):
                raise TypeError("obj_names must be a list of names, not one string")
            names = list(obj_names)
        elif obj_range is not None:
            names = list(obj_range)
        else:
            assert obj_template is not None
            names = expand_template(obj_template)
        self._names = tuple(names)

    @property
    def client(self) -> RequestClient:
        """The bucket's request client; setting it sets the bucket's."""
        return self.bucket.client

    @client.setter
    def client(self, client: RequestClient) -> None:
        self.bucket.client = client

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"ObjectGroup({self.bucket.uname!r}, {len(self._names)} names)"

    def list_names(self) -> list[str]:
        """The object names, in the given order."""
        return list(self._names)

    def list_all_objects_iter(self, prefix: str = "", props: str = "name,size") -> Iterator[Object]:
        """The group's objects whose names start with ``prefix``.

        ``props`` "name" or "name,size" sends nothing (sizes stay unknown until read);
        anything else asks for a HEAD per object, whose result fills ``props_cached``.
        """
        want_head = props not in ("", "name", "name,size")
        for name in self._names:
            if name.startswith(prefix):
                obj = self.bucket.object(name)
                if want_head:
                    obj.props_cached = obj.head()
                yield obj

    def list_urls(self, prefix: str = "", etl_name: str | None = None) -> Iterator[str]:
        """Full HTTP GET URL of each object whose name starts with ``prefix``."""
        etl = ETLConfig(etl_name) if etl_name else None
        for name in self._names:
            if name.startswith(prefix):
                yield self.bucket.object(name).get_url(etl=etl)
