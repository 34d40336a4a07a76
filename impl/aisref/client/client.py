"""The entry point: one AIStore cluster at one endpoint."""

from __future__ import annotations

from aisref.client.bucket import Bucket
from aisref.client.cluster import Cluster
from aisref.client.request_client import RequestClient, Timeout


class Client:
    """A client for the AIStore cluster at ``endpoint`` (the primary proxy's URL).

    Args:
        endpoint: e.g. ``"http://127.0.0.1:8080"``.
        timeout: seconds; one number, or ``(connect, read)``.
        retries: retry attempts for idempotent requests (see :class:`RequestClient`).
        token: bearer token for an authenticated cluster; never logged.
        verify: TLS verification: bool, or a CA bundle path.
    """

    def __init__(
        self,
        endpoint: str,
        timeout: Timeout = (5.0, 60.0),
        retries: int = 3,
        token: str | None = None,
        verify: bool | str = True,
    ) -> None:
        self.request_client = RequestClient(
            endpoint, timeout=timeout, retries=retries, token=token, verify=verify
        )

    @property
    def endpoint(self) -> str:
        """The cluster's endpoint, without a trailing slash."""
        return self.request_client.endpoint

    def __repr__(self) -> str:
        return f"Client({self.endpoint!r})"

    def bucket(self, name: str, provider: str = "ais") -> Bucket:
        """Bucket ``name`` (no request is sent)."""
        return Bucket(self.request_client, name, provider)

    def cluster(self) -> Cluster:
        """Cluster-wide calls: readiness, cluster map, version, bucket list."""
        return Cluster(self.request_client)
