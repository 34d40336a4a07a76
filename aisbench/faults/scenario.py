"""A faults scenario file (``kind: faults``): which faults to inject into which datasets.

Validated as strictly as a measuring scenario (pydantic, one-line `ScenarioError` naming the
file, the key and what is allowed) and turned into a frozen `FaultScenario`. The ``cluster``
section is the measuring scenario's, held to what faults need; ``faults`` takes one key per
fault of the registry (registry.py), each with the settings its module declares. A fault runs
when its key is present; ``{}`` or ``null`` takes its defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from aisbench.cluster import Topology
from aisbench.faults.bench import DataShape
from aisbench.faults.epoch_run import INJECT_AFTER
from aisbench.faults.id_loaders import (
    DATASET_KINDS,
    SHARD_KINDS,
    SOAK_KINDS,
    KindName,
    SoakKindName,
    samples_in_flight,
)
from aisbench.faults.kinds import FaultSettings
from aisbench.faults.registry import FAULT_KINDS
from aisbench.scenario import (
    NAME_SYNTAX,
    ClusterDoc,
    ScenarioError,
    allowed,
    raise_from_validation,
)

_OBJECT_KINDS = frozenset(DATASET_KINDS) - frozenset(SHARD_KINDS)
_KINDS_TEXT = ", ".join(DATASET_KINDS)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class DataDoc(_Section):
    objects: int = allowed("16..10000, enough for the workers' prefetch", default=48, ge=16,
                           le=10_000)
    shards: int = allowed("2..1000", default=9, ge=2, le=1000)
    samples_per_shard: int = allowed("1..1000", default=4, ge=1, le=1000)


class _FaultsBase(_Section):
    @model_validator(mode="before")
    @classmethod
    def _null_means_defaults(cls, data: Any) -> Any:
        # "target_kill:" with nothing after it asks for the fault with its defaults.
        if isinstance(data, dict):
            return {key: ({} if value is None else value) for key, value in data.items()}
        return data


# ``faults:``: one optional key per fault of the registry, taking that fault's settings.
if TYPE_CHECKING:
    FaultsDoc = _FaultsBase
else:
    FaultsDoc = create_model("FaultsDoc", __base__=_FaultsBase, **{
        kind.key: (kind.settings | None, allowed(kind.summary, default=None))
        for kind in FAULT_KINDS})


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
    cluster: ClusterDoc = allowed("a mapping", default_factory=lambda: ClusterDoc(targets=3))
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
    def _a_cluster_a_fault_may_hurt(self) -> FaultScenarioDoc:
        # The measuring scenario's cluster section, with what fault injection needs: nodes of
        # its own to kill (local processes), and a target left serving when one goes down.
        if self.cluster.backend != "local":
            raise PydanticCustomError("backend", "{problem}", {
                "problem": "a faults scenario kills and freezes nodes of a cluster of its own",
                "key": "cluster.backend", "got": self.cluster.backend, "allowed": "local"})
        if self.cluster.targets < 2:
            raise PydanticCustomError("targets", "{problem}", {
                "problem": "a fault takes one target down; another must keep serving",
                "key": "cluster.targets", "got": str(self.cluster.targets),
                "allowed": "2..16"})
        return self

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
        if self.soak is None and all(getattr(self.faults, kind.key) is None
                                     for kind in FAULT_KINDS):
            raise PydanticCustomError("empty", "{problem}", {
                "problem": "no fault and no soak: nothing to run", "key": "faults",
                "allowed": ", ".join(k.key for k in FAULT_KINDS) + " (and/or a soak section)"})
        return self


@dataclass(frozen=True)
class SoakSettings:
    seconds: float
    datasets: tuple[str, ...]
    num_workers: int
    max_epochs: int


@dataclass(frozen=True)
class FaultScenario:
    """A validated faults scenario. ``faults``: the settings of each fault that runs, by its
    key (registry order)."""

    name: str
    description: str
    source: Path
    topology: Topology
    shape: DataShape
    datasets: tuple[str, ...]
    num_workers: tuple[int, ...]
    faults: Mapping[str, FaultSettings]
    soak: SoakSettings | None

    def settings(self) -> dict[str, Any]:
        """Plain values for the run's record of what ran (and the scenario's hash)."""
        return {
            "topology": asdict(self.topology), "data": asdict(self.shape),
            "datasets": list(self.datasets), "num_workers": list(self.num_workers),
            "faults": {key: value.model_dump() for key, value in self.faults.items()},
            "soak": None if self.soak is None else asdict(self.soak),
        }


def fault_scenario_from_document(path: Path, document: dict[str, Any]) -> FaultScenario:
    """Validate a parsed ``kind: faults`` YAML document; raise ScenarioError on any mistake."""
    try:
        doc = FaultScenarioDoc.model_validate(document)
    except ValidationError as err:
        raise_from_validation(str(path), err, override_where=None, root=FaultScenarioDoc)
    description = doc.description.strip()
    if "\n" in description:
        raise ScenarioError(str(path), "description", "must be one line", "several lines",
                            "one line of text")
    chosen = {kind.key: getattr(doc.faults, kind.key) for kind in FAULT_KINDS}
    return FaultScenario(
        name=doc.name or path.stem, description=description, source=path,
        topology=Topology(proxies=doc.cluster.proxies, targets=doc.cluster.targets,
                          mountpaths=doc.cluster.mountpaths),
        shape=DataShape(doc.data.objects, doc.data.shards, doc.data.samples_per_shard),
        datasets=tuple(doc.datasets), num_workers=tuple(doc.num_workers),
        faults={key: value for key, value in chosen.items() if value is not None},
        soak=(SoakSettings(doc.soak.seconds, tuple(doc.soak.datasets), doc.soak.num_workers,
                           doc.soak.max_epochs) if doc.soak else None),
    )
