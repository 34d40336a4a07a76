"""The entry point: one AIStore cluster at one endpoint."""

from __future__ import annotations

import os
from collections.abc import Sequence

from aisref.client.batch_types import Colocation
from aisref.client.bucket import Bucket
from aisref.client.cluster import Cluster
from aisref.client.get_batch import Batch
from aisref.client.obj import Object
from aisref.client.request_client import RequestClient, Timeout

TOKEN_ENV = "AIS_AUTHN_TOKEN"  # the official SDK's fallback for ``token``, kept for parity


class Client:
    """A client for the AIStore cluster at ``endpoint`` (the primary proxy's URL).

    Args:
        endpoint: e.g. ``"http://127.0.0.1:8080"``.
        timeout: seconds; one number, or ``(connect, read)``.
        retries: retry attempts for idempotent requests (see :class:`RequestClient`).
        token: bearer token for a cluster that requires one; never logged. When None,
            ``$AIS_AUTHN_TOKEN`` is used if set (as the official SDK does), so clients built
            from a URL alone (``DataShard``) reach such a cluster too.
        verify: TLS verification: True (the system's CAs, or ``$REQUESTS_CA_BUNDLE``), or the
            path of the CA bundle that signed the cluster's certificate.
    """

    def __init__(
        self,
        endpoint: str,
        timeout: Timeout = (5.0, 60.0),
        retries: int = 3,
        token: str | None = None,
        verify: bool | str = True,
    ) -> None:
        if token is None:
            token = os.environ.get(TOKEN_ENV) or None
        self.request_client = RequestClient(
            endpoint, timeout=timeout, retries=retries, token=token, verify=verify
        )

    @property
    def endpoint(self) -> str:
        """The cluster's endpoint, without a trailing slash."""
        return self.request_client.endpoint

    def __repr__(self) -> str:
        return f"Client({self.endpoint!r})"

    def bucket(self, name: str, provider: str = "ais", namespace: str = "") -> Bucket:
        """Bucket ``name`` (no request is sent); ``namespace`` as ``"@<uuid>#<name>"``."""
        return Bucket(self.request_client, name, provider, namespace)

    def cluster(self) -> Cluster:
        """Cluster-wide calls: readiness, cluster map, version, bucket list."""
        return Cluster(self.request_client)

    def batch(
        self,
        objects: Sequence[Object | str] | Object | str | None = None,
        bucket: Bucket | None = None,
        output_format: str = ".tar",
        cont_on_err: bool = True,
        only_obj_name: bool = False,
        streaming_get: bool = True,
        colocation: Colocation | int = Colocation.NONE,
    ) -> Batch:
        """A GetBatch request: many objects, archived files or byte ranges in one request
        (no request is sent until ``get()``). Same arguments as the official
        ``Client.batch``; see :class:`~aisref.client.get_batch.Batch`."""
        return Batch(
            self.request_client,
            objects,
            bucket,
            output_format=output_format,
            cont_on_err=cont_on_err,
            only_obj_name=only_obj_name,
            streaming_get=streaming_get,
            colocation=colocation,
        )
