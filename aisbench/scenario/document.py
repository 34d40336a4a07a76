"""The scenario file's schema (pydantic, strict): what keys exist and which values they allow.

Every field says, in ``json_schema_extra["allowed"]``, what it accepts in words; load.py quotes
that in its error messages. Validators that need to say more raise PydanticCustomError with
``problem`` and ``allowed`` (and ``key`` when the error belongs to one field of a section).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from aisbench.scenario.errors import show_value
from aisbench.scenario.model import (
    AcceleratorSettings,
    CaseSettings,
    ClusterSpec,
    DatasetSpec,
    EtlSpec,
    LoaderSettings,
    RunSettings,
    SizeRange,
)
from aisbench.scenario.sizes import SIZE_SYNTAX, format_size, parse_size

MAX_WORKERS = 256
MAX_RANKS = 64  # torchrun processes per node
MAX_NODES = 64
NAME_SYNTAX = "lowercase letters, digits, '-' and '_', starting with a letter or digit"
_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_EXTENSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$")
_OBJECT_SIZE_ALLOWED = f"{SIZE_SYNTAX}, or {{min: <size>, max: <size>}} with min <= max"


def allowed(text: str, **field_args: Any) -> Any:
    """A pydantic Field whose allowed values are described as ``text`` for error messages."""
    return Field(json_schema_extra={"allowed": text}, **field_args)


def _size(value: Any) -> int:
    try:
        size = parse_size(value)
    except ValueError as err:
        raise PydanticCustomError(
            "size", "{problem}", {"problem": f"not a size: {err}", "allowed": SIZE_SYNTAX}
        ) from None
    if size < 1:
        raise PydanticCustomError(
            "size", "{problem}", {"problem": "size must be at least 1 byte", "allowed": SIZE_SYNTAX}
        )
    return size


def _size_range(value: Any) -> SizeRange:
    if isinstance(value, dict):
        if set(value) != {"min", "max"}:
            raise PydanticCustomError(
                "size_range",
                "{problem}",
                {
                    "problem": "a size range needs exactly the keys min and max",
                    "allowed": _OBJECT_SIZE_ALLOWED,
                },
            )
        low, high = _size(value["min"]), _size(value["max"])
        if low > high:
            raise PydanticCustomError(
                "size_range",
                "{problem}",
                {"problem": "min is larger than max", "allowed": _OBJECT_SIZE_ALLOWED},
            )
        return SizeRange(low, high)
    size = _size(value)
    return SizeRange(size, size)


Size = Annotated[int, BeforeValidator(_size)]
ObjectSize = Annotated[SizeRange, BeforeValidator(_size_range)]


class _Section(BaseModel):
    # strict: YAML "2" stays a string and `true` is not 1; a typo'd key is an error, not ignored.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ClusterDoc(_Section):
    """``cluster:``"""

    backend: Literal["local", "docker", "external"] = allowed(
        "local, docker, external ($AIS_ENDPOINT)", default="local"
    )
    proxies: int = allowed(f"an integer 1..{MAX_NODES}", default=1, ge=1, le=MAX_NODES)
    targets: int = allowed(f"an integer 1..{MAX_NODES}", default=2, ge=1, le=MAX_NODES)
    mountpaths: int = allowed("an integer 1..16", default=1, ge=1, le=16)

    def to_value(self) -> ClusterSpec:
        return ClusterSpec(self.backend, self.proxies, self.targets, self.mountpaths)


class DatasetDoc(_Section):
    """``dataset:``; which size keys belong depends on ``kind``."""

    kind: Literal["objects", "shards"] = allowed("objects, shards")
    count: int = allowed("an integer >= 1 (objects, or shards)", ge=1)
    object_size: ObjectSize | None = allowed(_OBJECT_SIZE_ALLOWED + " (objects only)", default=None)
    samples_per_shard: int | None = allowed("an integer >= 1 (shards only)", default=None, ge=1)
    members: dict[str, Size] | None = allowed(
        "a mapping of file extension -> size, e.g. {jpg: 16KiB, cls: 8B} (shards only)",
        default=None,
        min_length=1,
    )
    seed: int = allowed("an integer >= 0", default=0, ge=0)

    @field_validator("members")
    @classmethod
    def _extensions_are_plain(cls, members: dict[str, int] | None) -> dict[str, int] | None:
        for ext in members or {}:
            if not _EXTENSION_PATTERN.match(ext):
                raise PydanticCustomError(
                    "extension",
                    "{problem}",
                    {
                        "problem": f"member extension {ext!r} is not a plain extension",
                        "allowed": "letters, digits, '-', '_' and inner dots, e.g. jpg, seg.png",
                    },
                )
        return members

    @model_validator(mode="after")
    def _fields_match_kind(self) -> DatasetDoc:
        if self.kind == "objects":
            _require(self.object_size is not None, "object_size", "objects datasets need it")
            _forbid(self.samples_per_shard, "samples_per_shard", "objects")
            _forbid(self.members, "members", "objects")
        else:
            _require(self.samples_per_shard is not None, "samples_per_shard", "shards need it")
            _require(self.members is not None, "members", "shards need it")
            _forbid(self.object_size, "object_size", "shards")
        return self

    def to_value(self) -> DatasetSpec:
        return DatasetSpec(
            kind=self.kind,
            count=self.count,
            seed=self.seed,
            object_size=self.object_size,
            samples_per_shard=self.samples_per_shard,
            members=tuple((self.members or {}).items()),
        )


class LoaderDoc(_Section):
    """``loader:`` (torch DataLoader settings)"""

    num_workers: int = allowed(
        f"an integer 0..{MAX_WORKERS} (0 = load in the main process)",
        default=0,
        ge=0,
        le=MAX_WORKERS,
    )
    batch_size: int = allowed("an integer 1..1000000", default=32, ge=1, le=1_000_000)
    prefetch_factor: int = allowed("an integer 1..1024", default=2, ge=1, le=1024)
    persistent_workers: bool = allowed("true, false", default=False)
    ranks: int = allowed(
        f"an integer 1..{MAX_RANKS} (torch.distributed ranks per node; 1 = no torchrun)",
        default=1,
        ge=1,
        le=MAX_RANKS,
    )
    get_batch_size: int | None = allowed(
        "an integer 1..1000000: objects per GetBatch request of the batch-iter strategies "
        "and aisloader-getbatch (default: batch_size)",
        default=None,
        ge=1,
        le=1_000_000,
    )

    def to_value(self) -> LoaderSettings:
        return LoaderSettings(
            self.num_workers,
            self.batch_size,
            self.prefetch_factor,
            self.persistent_workers,
            self.ranks,
            self.get_batch_size,
        )


class EtlDoc(_Section):
    """``etl:``"""

    name: str = allowed(NAME_SYNTAX, pattern=_NAME_PATTERN.pattern)
    args: str = allowed("a string passed to the ETL", default="")

    def to_value(self) -> EtlSpec:
        return EtlSpec(self.name, self.args)


class AcceleratorDoc(_Section):
    """``accelerator:``"""

    compute_ms_per_batch: float = allowed(
        "a number of milliseconds >= 0", default=0.0, ge=0, allow_inf_nan=False
    )

    def to_value(self) -> AcceleratorSettings:
        return AcceleratorSettings(self.compute_ms_per_batch)


class RunDoc(_Section):
    """``run:``; exactly one of duration_s and epochs."""

    duration_s: float | None = allowed(
        "a number of seconds > 0 (or set epochs instead)", default=None, gt=0, allow_inf_nan=False
    )
    epochs: int | None = allowed("an integer >= 1 (or set duration_s instead)", default=None, ge=1)
    warmup_s: float = allowed("a number of seconds >= 0", default=2.0, ge=0, allow_inf_nan=False)
    repeats: int = allowed("an integer 1..100", default=3, ge=1, le=100)

    @model_validator(mode="after")
    def _exactly_one_length(self) -> RunDoc:
        if (self.duration_s is None) == (self.epochs is None):
            got = (
                "neither"
                if self.duration_s is None
                else (f"duration_s={self.duration_s:g} and epochs={self.epochs}")
            )
            raise PydanticCustomError(
                "run_length",
                "{problem}",
                {
                    "problem": "set exactly one of duration_s or epochs",
                    "key": "duration_s",
                    "got": got,
                    "allowed": "duration_s: <seconds> or epochs: <count>",
                },
            )
        return self

    def to_value(self) -> RunSettings:
        return RunSettings(self.duration_s, self.epochs, self.warmup_s, self.repeats)


class ScenarioDoc(_Section):
    """A whole scenario file without ``matrix`` and ``exclude`` (load.py handles those)."""

    name: str | None = allowed(NAME_SYNTAX, default=None, pattern=_NAME_PATTERN.pattern)
    description: str = allowed("one line of text", default="")
    cluster: ClusterDoc = allowed("a mapping", default_factory=ClusterDoc)
    dataset: DatasetDoc = allowed("a mapping with kind, count and the kind's sizes")
    strategy: str = allowed("a registered strategy name")
    loader: LoaderDoc = allowed("a mapping", default_factory=LoaderDoc)
    etl: EtlDoc | None = allowed("null, or {name: <etl name>, args: <string>}", default=None)
    transform: Literal["none", "decode", "hash", "resize"] = allowed(
        "none, decode, hash, resize", default="none"
    )
    accelerator: AcceleratorDoc = allowed("a mapping", default_factory=AcceleratorDoc)
    run: RunDoc = allowed("a mapping with duration_s or epochs, warmup_s, repeats")

    @field_validator("strategy")
    @classmethod
    def _strategy_is_registered(cls, strategy: str, info: ValidationInfo) -> str:
        known: Collection[str] = (info.context or {}).get("strategies", ())
        if strategy not in known:
            close = difflib.get_close_matches(strategy, list(known), n=1)
            hint = f", did you mean {close[0]!r}?" if close else ""
            raise PydanticCustomError(
                "strategy",
                "{problem}",
                {
                    "problem": f"unknown strategy{hint}",
                    "allowed": ", ".join(sorted(known)) or "(no strategies are registered)",
                },
            )
        return strategy

    @field_validator("description")
    @classmethod
    def _description_is_one_line(cls, description: str) -> str:
        if "\n" in description.strip():
            raise PydanticCustomError(
                "description",
                "{problem}",
                {"problem": "must be one line", "allowed": "one line of text"},
            )
        return description.strip()

    def to_settings(self) -> CaseSettings:
        """The validated file as frozen settings values."""
        return CaseSettings(
            cluster=self.cluster.to_value(),
            dataset=self.dataset.to_value(),
            strategy=self.strategy,
            loader=self.loader.to_value(),
            etl=None if self.etl is None else self.etl.to_value(),
            transform=self.transform,
            accelerator=self.accelerator.to_value(),
            run=self.run.to_value(),
        )


def matrix_keys() -> tuple[str, ...]:
    """Every dotted key a matrix may vary: each setting except the name, description and
    dataset.kind (one scenario, one kind of dataset; see scenarios/README.md)."""
    keys: list[str] = []
    for name, info in ScenarioDoc.model_fields.items():
        section = info.annotation
        if name in ("name", "description"):
            continue
        if isinstance(section, type) and issubclass(section, _Section):
            keys.extend(f"{name}.{leaf}" for leaf in section.model_fields if leaf != "kind")
        else:
            keys.append(name)
    return tuple(keys)


def _require(present: bool, key: str, why: str) -> None:
    if not present:
        raise PydanticCustomError(
            "dataset_key",
            "{problem}",
            {
                "problem": f"missing required key ({why})",
                "key": key,
                "got": "nothing",
                "allowed": _field_allowed(DatasetDoc, key),
            },
        )


def _forbid(value: Any, key: str, kind: str) -> None:
    if isinstance(value, SizeRange):
        value = value.label
    elif isinstance(value, dict):
        value = {ext: format_size(size) for ext, size in value.items()}
    if value is not None:
        raise PydanticCustomError(
            "dataset_key",
            "{problem}",
            {
                "problem": f"not used by {kind} datasets",
                "key": key,
                "got": show_value(value),
                "allowed": "object_size for objects; samples_per_shard and members for shards",
            },
        )


def _field_allowed(model: type[BaseModel], key: str) -> str:
    extra = model.model_fields[key].json_schema_extra
    return str(extra["allowed"]) if isinstance(extra, dict) else "see scenarios/README.md"
