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
from typing import Any, NoReturn

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from aisbench.scenario.document import ScenarioDoc, matrix_keys
from aisbench.scenario.errors import ScenarioError, show_value
from aisbench.scenario.expand import expand
from aisbench.scenario.model import MatrixAxis, Scenario, param_label

MAX_CASES = 500
SCENARIO_SUFFIXES = (".yaml", ".yml")
DEFAULT_SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"

_TOP_LEVEL_KEYS = (*ScenarioDoc.model_fields, "matrix", "exclude")

_PROBLEMS: dict[str, str] = {
    "missing": "missing required key",
    "int_type": "not an integer",
    "float_type": "not a number",
    "bool_type": "not true or false",
    "string_type": "not a string",
    "dict_type": "not a mapping",
    "model_type": "not a mapping",
    "literal_error": "unknown value",
    "finite_number": "not a finite number",
    "string_pattern_mismatch": "not a valid name",
    "too_short": "must not be empty",
}


def load_scenario(path: str | Path, strategies: Collection[str]) -> Scenario:
    """Load and validate the scenario at ``path``; ``strategies`` are the registered names.

    Raises ScenarioError (one line, naming the file, the key and the allowed values).
    """
    path = Path(path)
    file = str(path)
    document = _read_yaml(path)
    context = {"strategies": frozenset(strategies)}
    raw_matrix = document.pop("matrix", None) or {}
    raw_excludes = document.pop("exclude", None) or []
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


def _read_yaml(path: Path) -> dict[str, Any]:
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
            ", ".join(_TOP_LEVEL_KEYS),
        )
    for key in data:
        if not isinstance(key, str):
            _unknown_key(file, "", key, _TOP_LEVEL_KEYS)
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
            _unknown_key(file, "matrix.", key, known)
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
                _unknown_key(file, f"{where}.", key, list(by_key) or ["(no matrix keys)"])
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
        _raise_from(file, err, trial, override_where=where)
    return doc.to_settings().value_at(key)


def _validate(
    file: str, data: dict[str, Any], context: dict[str, Any], matrix: Mapping[str, list[Any]]
) -> ScenarioDoc:
    try:
        return ScenarioDoc.model_validate(data, context=context)
    except ValidationError as err:
        first = _first_error(err)
        loc_key = _key_path(first["loc"], first.get("ctx") or {})
        owner = [key for key in matrix if loc_key == key or loc_key.startswith(key + ".")]
        where = f"matrix.{owner[0]}[0]" if owner else None
        _raise_from(file, err, data, override_where=where)


def _raise_from(
    file: str, err: ValidationError, data: dict[str, Any], override_where: str | None
) -> NoReturn:
    """Turn pydantic's first error into a one-line ScenarioError."""
    error = _first_error(err)
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    loc = [str(part) for part in error["loc"]]
    if "key" in ctx:
        loc.append(str(ctx["key"]))
    where = override_where or _key_path(error["loc"], ctx)
    if error["type"] == "extra_forbidden":
        _unknown_key(
            file,
            ".".join(loc[:-1]) + "." if len(loc) > 1 else "",
            loc[-1],
            _fields_at(loc[:-1]),
            where=override_where,
        )
    problem = str(ctx.get("problem") or _PROBLEMS.get(error["type"]) or error["msg"])
    if "ge" in ctx or "gt" in ctx or "le" in ctx or "lt" in ctx:
        problem = _bound_problem(ctx)
    if error["type"] == "literal_error":
        close = difflib.get_close_matches(str(error["input"]), _literal_options(ctx), n=1)
        problem += f", did you mean {close[0]!r}?" if close else ""
    got = (
        ctx["got"]
        if "got" in ctx
        else ("nothing" if error["type"] == "missing" else show_value(error["input"]))
    )
    allowed_text = ctx.get("allowed") or _allowed_at(loc)
    raise ScenarioError(file, where, problem, str(got), str(allowed_text)) from None


def _first_error(err: ValidationError) -> ErrorDetails:
    # An unknown key usually explains the "missing" one next to it (a typo), so it goes first.
    errors = err.errors()
    return min(errors, key=lambda e: e["type"] != "extra_forbidden")


def _key_path(loc: tuple[int | str, ...], ctx: Mapping[str, Any]) -> str:
    path = ""
    for part in (*loc, *([ctx["key"]] if "key" in ctx else [])):
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _bound_problem(ctx: Mapping[str, Any]) -> str:
    for name, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if name in ctx:
            return f"out of range, must be {symbol} {ctx[name]:g}"
    return "out of range"


def _literal_options(ctx: Mapping[str, Any]) -> list[str]:
    expected = str(ctx.get("expected", ""))
    return [part.strip(" '") for part in expected.replace(" or ", ",").split(",") if part.strip()]


def _model_at(loc: list[str]) -> type[BaseModel] | None:
    model: type[BaseModel] = ScenarioDoc
    for part in loc:
        info = model.model_fields.get(part)
        if info is None:
            return None
        candidates = [info.annotation, *getattr(info.annotation, "__args__", ())]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return None
        model = nested[0]
    return model


def _fields_at(loc: list[str]) -> list[str]:
    if not loc:
        return list(_TOP_LEVEL_KEYS)
    model = _model_at(loc)
    return list(model.model_fields) if model is not None else []


def _allowed_at(loc: list[str]) -> str:
    model = _model_at(loc[:-1]) if loc else None
    info = model.model_fields.get(loc[-1]) if model is not None and loc else None
    extra = info.json_schema_extra if info is not None else None
    if isinstance(extra, dict) and "allowed" in extra:
        return str(extra["allowed"])
    return "see scenarios/README.md"


def _unknown_key(
    file: str, prefix: str, key: Any, known: Collection[str], where: str | None = None
) -> NoReturn:
    close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
    hint = f", did you mean {close[0]!r}?" if close else ""
    raise ScenarioError(
        file, where or f"{prefix}{key}", f"unknown key{hint}", show_value(key), ", ".join(known)
    )


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
