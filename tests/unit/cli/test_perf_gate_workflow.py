"""The CI example runs as written: every aisbench command in it parses with the real parser,
its --help works, and the files it names exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from aisbench.cli import build_parser, main

REPO = Path(__file__).resolve().parents[3]
WORKFLOW = REPO / ".github" / "workflows" / "perf-gate.yml"
AISBENCH = ".venv/bin/aisbench"


def run_steps() -> list[str]:
    document = yaml.safe_load(WORKFLOW.read_text())
    steps = [step for job in document["jobs"].values() for step in job["steps"]]
    return [step["run"] for step in steps if "run" in step]


def aisbench_commands() -> list[list[str]]:
    commands = []
    for script in run_steps():
        for line in script.splitlines():
            line = line.strip()
            if line.startswith(AISBENCH):
                expanded = re.sub(r"\$\{?(\w+)\}?", lambda m: f"<{m.group(1)}>", line)
                commands.append(shlex.split(expanded)[1:])
    return commands


def test_the_workflow_runs_the_ab_gate_against_the_base_branch():
    commands = aisbench_commands()
    ab = [c for c in commands if c[0] == "ab"]
    assert len(ab) == 1
    args = build_parser().parse_args(ab[0])
    assert args.base == "origin/<GITHUB_BASE_REF>"
    assert args.markdown == "ab-summary.md"
    assert "$GITHUB_STEP_SUMMARY" in "".join(run_steps())


def test_every_aisbench_command_in_the_workflow_parses():
    commands = aisbench_commands()
    assert {c[0] for c in commands} >= {"cluster", "ab"}
    for command in commands:
        build_parser().parse_args(command)  # exits 2 on an unknown flag or a missing argument


def test_every_aisbench_command_in_the_workflow_has_working_help(
        capsys: pytest.CaptureFixture[str]) -> None:
    # In this process: a fresh `python -m aisbench.cli` costs ~3 s of imports per command, and
    # the console script runs this same main().
    for command in aisbench_commands():
        words = [w for w in command if not w.startswith("-")][:2]
        if words[0] != "cluster":
            words = words[:1]
        with pytest.raises(SystemExit) as exited:
            main([*words, "--help"])
        out, err = capsys.readouterr()
        assert exited.value.code == 0, err
        assert "usage: aisbench" in out


def test_the_scripts_and_scenario_the_workflow_names_exist():
    text = WORKFLOW.read_text()
    for path in re.findall(r"\bscripts/[\w.-]+", text):
        assert (REPO / path).is_file(), path
    ab = next(c for c in aisbench_commands() if c[0] == "ab")
    assert (REPO / "scenarios" / f"{ab[1]}.yaml").is_file()
    assert "exit 0" in text  # exit 3 (inconclusive) warns rather than fails, as documented
