"""What a test does when a tool it needs (a Docker engine, Chromium) cannot be had.

On a developer's machine it skips, saying why. On CI as root (`CI=true`), where
`make test-engines` could have installed the tool, a missing tool means the set-up broke, and
a skip would hide that behind a green run: the test fails instead. `AISBENCH_ALLOW_MISSING_TOOLS=1`
opts out (the session then says so in its summary).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NoReturn

import pytest

OPT_OUT = "AISBENCH_ALLOW_MISSING_TOOLS"


def must_fail(env: Mapping[str, str], euid: int) -> bool:
    """True where a missing tool is a broken set-up: CI, as root, and not opted out."""
    return env.get("CI", "").lower() == "true" and euid == 0 and env.get(OPT_OUT) != "1"


def opted_out(env: Mapping[str, str]) -> bool:
    return env.get("CI", "").lower() == "true" and env.get(OPT_OUT) == "1"


def missing_tool(reason: str) -> NoReturn:
    """Skip the test for ``reason``, or fail it under `must_fail`."""
    if must_fail(os.environ, os.geteuid()):
        pytest.fail(f"{reason} - on CI as root `make test-engines` should have installed it; "
                    f"fix the set-up, or set {OPT_OUT}=1 to let these tests skip", pytrace=False)
    pytest.skip(reason)
