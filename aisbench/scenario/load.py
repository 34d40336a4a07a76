"""Read a scenario YAML file into a validated `Scenario`, or fail with one clear line.

Steps: parse YAML (duplicate keys are errors), validate the settings with the pydantic schema
in document.py, then the matrix and excludes, then expand once so a file that loads is a file
that runs. Every failure is a `ScenarioError`:
``<file>: <key path>: <what is wrong> (got <value>; allowed: <allowed values>)``.
"""

from __future__ import annotations

import copy
import difflib
import math
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from aisbench.scenario.document import ScenarioDoc, matrix_keys
from aisbench.scenario.errors import ScenarioError, show_value
from aisbench.scenario.expand import expand
from aisbench.scenario.model import MatrixAxis, Scenario, param_label
from aisbench.scenario.validation_errors import (
    TOP_LEVEL_KEYS,
    first_error,
    key_path,
    raise_from_validation,
    raise_unknown_key,
)

MAX_CASES = 500
FAULTS_KIND = "faults"  # ``kind: faults`` marks a faults scenario (aisbench.faults.scenario)
SCENARIO_SUFFIXES = (".yaml", ".yml")
DEFAULT_SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"


def load_scenario(
    path: str | Path,
    strategies: Collection[str],
    readable_kinds: Mapping[str, Collection[str]] | None = None,
) -> Scenario:
    """Load and validate the scenario at ``path``.

    ``strategies``: the registered strategy names. ``readable_kinds``: optionally, strategy
    name -> the dataset kinds it reads ("objects", "shards"); then pairing a strategy with a
    dataset it cannot read is an error too. Raises ScenarioError (one line, naming the file,
    the key and the allowed values).
    """
    path = Path(path)
    file = str(path)
    document = read_yaml(path)
    if "kind" in document:
        raise ScenarioError(file, "kind", "a faults scenario: `aisbench run` runs it, nothing else "
                            "does" if document["kind"] == FAULTS_KIND else "unknown key",
                            show_value(document["kind"]),
                            f"no kind for a measuring scenario; kind: {FAULTS_KIND} for faults")
    context = {"strategies": frozenset(strategies)}
    # "matrix:" or "exclude:" with nothing after them mean none; anything else is checked.
    raw_matrix = document.pop("matrix", None)
    raw_excludes = document.pop("exclude", None)
    raw_matrix = {} if raw_matrix is None else raw_matrix
    raw_excludes = [] if raw_excludes is None else raw_excludes
    matrix_raw = _check_matrix_shape(file, raw_matrix)
    # The matrix may supply required settings (e.g. strategy), so the base is checked with
    # every matrix key at its first value.
    base = copy.deepcopy(document)
    for key, values in matrix_raw.items():
        _set_dotted(base, key, values[0])
    doc = _validate(file, base, context, matrix_raw)
    axes = tuple(
        _check_axis(file, base, context, key, values) for key, values in matrix_raw.items()
    )
    excludes = _check_excludes(file, base, context, axes, raw_excludes)
    scenario = Scenario(
        name=doc.name or path.stem,
        description=doc.description,
        source=path,
        defaults=doc.to_settings(),
        matrix=axes,
        excludes=excludes,
    )
    if readable_kinds is not None:
        _check_strategies_read_dataset(file, scenario, readable_kinds)
    _check_case_count(file, scenario)
    return scenario


def find_scenario(name_or_path: str | Path, scenarios_dir: Path = DEFAULT_SCENARIOS_DIR) -> Path:
    """Resolve a scenario name ("smoke" -> scenarios/smoke.yaml) or an existing file path."""
    candidate = Path(name_or_path)
    if candidate.is_file():
        return candidate
    for suffix in SCENARIO_SUFFIXES:
        named = scenarios_dir / f"{name_or_path}{suffix}"
        if named.is_file():
            return named
    names = list_scenarios(scenarios_dir)
    close = difflib.get_close_matches(str(name_or_path), names, n=1)
    hint = f", did you mean {close[0]!r}?" if close else ""
    raise ScenarioError(
        str(name_or_path),
        "scenario",
        f"no such scenario file or name{hint}",
        show_value(str(name_or_path)),
        ", ".join(names) or f"none found in {scenarios_dir}",
    )


def list_scenarios(scenarios_dir: Path = DEFAULT_SCENARIOS_DIR) -> list[str]:
    """Names of the scenario files in ``scenarios_dir``, sorted."""
    if not scenarios_dir.is_dir():
        return []
    return sorted(p.stem for p in scenarios_dir.iterdir() if p.suffix in SCENARIO_SUFFIXES)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> dict[str, Any]:
    """The YAML mapping in ``path`` (duplicate keys refused), or a one-line ScenarioError."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(
            file,
            "file",
            "cannot read the scenario file",
            show_value(type(err).__name__),
            "a readable UTF-8 YAML file",
        ) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        raise ScenarioError(
            file,
            where,
            f"YAML syntax error: {err.problem or err.context}",
            show_value(line.strip()),
            "valid YAML (see scenarios/README.md)",
        ) from None
    except yaml.YAMLError as err:
        raise ScenarioError(
            file, "YAML", f"YAML error: {err}", "unparseable text", "valid YAML"
        ) from None
    if not isinstance(data, dict):
        raise ScenarioError(
            file,
            "(top level)",
            "a scenario is a mapping of keys",
            show_value(data),
            ", ".join(TOP_LEVEL_KEYS),
        )
    for key in data:
        if not isinstance(key, str):
            raise_unknown_key(file, "", key, TOP_LEVEL_KEYS)
    return data


def _check_matrix_shape(file: str, raw: Any) -> dict[str, list[Any]]:
    if not isinstance(raw, dict):
        raise ScenarioError(
            file,
            "matrix",
            "not a mapping",
            show_value(raw),
            "a mapping of dotted keys to lists, e.g. {loader.num_workers: [0, 2]}",
        )
    known = matrix_keys()
    for key, values in raw.items():
        if key == "dataset.kind":
            raise ScenarioError(
                file,
                "matrix.dataset.kind",
                "cannot vary: one scenario has one dataset kind",
                show_value(values),
                "one scenario per kind, as strategies-objects and strategies-shards do",
            )
        if key not in known:
            raise_unknown_key(file, "matrix.", key, known)
        if not isinstance(values, list):
            raise ScenarioError(
                file, f"matrix.{key}", "not a list", show_value(values), "a non-empty list"
            )
        if not values:
            raise ScenarioError(
                file,
                f"matrix.{key}",
                "empty list (would expand to no cases)",
                "[]",
                "a non-empty list",
            )
    return raw


def _check_axis(
    file: str, base: dict[str, Any], context: dict[str, Any], key: str, values: list[Any]
) -> MatrixAxis:
    typed: list[Any] = []
    for index, value in enumerate(values):
        typed_value = _typed_value(file, base, context, key, value, f"matrix.{key}[{index}]")
        if typed_value in typed:
            raise ScenarioError(
                file,
                f"matrix.{key}[{index}]",
                "duplicate value (each case must differ)",
                show_value(value),
                "distinct values",
            )
        typed.append(typed_value)
    return MatrixAxis(key, tuple(typed))


def _check_excludes(
    file: str,
    base: dict[str, Any],
    context: dict[str, Any],
    axes: tuple[MatrixAxis, ...],
    raw: Any,
) -> tuple[tuple[tuple[str, Any], ...], ...]:
    if not isinstance(raw, list):
        raise ScenarioError(
            file,
            "exclude",
            "not a list",
            show_value(raw),
            "a list of mappings of matrix keys to values",
        )
    by_key = {axis.key: axis for axis in axes}
    excludes = []
    for index, entry in enumerate(raw):
        where = f"exclude[{index}]"
        if not isinstance(entry, dict) or not entry:
            raise ScenarioError(
                file,
                where,
                "not a non-empty mapping",
                show_value(entry),
                "a mapping of matrix keys to one value each",
            )
        pairs = []
        for key, value in entry.items():
            if key not in by_key:
                raise_unknown_key(file, f"{where}.", key, list(by_key) or ["(no matrix keys)"])
            typed_value = _typed_value(file, base, context, key, value, f"{where}.{key}")
            axis = by_key[key]
            if typed_value not in axis.values:
                raise ScenarioError(
                    file,
                    f"{where}.{key}",
                    "value is not in the matrix, so it excludes nothing",
                    show_value(value),
                    ", ".join(param_label(v) for v in axis.values),
                )
            pairs.append((key, typed_value))
        excludes.append(tuple(pairs))
    return tuple(excludes)


def _check_strategies_read_dataset(
    file: str, scenario: Scenario, readers: Mapping[str, Collection[str]]
) -> None:
    kind = scenario.defaults.dataset.kind
    axis = next((a for a in scenario.matrix if a.key == "strategy"), None)
    named = (
        [("strategy", scenario.defaults.strategy)]
        if axis is None
        else [(f"matrix.strategy[{index}]", name) for index, name in enumerate(axis.values)]
    )
    for where, name in named:
        if kind not in readers.get(name, (kind,)):
            able = sorted(other for other, kinds in readers.items() if kind in kinds)
            raise ScenarioError(
                file,
                where,
                f"cannot read {kind} datasets (it reads {' or '.join(readers[name]) or 'nothing'})",
                show_value(name),
                ", ".join(able),
            )


def _check_case_count(file: str, scenario: Scenario) -> None:
    product = math.prod(len(axis.values) for axis in scenario.matrix)
    if product > MAX_CASES * 20:
        raise ScenarioError(
            file,
            "matrix",
            "too many cases",
            f"{product} cases before excludes",
            f"at most {MAX_CASES} cases",
        )
    try:
        count = len(expand(scenario))
    except ValueError as err:
        raise ScenarioError(
            file,
            "matrix",
            f"a combination is invalid: {err}",
            "the matrix as written",
            "combinations that are valid on their own",
        ) from None
    if count == 0:
        raise ScenarioError(
            file,
            "exclude",
            "excludes every case of the matrix",
            f"{product} of {product} excluded",
            "excludes that leave at least one case",
        )
    if count > MAX_CASES:
        raise ScenarioError(
            file, "matrix", "too many cases", f"{count} cases", f"at most {MAX_CASES} cases"
        )


def _typed_value(
    file: str, base: dict[str, Any], context: dict[str, Any], key: str, value: Any, where: str
) -> Any:
    """Validate ``value`` at ``key`` in the context of the whole file; return its typed form."""
    trial = copy.deepcopy(base)
    _set_dotted(trial, key, value)
    try:
        doc = ScenarioDoc.model_validate(trial, context=context)
    except ValidationError as err:
        raise_from_validation(file, err, override_where=where)
    return doc.to_settings().value_at(key)


def _validate(
    file: str, data: dict[str, Any], context: dict[str, Any], matrix: Mapping[str, list[Any]]
) -> ScenarioDoc:
    try:
        return ScenarioDoc.model_validate(data, context=context)
    except ValidationError as err:
        first = first_error(err)
        loc_key = key_path(first["loc"], first.get("ctx") or {})
        owner = [key for key in matrix if loc_key == key or loc_key.startswith(key + ".")]
        where = f"matrix.{owner[0]}[0]" if owner else None
        raise_from_validation(file, err, override_where=where)


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    *parents, leaf = key.split(".")
    target = data
    for part in parents:
        child = target.get(part)
        if not isinstance(child, dict):
            # A missing or null section (e.g. etl: null) becomes a mapping to hold the value.
            child = {} if child is None else child
            if not isinstance(child, dict):
                return  # the base is malformed there; validating it reports that key
            target[part] = child
        target = child
    target[leaf] = value


def is_faults_scenario(path: Path) -> bool:
    """Whether the scenario at ``path`` says ``kind: faults`` (raises ScenarioError when the
    file cannot be read as a YAML mapping)."""
    return read_yaml(path).get("kind") == FAULTS_KIND
