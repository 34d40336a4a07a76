"""Cluster-wide calls: readiness, cluster map, version, bucket list."""

from __future__ import annotations

from typing import Any

from aisref.client.errors import AISError
from aisref.client.request_client import RequestClient


class Cluster:
    """Cluster-level requests through the primary proxy at the client's endpoint."""

    def __init__(self, client: RequestClient) -> None:
        self.client = client

    def is_ready(self) -> bool:
        """True when the primary proxy reports the cluster up (``GET /v1/health?prr=true``).

        Never raises for an unreachable or starting cluster: that is simply "not ready".
        """
        try:
            self.client.request("GET", "health", params={"prr": "true"}, retry=False).close()
        except AISError:
            return False
        return True

    def smap(self) -> dict[str, Any]:
        """The cluster map (``GET /v1/daemon?what=smap``): ``pmap`` proxies, ``tmap`` targets."""
        smap = self.client.request("GET", "daemon", params={"what": "smap"}).json()
        if not isinstance(smap, dict):
            raise AISError(f"cluster map from {self.client.endpoint} is not a JSON object")
        return smap

    def node_status(self) -> dict[str, Any]:
        """The primary proxy's own status (``GET /v1/daemon?what=node_status``)."""
        status = self.client.request("GET", "daemon", params={"what": "node_status"}).json()
        if not isinstance(status, dict):
            raise AISError(f"node status from {self.client.endpoint} is not a JSON object")
        return status

    def version(self) -> str:
        """The AIStore version the primary proxy reports (``ais_version``, e.g. "5.0.")."""
        return str(self.node_status().get("ais_version", ""))

    def list_buckets(self, provider: str = "ais") -> list[str]:
        """Names of the buckets of ``provider`` present in the cluster."""
        reply = self.client.request(
            "GET",
            "buckets",
            params={"provider": provider},
            json={"action": "list", "value": None},
        ).json()
        return sorted(b["name"] for b in reply or () if b.get("provider", provider) == provider)
