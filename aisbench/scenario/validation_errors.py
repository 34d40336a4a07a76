"""Pydantic's validation errors, told as one-line ScenarioErrors.

The first error wins, unknown keys before anything else (a typo'd key usually explains the
"missing" key next to it). The allowed values come from the schema's ``allowed`` texts.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from typing import Any, NoReturn

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from aisbench.scenario.document import ScenarioDoc
from aisbench.scenario.errors import ScenarioError, show_value

TOP_LEVEL_KEYS = (*ScenarioDoc.model_fields, "matrix", "exclude")

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


def raise_from_validation(file: str, err: ValidationError, override_where: str | None,
                          root: type[BaseModel] = ScenarioDoc) -> NoReturn:
    """Turn pydantic's first error into a one-line ScenarioError; ``root`` is the schema the
    document was validated with (its fields' ``allowed`` texts are quoted)."""
    error = first_error(err)
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    loc = [str(part) for part in error["loc"]]
    if "key" in ctx:
        loc.append(str(ctx["key"]))
    where = override_where or key_path(error["loc"], ctx)
    if error["type"] == "extra_forbidden":
        raise_unknown_key(
            file,
            ".".join(loc[:-1]) + "." if len(loc) > 1 else "",
            loc[-1],
            _fields_at(loc[:-1], root),
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
    allowed_text = ctx.get("allowed") or _allowed_at(loc, root)
    raise ScenarioError(file, where, problem, str(got), str(allowed_text)) from None


def first_error(err: ValidationError) -> ErrorDetails:
    """The error to report: an unknown key first, as it usually explains a "missing" one."""
    errors = err.errors()
    return min(errors, key=lambda e: e["type"] != "extra_forbidden")


def key_path(loc: tuple[int | str, ...], ctx: Mapping[str, Any]) -> str:
    """ "loader.num_workers", "exclude[0].strategy": pydantic's location as the user writes it."""
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


def _model_at(loc: list[str], root: type[BaseModel]) -> type[BaseModel] | None:
    model = root
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


def _fields_at(loc: list[str], root: type[BaseModel]) -> list[str]:
    if not loc:
        return list(TOP_LEVEL_KEYS) if root is ScenarioDoc else list(root.model_fields)
    model = _model_at(loc, root)
    return list(model.model_fields) if model is not None else []


def _allowed_at(loc: list[str], root: type[BaseModel]) -> str:
    while loc and loc[-1].isdigit():  # an item of a list: what the list allows
        loc = loc[:-1]
    model = _model_at(loc[:-1], root) if loc else None
    info = model.model_fields.get(loc[-1]) if model is not None and loc else None
    extra = info.json_schema_extra if info is not None else None
    if isinstance(extra, dict) and "allowed" in extra:
        return str(extra["allowed"])
    return "see scenarios/README.md"


def raise_unknown_key(
    file: str, prefix: str, key: Any, known: Collection[str], where: str | None = None
) -> NoReturn:
    """Raise for an unknown key, suggesting the closest known one."""
    close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
    hint = f", did you mean {close[0]!r}?" if close else ""
    raise ScenarioError(
        file, where or f"{prefix}{key}", f"unknown key{hint}", show_value(key), ", ".join(known)
    ) from None
