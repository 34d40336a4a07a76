"""A missing Docker engine or Chromium skips on a developer's machine and fails on CI as root."""

import pytest

from tests.missing_tools import OPT_OUT, must_fail, opted_out


@pytest.mark.parametrize(("env", "euid", "fails"), [
    ({"CI": "true"}, 0, True),
    ({"CI": "TRUE"}, 0, True),
    ({"CI": "true"}, 1000, False),  # not root: nothing could have been installed
    ({}, 0, False),  # a developer's machine
    ({"CI": "false"}, 0, False),
    ({"CI": "true", OPT_OUT: "1"}, 0, False),  # opted out, said in the summary
])
def test_a_missing_tool_fails_only_on_ci_as_root_without_the_opt_out(
        env: dict[str, str], euid: int, fails: bool) -> None:
    assert must_fail(env, euid) is fails


def test_the_opt_out_is_noticed_only_on_ci() -> None:
    assert opted_out({"CI": "true", OPT_OUT: "1"})
    assert not opted_out({OPT_OUT: "1"})
    assert not opted_out({"CI": "true"})


def test_missing_tool_fails_the_test_under_ci_as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import missing_tools

    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv(OPT_OUT, raising=False)
    monkeypatch.setattr(missing_tools.os, "geteuid", lambda: 0)
    with pytest.raises(pytest.fail.Exception, match=r"no Docker engine: boom.*test-engines"):
        missing_tools.missing_tool("no Docker engine: boom")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no Docker engine: boom"):
        missing_tools.missing_tool("no Docker engine: boom")
