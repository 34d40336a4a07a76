"""The one error a scenario file can raise, with a one-line message a person can act on."""

from __future__ import annotations

from typing import Any

import yaml

from aisbench.errors import AisbenchError

_MAX_SHOWN = 80


class ScenarioError(AisbenchError):
    """A scenario file (or name) is wrong.

    str() is one line: ``<file>: <key path>: <what is wrong> (got <value>; allowed: <allowed>)``.
    The parts are kept as attributes for tools that want them.
    """

    def __init__(self, file: str, key: str, problem: str, got: str, allowed: str) -> None:
        self.file = file
        self.key = key
        self.problem = problem
        self.got = got
        self.allowed = allowed
        super().__init__(_one_line(f"{file}: {key}: {problem} (got {got}; allowed: {allowed})"))


def show_value(value: Any) -> str:
    """A short one-line rendering of a YAML value as the user wrote it ('fast', -1, null)."""
    if isinstance(value, str):
        text = repr(value)
    elif value is None or isinstance(value, bool | int | float | list | dict):
        text = yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False).strip()
        text = text.removesuffix("\n...").removesuffix("...").strip()
    else:
        text = repr(value)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 3] + "..."
    return _one_line(text)


def _one_line(text: str) -> str:
    return " ".join(text.split())
