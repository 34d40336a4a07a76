"""Scenarios and cases as frozen values: what to measure, fully resolved.

A `Scenario` is one validated YAML file: the settings every case starts from (`defaults`), the
matrix of values to vary and the combinations to leave out. `expand` turns it into `Case`s, each
of which carries every setting the runner needs and nothing it has to look up elsewhere.
Sizes are int bytes, times are float seconds unless the name says otherwise (``_ms``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, TypeAlias

from aisbench.scenario.dataset import (
    DATASET_KINDS,
    DatasetKind,
    DatasetSpec,
    SizeRange,
    canonical_sha256,
    members_label,
)

__all__ = [
    "DATASET_KINDS",
    "AcceleratorSettings",
    "Case",
    "CaseSettings",
    "ClusterSpec",
    "DatasetKind",
    "DatasetSpec",
    "EtlSpec",
    "LoaderSettings",
    "MatrixAxis",
    "RunSettings",
    "Scenario",
    "SizeRange",
]

BACKENDS = ("local", "docker", "external")
TRANSFORMS = ("none", "decode", "hash", "resize")

Backend: TypeAlias = Literal["local", "docker", "external"]
Transform: TypeAlias = Literal["none", "decode", "hash", "resize"]
Scalar: TypeAlias = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    """Which cluster a case runs on; ``external`` means $AIS_ENDPOINT, never started or stopped."""

    backend: Backend = "local"
    proxies: int = 1
    targets: int = 2
    mountpaths: int = 1

    @property
    def topology_label(self) -> str:
        """E.g. "local: 1 proxy, 2 targets, 1 mountpath" (for provenance and reports)."""
        if self.backend == "external":
            return "external"
        return (
            f"{self.backend}: {_plural(self.proxies, 'proxy', 'proxies')}, "
            f"{_plural(self.targets, 'target', 'targets')}, "
            f"{_plural(self.mountpaths, 'mountpath', 'mountpaths')}"
        )


@dataclass(frozen=True, slots=True)
class LoaderSettings:
    """torch DataLoader settings; prefetch_factor and persistent_workers need num_workers > 0.

    ``ranks``: torch.distributed ranks per node, each with its own DataLoader of these
    settings; above 1 the case runs under torchrun (gloo), 1 runs in one plain process.
    ``get_batch_size``: objects per GetBatch request of the strategies that read by
    GetBatch requests of their own (the batch-iter datasets, aisloader's GetBatch);
    None: ``batch_size``.
    """

    num_workers: int = 0
    batch_size: int = 32
    prefetch_factor: int = 2
    persistent_workers: bool = False
    ranks: int = 1
    get_batch_size: int | None = None

    @property
    def objects_per_get_batch(self) -> int:
        """Objects per GetBatch request: ``get_batch_size``, else ``batch_size``."""
        return self.get_batch_size or self.batch_size

    def dataloader_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``torch.utils.data.DataLoader`` that torch accepts as given.

        torch refuses prefetch_factor and persistent_workers without worker processes, so a
        num_workers=0 case leaves them out instead of failing.
        """
        kwargs: dict[str, Any] = {"num_workers": self.num_workers, "batch_size": self.batch_size}
        if self.num_workers > 0:
            kwargs["prefetch_factor"] = self.prefetch_factor
            kwargs["persistent_workers"] = self.persistent_workers
        return kwargs


@dataclass(frozen=True, slots=True)
class EtlSpec:
    """An ETL the cluster applies on read (runs only where the cluster has ETL)."""

    name: str
    args: str = ""


@dataclass(frozen=True, slots=True)
class AcceleratorSettings:
    """Emulated accelerator: sleep this long per batch, as DLIO / MLPerf Storage do."""

    compute_ms_per_batch: float = 0.0

    @property
    def compute_s_per_batch(self) -> float:
        """The same time in seconds."""
        return self.compute_ms_per_batch / 1000.0


@dataclass(frozen=True, slots=True)
class RunSettings:
    """How long each repeat lasts: exactly one of duration_s (seconds) or epochs.

    The warmup always lasts ``warmup_s`` seconds and is recorded but never averaged in.
    """

    duration_s: float | None = 10.0
    epochs: int | None = None
    warmup_s: float = 2.0
    repeats: int = 3

    def __post_init__(self) -> None:
        if (self.duration_s is None) == (self.epochs is None):
            raise ValueError("exactly one of run.duration_s or run.epochs must be set")

    @property
    def mode(self) -> Literal["duration", "epochs"]:
        """ "duration" when each repeat lasts duration_s seconds, "epochs" when it reads epochs."""
        return "duration" if self.duration_s is not None else "epochs"


@dataclass(frozen=True, slots=True)
class CaseSettings:
    """Everything a case is made of, before the matrix varies it."""

    cluster: ClusterSpec
    dataset: DatasetSpec
    strategy: str
    loader: LoaderSettings = field(default_factory=LoaderSettings)
    etl: EtlSpec | None = None
    transform: Transform = "none"
    accelerator: AcceleratorSettings = field(default_factory=AcceleratorSettings)
    run: RunSettings = field(default_factory=RunSettings)

    def with_value(self, key: str, value: Any) -> CaseSettings:
        """A copy with the dotted ``key`` ("loader.num_workers") set to ``value``."""
        section, _, leaf = key.partition(".")
        if not leaf:
            return replace(self, **{section: value})
        return replace(self, **{section: replace(getattr(self, section), **{leaf: value})})

    def value_at(self, key: str) -> Any:
        """The value at the dotted ``key``."""
        value: Any = self
        for part in key.split("."):
            value = getattr(value, part)
        return value


@dataclass(frozen=True, slots=True)
class Case:
    """One fully resolved benchmark case of a scenario.

    ``case_id`` is built from the matrix values only ("strategy=aisref-map,num_workers=2"; "default"
    when there is no matrix), so it stays the same across runs while the scenario's matrix does.
    ``params`` maps the same short names to the values (sizes as int bytes when fixed).
    """

    scenario: str
    case_id: str
    params: Mapping[str, Scalar]
    settings: CaseSettings

    # Shortcuts, so a case reads like the YAML: case.loader.num_workers, case.run.repeats.
    @property
    def cluster(self) -> ClusterSpec:
        return self.settings.cluster

    @property
    def dataset(self) -> DatasetSpec:
        return self.settings.dataset

    @property
    def strategy(self) -> str:
        return self.settings.strategy

    @property
    def loader(self) -> LoaderSettings:
        return self.settings.loader

    @property
    def etl(self) -> EtlSpec | None:
        return self.settings.etl

    @property
    def transform(self) -> Transform:
        return self.settings.transform

    @property
    def accelerator(self) -> AcceleratorSettings:
        return self.settings.accelerator

    @property
    def run(self) -> RunSettings:
        return self.settings.run

    @property
    def config_hash(self) -> str:
        """SHA-256 (hex) of all settings: equal hashes measured the same thing."""
        return canonical_sha256(settings_to_dict(self.settings))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, e.g. to hand a case to a fresh worker process; see `from_dict`."""
        return {
            "scenario": self.scenario,
            "case_id": self.case_id,
            "params": dict(self.params),
            "settings": settings_to_dict(self.settings),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Case:
        """Inverse of `to_dict`."""
        return cls(
            scenario=data["scenario"],
            case_id=data["case_id"],
            params=dict(data["params"]),
            settings=settings_from_dict(data["settings"]),
        )


@dataclass(frozen=True, slots=True)
class MatrixAxis:
    """One varied key ("loader.num_workers") and its values, in file order."""

    key: str
    values: tuple[Any, ...]

    @property
    def label(self) -> str:
        """The short name used in case ids and params: the key's last part."""
        return self.key.rsplit(".", 1)[-1]


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated scenario file.

    ``defaults`` holds the file's settings with each matrix key at its first value; ``matrix``
    holds the varied keys in file order; ``excludes`` the combinations left out (a case is
    dropped when it matches every (key, value) of any one exclude).
    """

    name: str
    description: str
    source: Path | None
    defaults: CaseSettings
    matrix: tuple[MatrixAxis, ...] = ()
    excludes: tuple[tuple[tuple[str, Any], ...], ...] = ()

    @property
    def scenario_hash(self) -> str:
        """SHA-256 (hex) of what decides the cases: defaults, matrix and excludes.

        The name, description and file path are left out: renaming a file or rewording its
        description does not change what is measured.
        """
        return canonical_sha256(
            {
                "defaults": settings_to_dict(self.defaults),
                "matrix": [
                    [axis.key, [to_jsonable(v) for v in axis.values]] for axis in self.matrix
                ],
                "excludes": [[[k, to_jsonable(v)] for k, v in entry] for entry in self.excludes],
            }
        )


def param_value(value: Any) -> Scalar:
    """The scalar a matrix value shows as in ``Case.params``."""
    if isinstance(value, SizeRange):
        return value.min_bytes if value.is_fixed else value.label
    if isinstance(value, EtlSpec):
        return value.name
    if isinstance(value, tuple):
        return members_label(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"no parameter form for {value!r}")


def param_label(value: Any) -> str:
    """How a matrix value reads in a case id: sizes as "16KiB", booleans as true/false."""
    if isinstance(value, SizeRange):
        return value.label
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(param_value(value))


def to_jsonable(value: Any) -> Any:
    """Plain JSON types for any settings value (dataclasses become dicts, tuples lists)."""
    if isinstance(value, SizeRange):
        return {"min": value.min_bytes, "max": value.max_bytes}
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple):
        return [to_jsonable(v) for v in value]
    return value


def settings_to_dict(settings: CaseSettings) -> dict[str, Any]:
    """JSON form of all settings (sizes as bytes, object_size as {"min", "max"})."""
    result: dict[str, Any] = to_jsonable(settings)
    return result


def settings_from_dict(data: Mapping[str, Any]) -> CaseSettings:
    """Inverse of `settings_to_dict`."""
    dataset = dict(data["dataset"])
    size = dataset.get("object_size")
    dataset["object_size"] = None if size is None else SizeRange(size["min"], size["max"])
    dataset["members"] = tuple((ext, int(n)) for ext, n in dataset.get("members", ()))
    etl = data.get("etl")
    return CaseSettings(
        cluster=ClusterSpec(**data["cluster"]),
        dataset=DatasetSpec(**dataset),
        strategy=data["strategy"],
        loader=LoaderSettings(**data["loader"]),
        etl=None if etl is None else EtlSpec(**etl),
        transform=data["transform"],
        accelerator=AcceleratorSettings(**data["accelerator"]),
        run=RunSettings(**data["run"]),
    )


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"
