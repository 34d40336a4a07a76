"""Clusters of their own for some test modules, all started at once on background threads.

A cluster start is mostly waiting (AIStore's primary waits ~7.5 s for its targets to settle
before it serves), so the fault cluster (1 proxy, 3 targets) and the HTTPS and token-checking
clusters (1 + 1 each) started together are ready in ~17 s where one after the other took ~43 s.
Each is a context manager: entered on its own thread when the first of them is asked for,
exited on the asking thread when its tests are done (or at the end of the session).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from typing import Any


class ClusterStarts:
    """Context managers entered together on threads of their own, each exited once."""

    def __init__(self, starts: Mapping[str, Callable[[], AbstractContextManager[Any]]]) -> None:
        self._managers = {name: make() for name, make in starts.items()}
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(self._managers)),
                                        thread_name_prefix="cluster-start")
        self._entered: dict[str, Future[Any]] = {
            name: self._pool.submit(manager.__enter__) for name, manager in self._managers.items()
        }
        self._exited: set[str] = set()

    def get(self, name: str) -> Any:
        """What ``name``'s context manager gave, once it is entered (its error, if it failed)."""
        if name not in self._entered:
            raise KeyError(f"no cluster {name!r} was started; started: {sorted(self._entered)}")
        return self._entered[name].result()

    def stop(self, name: str) -> None:
        """Exit ``name``'s context manager (waiting for its start first); once only."""
        if name in self._exited or name not in self._entered:
            return
        self._exited.add(name)
        if self._entered[name].exception() is None:  # a failed start cleaned up after itself
            self._managers[name].__exit__(None, None, None)

    @contextmanager
    def held(self, name: str) -> Iterator[Any]:
        """``name``'s cluster for a block (e.g. one module's tests), stopped when it ends."""
        try:
            yield self.get(name)
        finally:
            self.stop(name)

    def stop_all(self) -> None:
        try:
            for name in self._entered:
                self.stop(name)
        finally:
            self._pool.shutdown(wait=True)


@contextmanager
def started_together(starts: Mapping[str, Callable[[], AbstractContextManager[Any]]],
                     wanted: Iterable[str]) -> Iterator[ClusterStarts]:
    """Start the ``wanted`` ones of ``starts`` at once; stop whatever is still up at the end."""
    wanted = set(wanted)
    clusters = ClusterStarts({name: make for name, make in starts.items() if name in wanted})
    try:
        yield clusters
    finally:
        clusters.stop_all()
