"""A slow, lossy network: the userspace link in front of the primary proxy (always available)
and kernel netem in a network namespace of our own (where the kernel has sch_netem).

Each function returns the `FaultOutcome` of one epoch; netem returns a SKIPPED outcome with the
kernel's own words where it cannot run, never a made-up result.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import field_validator
from pydantic_core import PydanticCustomError

from aisbench.cluster import LocalCluster
from aisbench.datagen import FaultData
from aisbench.errors import InvalidValue
from aisbench.faults.bench import FaultBench
from aisbench.faults.epoch_run import join_notes, patient, run_epoch
from aisbench.faults.kinds import EpochFault, FaultSettings, OwnClusterFault, Step
from aisbench.faults.netem import in_namespace_argv, netem_unavailable_reason, network_namespace
from aisbench.faults.tcp_proxy import FaultyTcpProxy, LinkFaults
from aisbench.results import SKIPPED, FaultOutcome, outcome_from_dict
from aisbench.scenario import allowed

NETEM_TIMEOUT_S = 120.0


def link_label(faults: LinkFaults) -> str:
    """E.g. "slow link: 20 ms per chunk, every 3rd request dropped (first hop)"."""
    drop = (f"every {_ordinal(faults.drop_every)} request dropped" if faults.drop_every
            else "nothing dropped")
    return f"slow link: {faults.delay_s * 1000:g} ms per chunk, {drop} (first hop)"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class LinkObservation:
    """An epoch through the faulty link, and the HTTP requests the link saw and dropped."""

    outcome: FaultOutcome
    requests_seen: int
    requests_dropped: int


def slow_lossy_link(data: FaultData, node_urls: Sequence[str], kind: str, workers: int,
                    faults: LinkFaults) -> LinkObservation:
    """One epoch through a userspace link in front of the primary proxy at ``data.endpoint``
    that delays every chunk and drops every N-th request; retries should make it complete
    exactly once. ``node_urls``: the targets an error may name."""
    port = urlsplit(data.endpoint).port
    if port is None:
        raise InvalidValue(f"endpoint {data.endpoint} has no port")
    with FaultyTcpProxy(port, faults) as link:
        via_link = dataclasses.replace(data, endpoint=link.url)
        outcome = run_epoch(via_link, [link.url, *node_urls], link_label(faults), kind, workers,
                            patient, lambda: None, inject_after=0)
        seen, dropped = link.requests_seen, link.requests_dropped
    notes = join_notes(outcome.notes, f"{dropped} of {seen} requests dropped; object bytes "
                       "come from targets directly")
    return LinkObservation(dataclasses.replace(outcome, notes=notes), seen, dropped)


def netem_label(delay_ms: int, loss_pct: float) -> str:
    return f"netem: {delay_ms} ms delay, {loss_pct:g} % loss (every hop)"


def netem_epoch(state_dir: Path, aisnode: Path, delay_ms: int, loss_pct: float) -> FaultOutcome:
    """One AISMapDataset epoch with netem on the loopback of a namespace of our own, cluster
    and loader inside it (see netem_run); SKIPPED with the reason where netem is unavailable."""
    fault = netem_label(delay_ms, loss_pct)
    reason = netem_unavailable_reason()
    if reason is not None:
        return FaultOutcome(fault=fault, dataset="AISMapDataset", num_workers=0,
                            outcome=SKIPPED, expected=0, seen=0, duplicates=0, missing=0,
                            duration_s=0.0, notes=reason)
    try:
        with network_namespace(f"aisbench-netem-{uuid.uuid4().hex[:6]}") as namespace:
            argv = in_namespace_argv(namespace, "aisbench.faults.netem_run",
                                     [str(state_dir), str(aisnode), "--netem", str(delay_ms),
                                      str(loss_pct)])
            proc = subprocess.run(argv, capture_output=True, text=True,
                                  timeout=NETEM_TIMEOUT_S, check=False)
    finally:
        LocalCluster(state_dir, find_aisnode=lambda: aisnode).down()  # if the run was cut off
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"the netem run in its namespace failed ({proc.returncode}): "
                           f"{tail[0]}")
    return outcome_from_dict(json.loads(proc.stdout))


# --- as the scenario names them (see kinds.py) ---------------------------------------------


class SlowLinkSettings(FaultSettings):
    delay_ms: float = allowed("0..1000 ms per forwarded chunk", default=20.0, ge=0, le=1000)
    drop_every: int = allowed("0 (none) or N >= 2: drop every N-th request", default=3, ge=0,
                              le=1000)

    @field_validator("drop_every")
    @classmethod
    def _not_every_request(cls, value: int) -> int:
        if value == 1:
            raise PydanticCustomError("drop_every", "{problem}", {
                "problem": "dropping every request leaves nothing to measure",
                "allowed": "0 (none) or N >= 2"})
        return value


class NetemSettings(FaultSettings):
    delay_ms: int = allowed("0..1000 ms", default=20, ge=0, le=1000)
    loss_pct: float = allowed("0..50 percent", default=2.0, ge=0, le=50)


def _slow_link(settings: SlowLinkSettings, bench: FaultBench, kind: str,
               workers: int) -> FaultOutcome:
    link = LinkFaults(settings.delay_ms / 1000.0, settings.drop_every)
    return slow_lossy_link(bench.data, bench.target_urls(), kind, workers, link).outcome


def _netem_steps(settings: NetemSettings, state_dir: Path, aisnode: Path) -> Iterator[Step]:
    yield Step("netem", lambda: netem_epoch(state_dir, aisnode, settings.delay_ms,
                                            settings.loss_pct))


SLOW_LINK = EpochFault("slow_link", SlowLinkSettings, "{delay_ms, drop_every}", "slow link",
                       _slow_link)
NETEM = OwnClusterFault("netem", NetemSettings, "{delay_ms, loss_pct}", _netem_steps)
