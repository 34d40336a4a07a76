"""Versions from git: refs resolved or refused by name, worktrees made and removed, and the
environment and dependencies a version's case processes get."""

import subprocess
from pathlib import Path

import pytest

from aisbench.ab import AbError
from aisbench.ab.injected_slowdown import (
    MARKER,
    REQUEST_PATH_FILE,
    burn_statement,
    patched_commit,
    patched_source,
)
from aisbench.ab.run import check_strategies, scenario_path
from aisbench.ab.versions import (
    WORKING_TREE,
    Version,
    checked_out,
    resolve_commit,
    unmet_requirements,
)
from aisbench.scenario.model import Case

SOURCE = ("class C:\n    def request(self, method):\n        method = method.upper()\n"
          "        return 1\n")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@localhost")
    git(tmp_path, "config", "user.name", "t")
    (tmp_path / REQUEST_PATH_FILE).parent.mkdir(parents=True)
    (tmp_path / REQUEST_PATH_FILE).write_text(SOURCE)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "gate.yaml").write_text("name: gate\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def test_a_ref_resolves_to_its_full_sha(repo):
    assert resolve_commit(repo, "main") == git(repo, "rev-parse", "HEAD")


@pytest.mark.parametrize("ref,hint", [("no-such-branch", "git branch -a"),
                                      ("origin/main", "git fetch")])
def test_an_unknown_ref_is_named_with_the_fix(repo, ref, hint):
    with pytest.raises(AbError, match=rf"unknown git ref '{ref}'.*{hint}"):
        resolve_commit(repo, ref)


def test_a_ref_is_checked_out_as_a_worktree_and_removed_after(repo):
    with checked_out(repo, "base", "main") as version:
        assert (version.tree / REQUEST_PATH_FILE).read_text() == SOURCE
        assert version.commit == git(repo, "rev-parse", "main")
        tree = version.tree
    assert not tree.exists()
    assert str(tree) not in git(repo, "worktree", "list")


def test_the_working_tree_is_measured_as_a_snapshot_with_uncommitted_and_untracked_files(repo):
    (repo / REQUEST_PATH_FILE).write_text(SOURCE + "# edited\n")
    (repo / "new_module.py").write_text("X = 1\n")
    status = git(repo, "status", "--porcelain")
    with checked_out(repo, "current", None) as version:
        assert version.tree != repo and version.ref == WORKING_TREE
        assert (version.tree / REQUEST_PATH_FILE).read_text().endswith("# edited\n")
        assert (version.tree / "new_module.py").read_text() == "X = 1\n"
        assert version.dirty and version.label.endswith("-dirty)")
    assert git(repo, "status", "--porcelain") == status  # the user's index did not move


def test_a_clean_working_tree_is_its_head(repo):
    with checked_out(repo, "current", None) as version:
        assert version.commit == git(repo, "rev-parse", "HEAD") and not version.dirty


def test_both_versions_get_paths_of_the_same_length(repo):
    with checked_out(repo, "base", "main") as base, checked_out(repo, "current", None) as cur:
        assert len(str(base.tree)) == len(str(cur.tree))
        assert base.tree != cur.tree


def test_a_version_imports_its_own_tree_first(tmp_path):
    env = Version("base", "main", "abc", tmp_path).environment({"PYTHONPATH": "/elsewhere"})
    assert env["PYTHONPATH"].split(":") == [str(tmp_path), str(tmp_path / "impl"), "/elsewhere"]


def test_requirements_this_venv_does_not_meet_are_listed(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\ndependencies = ["requests>=1", '
                         '"requests>=999", "no-such-package-aisbench>=1"]\n'
                         '[project.optional-dependencies]\npeers = ["aisbench[dev]"]\n')
    unmet = unmet_requirements(pyproject)
    assert len(unmet) == 2
    assert unmet[0].startswith("requests>=999 (installed: ")
    assert unmet[1] == "no-such-package-aisbench>=1 (not installed)"


def test_this_projects_own_dependencies_are_met():
    assert unmet_requirements(Path(__file__).resolve().parents[3] / "pyproject.toml") == []


def test_the_scenario_comes_from_the_current_versions_tree(repo):
    version = Version("current", "main", "abc", repo)
    assert scenario_path(version, "gate") == repo / "scenarios" / "gate.yaml"
    with pytest.raises(AbError, match=r"scenario 'nope' does not exist.*it has: gate"):
        scenario_path(version, "nope")


def test_a_strategy_a_version_lacks_is_named(monkeypatch, tmp_path):
    monkeypatch.setattr("aisbench.ab.run.strategies_of",
                        lambda v: ["aisref-map"] if v.role == "current" else ["aisref-iter"])
    case = Case.from_dict({"scenario": "s", "case_id": "strategy=aisref-map",
                           "params": {}, "settings": _settings("aisref-map")})
    versions = (Version("base", "old", "a" * 40, tmp_path),
                Version("current", "new", "b" * 40, tmp_path))
    with pytest.raises(AbError, match=r"strategy 'aisref-map'.*does not exist in the base old"):
        check_strategies([case], versions)


def _settings(strategy: str) -> dict:
    from aisbench.scenario.dataset import DatasetSpec, SizeRange
    from aisbench.scenario.model import CaseSettings, ClusterSpec, settings_to_dict

    dataset = DatasetSpec(kind="objects", count=10, seed=0, object_size=SizeRange(1, 1))
    return settings_to_dict(CaseSettings(cluster=ClusterSpec(), dataset=dataset,
                                         strategy=strategy))


def test_the_injected_statement_runs_first_on_every_request():
    patched = patched_source(SOURCE, burn_statement(7))
    assert f"        method = method.upper()\n        sum(i * i for i in range(7))  {MARKER}\n" \
        in patched
    namespace: dict = {}
    exec(patched, namespace)
    assert namespace["C"]().request("get") == 1


def test_a_source_without_the_anchor_is_refused():
    with pytest.raises(AbError, match="anchor"):
        patched_source("def request():\n    pass\n", "pass")


def test_a_patched_commit_moves_no_branch_and_touches_no_file(repo):
    head = git(repo, "rev-parse", "HEAD")
    sha = patched_commit(repo, head, "pass", "test")
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "rev-parse", f"{sha}^") == head
    assert MARKER in git(repo, "show", f"{sha}:{REQUEST_PATH_FILE}")


def test_a_cluster_that_does_not_list_its_targets_is_named_before_measuring(monkeypatch):
    import requests

    from aisbench.ab import run as ab_run
    from aisbench.cluster.select import ClusterSettings

    class Info:
        bucket, objects, reused = "b", 1, True

    def refuse(endpoint):
        raise requests.ConnectionError("refused")

    monkeypatch.setattr(ab_run.ClusterSession, "endpoint_for", lambda self, spec: "http://x:1")
    monkeypatch.setattr(ab_run, "ensure_dataset", lambda *a, **k: Info())
    monkeypatch.setattr(ab_run, "target_urls", refuse)
    case = Case.from_dict({"scenario": "s", "case_id": "c", "params": {},
                           "settings": _settings("aisref-map")})
    with pytest.raises(AbError, match=r"http://x:1 does not list its targets.*nothing was"):
        ab_run._sites([case], ClusterSettings(home=Path("/nonexistent")), lambda text: None)
