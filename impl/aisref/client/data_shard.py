"""DataShard: a picklable description of "objects under a prefix in a bucket" for datasets."""

from __future__ import annotations

import os
from dataclasses import dataclass

from aisref.client.bucket import Bucket
from aisref.client.client import Client

# One Client per (process, endpoint): cheap to reach from many shards, never shared across fork.
_CLIENTS: dict[tuple[int, str], Client] = {}


@dataclass(frozen=True)
class DataShard:
    """Shards (objects) of ``bucket_name`` under ``prefix`` on the cluster at ``client_url``.

    A plain value: pickles as its five fields; ``client`` and ``bucket`` are built on use.
    """

    client_url: str
    bucket_name: str
    provider: str = "ais"
    prefix: str = ""
    etl_name: str | None = None

    @property
    def client(self) -> Client:
        """A :class:`Client` for ``client_url``, one per process."""
        key = (os.getpid(), self.client_url)
        client = _CLIENTS.get(key)
        if client is None:
            client = _CLIENTS[key] = Client(self.client_url)
        return client

    @property
    def bucket(self) -> Bucket:
        """The shard's bucket, on this process's client."""
        return self.client.bucket(self.bucket_name, self.provider)
