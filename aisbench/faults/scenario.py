"""A faults scenario file (``kind: faults``): which faults to inject into which datasets.

Validated as strictly as a measuring scenario (pydantic, one-line `ScenarioError` naming the
file, the key and what is allowed) and turned into a frozen `FaultScenario`. A fault runs when
its key is present under ``faults``; ``{}`` or ``null`` takes its defaults.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from aisbench.cluster import Topology
from aisbench.faults.bench import DataShape
from aisbench.faults.data_faults import CORRUPTIONS, Corruption
from aisbench.faults.epoch_run import INJECT_AFTER
from aisbench.faults.id_loaders import (
    DATASET_KINDS,
    SHARD_KINDS,
    SOAK_KINDS,
    KindName,
    SoakKindName,
    samples_in_flight,
)
from aisbench.faults.tcp_proxy import LinkFaults
from aisbench.scenario import NAME_SYNTAX, ScenarioError, allowed, raise_from_validation

_OBJECT_KINDS = frozenset(DATASET_KINDS) - frozenset(SHARD_KINDS)
_KINDS_TEXT = ", ".join(DATASET_KINDS)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ClusterDoc(_Section):
    proxies: int = allowed("1..8", default=1, ge=1, le=8)
    targets: int = allowed("2..16 (a fault takes one down; the others keep serving)",
                           default=3, ge=2, le=16)
    mountpaths: int = allowed("1..4", default=1, ge=1, le=4)


class DataDoc(_Section):
    objects: int = allowed("16..10000, enough for the workers' prefetch", default=48, ge=16,
                           le=10_000)
    shards: int = allowed("2..1000", default=9, ge=2, le=1000)
    samples_per_shard: int = allowed("1..1000", default=4, ge=1, le=1000)


class KillRestartDoc(_Section):
    restart_after_s: float = allowed("0..30 seconds", default=1.0, ge=0, le=30)


class NoSettingsDoc(_Section):
    """A fault without settings: ``{}`` or ``null``."""


class FreezeDoc(_Section):
    connect_timeout_s: float = allowed("0.1..30 seconds", default=1.0, ge=0.1, le=30)
    read_timeout_s: float = allowed("0.1..30 seconds", default=1.5, ge=0.1, le=30)


class SlowLinkDoc(_Section):
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


class NetemDoc(_Section):
    delay_ms: int = allowed("0..1000 ms", default=20, ge=0, le=1000)
    loss_pct: float = allowed("0..50 percent", default=2.0, ge=0, le=50)


class CorruptShardDoc(_Section):
    corruptions: list[Literal["truncated", "garbage"]] = allowed(
        "a non-empty list of truncated, garbage", default_factory=lambda: list(CORRUPTIONS),
        min_length=1)


class FaultsDoc(_Section):
    target_kill_restart: KillRestartDoc | None = allowed("{restart_after_s}", default=None)
    target_kill: NoSettingsDoc | None = allowed("{} (no settings)", default=None)
    target_freeze: FreezeDoc | None = allowed("{connect_timeout_s, read_timeout_s}",
                                              default=None)
    kill_while_streaming: NoSettingsDoc | None = allowed("{} (no settings)", default=None)
    slow_link: SlowLinkDoc | None = allowed("{delay_ms, drop_every}", default=None)
    netem: NetemDoc | None = allowed("{delay_ms, loss_pct}", default=None)
    corrupt_shard: CorruptShardDoc | None = allowed("{corruptions}", default=None)
    runner_kill: NoSettingsDoc | None = allowed("{} (no settings)", default=None)

    @model_validator(mode="before")
    @classmethod
    def _null_means_defaults(cls, data: Any) -> Any:
        # "target_kill:" with nothing after it asks for the fault with its defaults.
        if isinstance(data, dict):
            return {key: ({} if value is None else value) for key, value in data.items()}
        return data


class SoakDoc(_Section):
    seconds: float = allowed("1..3600", default=15.0, ge=1, le=3600)
    datasets: list[SoakKindName] = allowed(f"a non-empty list of {', '.join(SOAK_KINDS)}",
                                       default_factory=lambda: list(SOAK_KINDS), min_length=1)
    num_workers: int = allowed("1..16 (persistent workers)", default=2, ge=1, le=16)
    max_epochs: int = allowed("6..100000", default=400, ge=6, le=100_000)


class FaultScenarioDoc(_Section):
    kind: Literal["faults"] = allowed("faults")
    name: str | None = allowed(NAME_SYNTAX, default=None, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = allowed("one line of text", default="")
    cluster: ClusterDoc = allowed("a mapping", default_factory=ClusterDoc)
    data: DataDoc = allowed("a mapping", default_factory=DataDoc)
    datasets: list[KindName] = allowed(f"a non-empty list of {_KINDS_TEXT}",
                                          default_factory=lambda: list(DATASET_KINDS),
                                          min_length=1)
    num_workers: list[int] = allowed("a non-empty list of 0..16", default_factory=lambda: [0, 2],
                                     min_length=1)
    faults: FaultsDoc = allowed("a mapping of fault -> settings", default_factory=FaultsDoc)
    soak: SoakDoc | None = allowed("null, or {seconds, datasets, num_workers, max_epochs}",
                                   default=None)

    @field_validator("datasets", "num_workers")
    @classmethod
    def _unique(cls, values: list[Any]) -> list[Any]:
        repeated = sorted({str(v) for v in values if values.count(v) > 1})
        if repeated:
            raise PydanticCustomError("unique", "{problem}", {
                "problem": f"listed twice: {', '.join(repeated)}", "allowed": "each value once"})
        return values

    @field_validator("num_workers")
    @classmethod
    def _worker_range(cls, values: list[int]) -> list[int]:
        bad = [v for v in values if not 0 <= v <= 16]
        if bad:
            raise PydanticCustomError("range", "{problem}", {
                "problem": f"out of range: {bad[0]}", "allowed": "0..16"})
        return values

    @model_validator(mode="after")
    def _enough_data_to_feel_a_fault(self) -> FaultScenarioDoc:
        # A fault strikes after INJECT_AFTER samples; with workers, prefetched samples are
        # beyond its reach. Less data than that leaves nothing for the fault to hit.
        need = INJECT_AFTER + samples_in_flight(max(self.num_workers)) + INJECT_AFTER
        samples = self.data.shards * self.data.samples_per_shard
        for key, have, used in (
            ("data.objects", self.data.objects, _OBJECT_KINDS & set(self.datasets)),
            ("data.shards", samples, frozenset(SHARD_KINDS) & set(self.datasets)),
        ):
            if used and have < need:
                raise PydanticCustomError("too_little", "{problem}", {
                    "problem": f"too little data for a fault to hit with "
                               f"{max(self.num_workers)} workers prefetching",
                    "key": key, "got": f"{have} samples",
                    "allowed": f"at least {need} samples (objects, or shards x "
                               "samples_per_shard)"})
        return self

    @model_validator(mode="after")
    def _something_to_do(self) -> FaultScenarioDoc:
        if self.soak is None and all(getattr(self.faults, f) is None
                                     for f in FaultsDoc.model_fields):
            raise PydanticCustomError("empty", "{problem}", {
                "problem": "no fault and no soak: nothing to run", "key": "faults",
                "allowed": ", ".join(FaultsDoc.model_fields) + " (and/or a soak section)"})
        return self


@dataclass(frozen=True)
class KillRestartSettings:
    restart_after_s: float


@dataclass(frozen=True)
class FreezeSettings:
    """The client's timeouts for the GET that meets the frozen target."""

    connect_s: float
    read_s: float


@dataclass(frozen=True)
class NetemSettings:
    delay_ms: int
    loss_pct: float


@dataclass(frozen=True)
class SoakSettings:
    seconds: float
    datasets: tuple[str, ...]
    num_workers: int
    max_epochs: int


@dataclass(frozen=True)
class FaultScenario:
    """A validated faults scenario. A fault's settings are None when it does not run."""

    name: str
    description: str
    source: Path
    topology: Topology
    shape: DataShape
    datasets: tuple[str, ...]
    num_workers: tuple[int, ...]
    kill_restart: KillRestartSettings | None
    kill_for_good: bool
    freeze: FreezeSettings | None
    kill_while_streaming: bool
    slow_link: LinkFaults | None
    netem: NetemSettings | None
    corruptions: tuple[Corruption, ...]
    runner_kill: bool
    soak: SoakSettings | None

    def settings(self) -> dict[str, Any]:
        """Plain values for the report's record of what ran."""
        values = asdict(self)
        values["source"] = str(self.source)
        return values


def fault_scenario_from_document(path: Path, document: dict[str, Any]) -> FaultScenario:
    """Validate a parsed ``kind: faults`` YAML document; raise ScenarioError on any mistake."""
    try:
        doc = FaultScenarioDoc.model_validate(document)
    except ValidationError as err:
        raise_from_validation(str(path), err, override_where=None, root=FaultScenarioDoc)
    faults = doc.faults
    description = doc.description.strip()
    if "\n" in description:
        raise ScenarioError(str(path), "description", "must be one line", "several lines",
                            "one line of text")
    return FaultScenario(
        name=doc.name or path.stem, description=description, source=path,
        topology=Topology(proxies=doc.cluster.proxies, targets=doc.cluster.targets,
                          mountpaths=doc.cluster.mountpaths),
        shape=DataShape(doc.data.objects, doc.data.shards, doc.data.samples_per_shard),
        datasets=tuple(doc.datasets), num_workers=tuple(doc.num_workers),
        kill_restart=(KillRestartSettings(faults.target_kill_restart.restart_after_s)
                      if faults.target_kill_restart else None),
        kill_for_good=faults.target_kill is not None,
        freeze=(FreezeSettings(faults.target_freeze.connect_timeout_s,
                               faults.target_freeze.read_timeout_s)
                if faults.target_freeze else None),
        kill_while_streaming=faults.kill_while_streaming is not None,
        slow_link=(LinkFaults(faults.slow_link.delay_ms / 1000.0, faults.slow_link.drop_every)
                   if faults.slow_link else None),
        netem=NetemSettings(faults.netem.delay_ms, faults.netem.loss_pct) if faults.netem else None,
        corruptions=tuple(faults.corrupt_shard.corruptions) if faults.corrupt_shard else (),
        runner_kill=faults.runner_kill is not None,
        soak=(SoakSettings(doc.soak.seconds, tuple(doc.soak.datasets), doc.soak.num_workers,
                           doc.soak.max_epochs) if doc.soak else None),
    )
