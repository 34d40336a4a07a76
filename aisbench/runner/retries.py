"""Retries the aisref client made during a window, for Measurement.retries.

aisref's RequestClient counts its retries in ``retries_made``. The runner only holds the loader
a strategy built, so the clients are found by walking that object graph (DataLoader -> dataset
-> sources -> Bucket -> client), a bounded walk that samples only the first items of long
sequences (a dataset's object list shares one client per bucket).

The count lives in memory shared with forked processes (aisref's ``SharedCount``), so the
retries of DataLoader workers started by fork (Linux's default up to Python 3.13) are counted
here too, as they happen. Clients that share one count (a dataset's per-worker client and the
client it was made from) are counted once.

Limits: workers started by ``spawn``/``forkserver`` receive pickled copies that count on their
own, so there the total is the main process's retries only (`sees_worker_retries` says which
case a loader is in). Strategies on other clients (the official SDK, plain requests) report 0.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

from aisref.client import RequestClient, SharedCount

_MAX_DEPTH = 8
_MAX_NODES = 5_000
_SEQUENCE_SAMPLE = 8  # items looked at per list/tuple/set/dict


def find_request_clients(root: Any) -> list[RequestClient]:
    """The distinct aisref RequestClients reachable from ``root`` (bounded walk)."""
    found: dict[int, RequestClient] = {}
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack and len(seen) < _MAX_NODES:
        node, depth = stack.pop()
        if id(node) in seen or depth > _MAX_DEPTH or isinstance(node, str | bytes | int | float):
            continue
        seen.add(id(node))
        if isinstance(node, RequestClient):
            found[id(node)] = node
            continue
        stack.extend((child, depth + 1) for child in _children(node))
    return list(found.values())


def _children(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return list(node.values())[:_SEQUENCE_SAMPLE]
    if isinstance(node, list | tuple | set | frozenset):
        return list(node)[:_SEQUENCE_SAMPLE]
    attributes = getattr(node, "__dict__", None)
    if isinstance(attributes, dict) and not isinstance(node, type):
        return list(attributes.values())
    return []


def distinct_counts(clients: list[RequestClient]) -> list[SharedCount]:
    """The retry counts of ``clients``, each once (a per-worker client shares its parent's)."""
    counts: dict[int, SharedCount] = {}
    for client in clients:
        counts.setdefault(id(client.retry_count), client.retry_count)
    return list(counts.values())


def sees_worker_retries(loader: Any) -> bool:
    """Whether retries made in ``loader``'s DataLoader workers reach this process's counts.

    True without workers, or when the workers are forked (they then add to the counts in
    shared memory); False for ``spawn``/``forkserver`` workers, which count in pickled copies.
    """
    if not getattr(loader, "num_workers", 0):
        return True
    context = getattr(loader, "multiprocessing_context", None)
    if context is not None:
        return bool(context.get_start_method() == "fork")
    # DataLoader's default is torch.multiprocessing's, i.e. multiprocessing's default context;
    # allow_none keeps this query from fixing the start method as a side effect.
    method = multiprocessing.get_start_method(allow_none=True)
    return (method or multiprocessing.get_all_start_methods()[0]) == "fork"


class RetryCounter:
    """Sums ``retries_made`` over the clients of a loader; see the module docs for the limits.

    Attributes:
        clients_found: how many distinct retry counts the loader's clients have (0: none of
            its clients is an aisref one, or none is reachable).
        sees_workers: whether the retries of the loader's DataLoader workers are included.
    """

    def __init__(self, loader: Any) -> None:
        self._counts = distinct_counts(find_request_clients(loader))
        self.clients_found = len(self._counts)
        self.sees_workers = sees_worker_retries(loader)

    def total(self) -> int:
        """Retries made so far by the loader's clients (and forked copies of them)."""
        return sum(count.value for count in self._counts)
