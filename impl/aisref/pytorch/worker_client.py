"""WorkerRequestClient: one HTTP session per process, DataLoader worker and thread."""

from __future__ import annotations

import os
import threading
from typing import Any

import requests
from torch.utils.data import get_worker_info

from aisref.client import RequestClient


def _worker_id() -> int | None:
    info = get_worker_info()
    return None if info is None else info.id


class WorkerRequestClient(RequestClient):
    """A :class:`~aisref.client.RequestClient` safe to use from DataLoader workers.

    ``requests.Session`` is neither fork-safe (pooled sockets inherited by a child would
    interleave two processes' bytes) nor documented thread-safe. This client therefore hands
    out a session per (process id, DataLoader worker id) *and per thread*, created lazily on
    first use, and pickles without any session, so the dataset carrying it can be sent to
    spawned workers. Datasets install it on their sources themselves.

    It counts retries into ``client``'s :attr:`~aisref.client.RequestClient.retry_count`, so
    ``client.retries_made`` and this client's both include the retries made in forked
    DataLoader workers (one shared count: sum one of them, not both).

    Args:
        client: the client whose settings (endpoint, timeout, retries, token, TLS) to copy and
            whose retry count to share.
    """

    def __init__(self, client: RequestClient) -> None:
        super().__init__(
            client.endpoint,
            timeout=client.timeout,
            retries=client.retries,
            token=client.token,
            verify=client.verify,
            retry_budget=client.retry_policy.budget,
            retry_count=client.retry_count,
        )
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        """The session of the calling process, DataLoader worker and thread (made lazily)."""
        owner = (os.getpid(), _worker_id())
        local = self._local
        if getattr(local, "owner", None) != owner:
            local.session = self.new_session()
            local.owner = owner
        session: requests.Session = local.session
        return session

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        del state["_local"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._local = threading.local()
