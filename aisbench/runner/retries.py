"""Retries the aisref client made during a window, for Measurement.retries.

aisref's RequestClient counts its retries in ``retries_made``. The runner only holds the loader
a strategy built, so the clients are found by walking that object graph (DataLoader -> dataset
-> sources -> Bucket -> client), a bounded walk that samples only the first items of long
sequences (a dataset's object list shares one client per bucket).

Limit: DataLoader workers are separate processes with their own copies of the clients, so with
``num_workers > 0`` the count is the main process's retries only (listings, not the reads in the
workers). Strategies on other clients (the official SDK, plain requests) report 0.
"""

from __future__ import annotations

from typing import Any

from aisref.client import RequestClient

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


class RetryCounter:
    """Sums ``retries_made`` over the clients of a loader; see the module docs for the limit."""

    def __init__(self, loader: Any) -> None:
        self._clients = find_request_clients(loader)

    def total(self) -> int:
        """Retries made so far by the clients in this process."""
        return sum(client.retries_made for client in self._clients)
