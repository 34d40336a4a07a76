"""Which of the cluster's targets do not answer right now: the diagnosis a broken GetBatch
adds when it cannot tell which node failed it.

A GetBatch's designated target gathers the entries from its peers; when a peer dies, the reply
stalls or breaks while the designated target itself is alive, so the error names the wrong
node. One sweep - the cluster map from the proxy, then each target's health endpoint with a
short timeout - names the nodes that are down. It runs only on the give-up path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from aisref.client.errors import AISError
from aisref.client.request_client import RequestClient

HEALTH_TIMEOUT_S = 1.0  # a live target answers its health check in milliseconds


def target_urls(smap: Mapping[str, Any]) -> dict[str, str]:
    """``{target id: its public URL}`` from a cluster map."""
    return {node_id: node["public_net"]["direct_url"]
            for node_id, node in (smap.get("tmap") or {}).items()}


def _down(session: requests.Session, url: str) -> str | None:
    """Why the node at ``url`` is down (its health check failed), or None if it answered."""
    try:
        session.get(f"{url}/v1/health", timeout=HEALTH_TIMEOUT_S).close()
    except requests.ConnectionError as err:
        return "connection refused" if "refused" in str(err).lower() else "no connection"
    except requests.Timeout:
        return f"no answer within {HEALTH_TIMEOUT_S:g} s"
    return None


def unreachable_targets(client: RequestClient) -> list[str]:
    """``"<target id> (<url>: why)"`` for each target of the cluster map that does not answer;
    empty when all answer or the map cannot be had."""
    try:
        smap = client.request("GET", "daemon", params={"what": "smap"}, retry=False).json()
    except (AISError, requests.RequestException, ValueError):
        return []
    session = client.session
    found = []
    for node_id, url in sorted(target_urls(smap).items()):
        why = _down(session, url)
        if why is not None:
            found.append(f"{node_id} ({url}: {why})")
    return found
