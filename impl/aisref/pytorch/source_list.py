"""What a dataset is built from: its sources, their prefixes, and the listing of both.

Sources may be aisref's (``Bucket``, ``ObjectGroup``, any ``AISSource``) or the official
SDK's, which are rebuilt as aisref ones here (see :mod:`aisref.pytorch.official_sources`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aisref.client import AISSource, ETLConfig, Object
from aisref.pytorch.official_sources import OfficialSourceConverter, is_one_source, not_a_source
from aisref.pytorch.worker_client import WorkerRequestClient

SourceList = AISSource | Sequence[AISSource]
PrefixMap = Mapping[AISSource, str | Sequence[str] | None]


@dataclass(frozen=True)
class DatasetSources:
    """A dataset's sources, as aisref sources, and the prefixes to list in each."""

    sources: tuple[AISSource, ...]
    prefix_map: Mapping[AISSource, str | Sequence[str] | None]

    @classmethod
    def of(
        cls, ais_source_list: Any, prefix_map: Mapping[Any, Any] | None, owner: str
    ) -> DatasetSources:
        """The sources a user passed (one or a list; aisref's or the official SDK's), checked.

        Raises ValueError when there are none and TypeError naming anything that is not a
        source.
        """
        converter = OfficialSourceConverter(owner)
        given: list[Any]
        if ais_source_list is None:
            given = []
        elif is_one_source(ais_source_list):
            given = [ais_source_list]
        elif isinstance(ais_source_list, Iterable) and not isinstance(ais_source_list, str | bytes):
            given = list(ais_source_list)
        else:
            raise not_a_source(ais_source_list, owner)
        if not given:
            raise ValueError(
                f"{owner}: ais_source_list is empty; pass a Bucket (e.g. "
                "Client(endpoint).bucket(name)) or a list of them"
            )
        sources = tuple(converter.source(source) for source in given)
        return cls(sources, converter.prefix_map(prefix_map))

    def prefixes(self, source: AISSource) -> list[str]:
        """The prefixes to list for ``source``: its entry (a str or a list), or everything."""
        return prefixes_for(source, self.prefix_map)

    def list_objects(self, sources: Sequence[AISSource] | None = None) -> list[Object]:
        """All objects of ``sources`` (default: all) under their prefixes, in listing order.

        One paged listing per (source, prefix). An object matched by two overlapping prefixes
        of one source is kept once.
        """
        objects: list[Object] = []
        for source in self.sources if sources is None else sources:
            seen: set[str] = set()
            for prefix in self.prefixes(source):
                for obj in source.list_all_objects_iter(prefix=prefix):
                    if obj.name not in seen:
                        seen.add(obj.name)
                        objects.append(obj)
        return objects

    def install_worker_clients(self) -> None:
        """Give every source a client with one HTTP session per worker process and thread."""
        install_worker_clients(self.sources)


def prefixes_for(source: AISSource, prefix_map: PrefixMap) -> list[str]:
    """The prefixes to list for ``source``: its entry (a str or a list), or everything."""
    entry = prefix_map.get(source)
    if entry is None:
        return [""]
    return [entry] if isinstance(entry, str) else list(entry)


def install_worker_clients(sources: Iterable[AISSource]) -> None:
    """Give every source a client that opens one HTTP session per worker process and thread."""
    for source in sources:
        if not isinstance(source.client, WorkerRequestClient):
            source.client = WorkerRequestClient(source.client)


def etl_config(etl_name: str | None) -> ETLConfig | None:
    """The server-side transform to request, if any (we never transform client-side)."""
    return ETLConfig(etl_name) if etl_name else None
