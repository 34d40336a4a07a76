"""Readiness and identity of a running cluster, over AIStore's REST API.

An HTTPS cluster's endpoint starts with https://. How to reach it travels as one value,
:class:`ClusterAccess`: whom to trust for TLS, and the token a cluster with auth wants.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from aisbench.cluster.base import ClusterNotReady
from aisbench.cluster.binaries import tidy_version

_POLL_S = 0.5



@dataclass(frozen=True)
class ClusterAccess:
    """How to talk to a cluster's REST API.

    Attributes:
        verify: requests' `verify`: True (the system's CAs) or the path of a CA bundle (PEM).
        token: bearer token for a cluster that requires one; kept out of ``repr``.
    """

    verify: bool | str = True
    token: str | None = field(default=None, repr=False)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


OPEN = ClusterAccess()


def is_ready(endpoint: str, timeout_s: float = 2.0, *, access: ClusterAccess = OPEN) -> bool:
    """True once the primary proxy has finished starting (503 before, 200 after)."""
    try:
        response = requests.get(f"{endpoint}/v1/health", params={"prr": "true"},
                                timeout=timeout_s, verify=access.verify,
                                headers=access.headers)
    except requests.RequestException:
        return False
    return response.status_code == 200


def fetch_smap(endpoint: str, timeout_s: float = 5.0, *,
               access: ClusterAccess = OPEN) -> dict[str, Any]:
    """The cluster map: {"uuid": ..., "pmap": {id: node}, "tmap": {id: node}, ...}."""
    response = requests.get(f"{endpoint}/v1/daemon", params={"what": "smap"}, timeout=timeout_s,
                            verify=access.verify, headers=access.headers)
    response.raise_for_status()
    smap: dict[str, Any] = response.json()
    return smap


def running_jobs(endpoint: str, kind: str, timeout_s: float = 5.0, *,
                 access: ClusterAccess = OPEN) -> list[str]:
    """The cluster's running jobs (xactions) of ``kind``, e.g. ``["rebalance[g2]"]``; [] when
    none runs. Asks every target through the proxy, so it fails while a target is down."""
    response = requests.get(f"{endpoint}/v1/cluster", params={"what": "running_all"},
                            json={"kind": kind, "active": True}, timeout=timeout_s,
                            verify=access.verify, headers=access.headers)
    response.raise_for_status()
    return [str(job) for job in response.json() or []]


def cluster_version(endpoint: str, timeout_s: float = 5.0, *,
                    access: ClusterAccess = OPEN) -> str | None:
    """The AIStore version the primary reports ("5.0.v1.5.0"; "5.0" from an unstamped build),
    or None when it does not answer."""
    try:
        response = requests.get(f"{endpoint}/v1/daemon", params={"what": "node_status"},
                                timeout=timeout_s, verify=access.verify,
                                headers=access.headers)
        response.raise_for_status()
    except requests.RequestException:
        return None
    version = response.json().get("ais_version")
    return tidy_version(str(version)) if version else None


def wait_ready(
    endpoint: str,
    expected_targets: int,
    timeout_s: float,
    check: Callable[[], None] | None = None,
    describe_failure: Callable[[], str] | None = None,
    *,
    access: ClusterAccess = OPEN,
) -> None:
    """Block until the primary is ready and `expected_targets` targets have joined.

    `check` runs on every poll and may raise (e.g. when a node process has died);
    `describe_failure` supplies the log tail for the timeout message.
    """
    deadline = time.monotonic() + timeout_s
    joined = 0
    while time.monotonic() < deadline:
        if check is not None:
            check()
        if is_ready(endpoint, access=access):
            try:
                joined = len(fetch_smap(endpoint, access=access).get("tmap") or {})
            except requests.HTTPError as exc:
                if exc.response is not None and exc.response.status_code in (401, 403):
                    raise ClusterNotReady(
                        f"cluster at {endpoint} refused the readiness check with HTTP "
                        f"{exc.response.status_code}: it requires a token (ClusterAccess.token)"
                    ) from None
                joined = 0
            except requests.RequestException:
                joined = 0
            if joined >= expected_targets:
                return
        time.sleep(_POLL_S)
    detail = describe_failure() if describe_failure else ""
    raise ClusterNotReady(
        f"cluster at {endpoint} not ready after {timeout_s:.0f} s "
        f"({joined}/{expected_targets} targets joined)" + (f"\n{detail}" if detail else "")
    )


def etl_unavailable_reason(endpoint: str, timeout_s: float = 5.0, *,
                           access: ClusterAccess = OPEN) -> str | None:
    """None when the cluster runs ETL; otherwise what it said (e.g. a build without ETL, or no
    Kubernetes: AIStore's ETL runs transformers as Kubernetes pods)."""
    try:
        response = requests.get(f"{endpoint}/v1/etl", timeout=timeout_s, verify=access.verify,
                                headers=access.headers)
    except requests.RequestException as exc:
        return f"cannot ask the cluster about ETL: {exc}"
    if response.status_code == 200:
        return None
    try:
        message = str(response.json().get("message", response.text))
    except ValueError:
        message = response.text.strip()
    return (f"this cluster has no ETL support (HTTP {response.status_code}: {message}); "
            f"AIStore's ETL needs Kubernetes")
