"""The command line turns a user's mistake into one plain line on stderr and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from aisbench.cli import main

GOLDEN_RUN = Path(__file__).resolve().parents[1] / "results" / "golden" / "run_v1.json"


def test_an_unknown_metric_exits_2_with_the_message_unquoted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", str(GOLDEN_RUN), str(GOLDEN_RUN), "--metric", "nope",
                 "--reports", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("aisbench: error: unknown metric 'nope'; known: samples_per_s")
    assert len(err.strip().splitlines()) == 1


def test_a_scenario_file_with_an_unknown_key_exits_2_naming_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("dataset: {kind: objects, count: 10, object_size: 1KiB}\n"
                   "strategy: aisref-map\nloader: {num_worker: 2}\n")
    code = main(["run", str(bad), "--reports", str(tmp_path), "--no-report", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith(f"aisbench: error: {bad}: loader.num_worker")
    assert len(err.splitlines()) == 1


def test_a_faults_scenario_cannot_be_resumed_and_says_so_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "faults", "--resume", "20261123T000000-abcdef",
                 "--reports", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "--resume: a faults run cannot be resumed: run it again" in err
    assert len(err.splitlines()) == 1


def test_a_malformed_faults_scenario_exits_2_naming_file_and_key_before_any_cluster_starts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad-faults.yaml"
    bad.write_text("kind: faults\nfaults: {target_kill: {}}\nnum_workers: [0, 0]\n")
    code = main(["run", str(bad), "--reports", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith(f"aisbench: error: {bad}: num_workers: listed twice: 0")
    assert list(tmp_path.iterdir()) == [bad]  # nothing started, nothing written


def test_every_user_facing_error_shares_the_one_base() -> None:
    from aisbench.ab import AbError
    from aisbench.cluster.base import ClusterError
    from aisbench.errors import AisbenchError, InvalidValue, UnknownName
    from aisbench.profile import ProfilerUnavailable
    from aisbench.report import ReportError
    from aisbench.results.schema import ResultFormatError
    from aisbench.results.store import StoreError
    from aisbench.scenario.errors import ScenarioError

    for error in (AbError, ClusterError, ProfilerUnavailable, ReportError, ResultFormatError,
                  StoreError, ScenarioError, InvalidValue, UnknownName):
        assert issubclass(error, AisbenchError), error
    assert str(UnknownName("unknown metric 'x'")) == "unknown metric 'x'"  # not KeyError's repr


def test_a_bug_is_not_dressed_up_as_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only AisbenchError (and the client's AISError) print as one line; a KeyError from a
    programming slip keeps its traceback."""
    from aisbench import cli

    def slip(args: object) -> int:
        lookup: dict[str, int] = {}
        return lookup["missing"]

    monkeypatch.setattr(cli, "cmd_cluster_status", slip)
    with pytest.raises(KeyError, match="missing"):
        main(["cluster", "status"])


@pytest.mark.parametrize(("flags", "message"), [
    (["--nnodes", "2"], "--nnodes 2 needs --rdzv HOST:PORT"),
    (["--nnodes", "2", "--node-rank", "2", "--rdzv", "127.0.0.1:29500"],
     "--node-rank 2: allowed: 0..1"),
    (["--nnodes", "2", "--rdzv", "nohostport"], "--rdzv 'nohostport': allowed: HOST:PORT"),
])
def test_bad_node_flags_exit_2_with_one_line_naming_the_flag(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str],
        message: str) -> None:
    code = main(["run", "smoke", "--reports", str(tmp_path), *flags])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith(f"aisbench: error: {message}")
    assert len(err.splitlines()) == 1
