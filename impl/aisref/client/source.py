"""AISSource: anything that can enumerate objects for a dataset (a bucket, an object group)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aisref.client.obj import Object
    from aisref.client.request_client import RequestClient


class AISSource(ABC):
    """A source of objects. Datasets only enumerate it and read what it yields."""

    @property
    @abstractmethod
    def client(self) -> RequestClient:
        """The request client every object from this source reads through."""

    @client.setter
    @abstractmethod
    def client(self, client: RequestClient) -> None:
        """Swap the request client (datasets install a per-worker one)."""

    @abstractmethod
    def list_all_objects_iter(self, prefix: str = "", props: str = "name,size") -> Iterator[Object]:
        """Every object whose name starts with ``prefix``, sizes in ``props_cached`` if asked."""

    @abstractmethod
    def list_urls(self, prefix: str = "", etl_name: str | None = None) -> Iterator[str]:
        """Full HTTP GET URL of every object whose name starts with ``prefix``."""
