"""Plugins: strategies from other distributions' entry points join the table once, lazily; a
broken or clashing plugin is named with its error while the rest still run."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

import aisbench.strategies.registry as registry_module
from aisbench.cli import main
from aisbench.cluster import ClusterSettings
from aisbench.errors import UnknownName
from aisbench.runner import RunOptions, load, run_scenario
from aisbench.scenario import ScenarioError
from aisbench.strategies import ENTRY_POINT_GROUP, STRATEGIES
from aisbench.strategies.plugins import scan_plugins
from aisbench.strategies.registry import StrategyRegistry
from tests.unit.strategies import fake_plugins

FAKES = "tests.unit.strategies.fake_plugins"


@dataclass(frozen=True)
class FakeDist:
    name: str
    version: str


@dataclass(frozen=True)
class FakeEntryPoint:
    """An entry point of an installed distribution, without installing one."""

    name: str
    value: str
    dist: FakeDist | None = field(default_factory=lambda: FakeDist("fake-dist", "1.2.3"))

    def load(self) -> Any:
        return EntryPoint(self.name, self.value, ENTRY_POINT_GROUP).load()


GOOD = FakeEntryPoint("fake-http", f"{FAKES}:GOOD")
BROKEN = FakeEntryPoint("fake-broken", f"{FAKES}.broken:LOADER", FakeDist("broken-dist", "0.1"))


def registry_of(*entry_points: FakeEntryPoint, scans: list[int] | None = None
                ) -> StrategyRegistry:
    def find() -> list[FakeEntryPoint]:
        if scans is not None:
            scans.append(1)
        return list(entry_points)

    return StrategyRegistry(STRATEGIES, find)


def test_a_plugin_strategy_is_found_by_name_and_listed_with_its_distribution() -> None:
    registry = registry_of(GOOD)
    assert registry.get("fake-http") is fake_plugins.GOOD
    (listed,) = [item for item in registry.listing() if item.strategy.name == "fake-http"]
    assert str(listed.source) == "fake-dist 1.2.3"
    assert listed.source.entry_point == f"fake-http = {FAKES}:GOOD"
    assert registry.names() == [*STRATEGIES, "fake-http"]


def test_built_ins_are_listed_as_built_in() -> None:
    sources = {str(item.source) for item in registry_of().listing()}
    assert sources == {"built-in"}


def test_plugins_are_scanned_once_and_only_when_a_name_is_not_built_in() -> None:
    scans: list[int] = []
    registry = registry_of(GOOD, scans=scans)
    assert registry.get("requests-get") is STRATEGIES["requests-get"]
    assert scans == []
    registry.get("fake-http")
    registry.everything()
    registry.listing()
    assert scans == [1]


def test_a_plugin_that_fails_to_import_is_named_and_the_rest_still_load() -> None:
    registry = registry_of(BROKEN, GOOD)
    (failure,) = registry.failures
    assert failure.distribution == "broken-dist 0.1"
    assert failure.entry_point == f"fake-broken = {FAKES}.broken:LOADER"
    assert failure.error.startswith("ImportError: fake_dependency_for_tests is not installed")
    assert "broken.py:3" in failure.error  # where the plugin broke
    assert str(failure).startswith("plugin broken-dist 0.1, entry point 'fake-broken = ")
    assert registry.get("fake-http") is fake_plugins.GOOD


def test_an_object_that_is_not_a_strategy_is_named_with_what_it_lacks() -> None:
    (failure,) = registry_of(FakeEntryPoint("fake-no-loader", f"{FAKES}:NO_LOADER")).failures
    assert "NoLoader object does not satisfy the strategy protocol" in failure.error
    assert failure.error.endswith("LoaderStrategy needs make_loader")


def test_a_class_instead_of_an_instance_is_refused_saying_so() -> None:
    (failure,) = registry_of(FakeEntryPoint("fake-no-loader", f"{FAKES}:NoLoader")).failures
    assert failure.error == ("the entry point names the class NoLoader: name an instance of it "
                             "(e.g. MY_LOADER = NoLoader(...))")


def test_a_plugin_named_like_a_built_in_is_refused_naming_both() -> None:
    registry = registry_of(FakeEntryPoint("requests-get", f"{FAKES}:CLASHING"), GOOD)
    (failure,) = registry.failures
    assert failure.distribution == "fake-dist 1.2.3"
    assert "'requests-get' clashes with the built-in strategy 'requests-get'" in failure.error
    assert registry.get("requests-get") is STRATEGIES["requests-get"]
    assert registry.get("fake-http") is fake_plugins.GOOD


def test_two_plugins_with_one_name_are_both_refused_each_naming_the_other() -> None:
    other = FakeEntryPoint("fake-http", f"{FAKES}:GOOD", FakeDist("other-dist", "9.0"))
    registry = registry_of(GOOD, other)
    assert [f.distribution for f in registry.failures] == ["fake-dist 1.2.3", "other-dist 9.0"]
    assert "also registered by other-dist 9.0" in registry.failures[0].error
    assert "also registered by fake-dist 1.2.3" in registry.failures[1].error
    assert "fake-http" not in registry.names()


def test_a_strategy_registered_under_another_name_is_refused() -> None:
    (failure,) = registry_of(FakeEntryPoint("fake-alias", f"{FAKES}:MISNAMED")).failures
    assert failure.error == ("the strategy calls itself 'fake-other-name' but is registered as "
                             "'fake-alias': give the entry point the strategy's name")


def test_a_ceiling_that_is_not_an_aisloader_strategy_is_refused() -> None:
    (failure,) = registry_of(FakeEntryPoint("fake-ceiling", f"{FAKES}:BAD_CEILING")).failures
    assert failure.error.startswith("ceiling 'requests-get' is not a built-in aisloader "
                                    "strategy; allowed: aisloader, aisloader-archive")


def test_an_unknown_name_lists_the_plugins_and_the_plugins_that_failed() -> None:
    with pytest.raises(UnknownName) as raised:
        registry_of(BROKEN, GOOD).get("fake-brokn")
    message = str(raised.value)
    assert "'fake-brokn'" in message and "fake-http" in message
    assert "plugin broken-dist 0.1, entry point 'fake-broken = " in message


def test_scan_keeps_the_entry_points_order() -> None:
    second = FakeEntryPoint("fake-second", f"{FAKES}:SECOND")
    scan = scan_plugins([second, GOOD], STRATEGIES)
    assert list(scan.strategies) == ["fake-second", "fake-http"]
    assert scan.failures == ()


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process's registry with GOOD and BROKEN installed."""
    monkeypatch.setattr(registry_module, "REGISTRY", registry_of(BROKEN, GOOD))


SCENARIO = """name: plugin
dataset: {kind: objects, count: 8, object_size: 1KiB}
strategy: fake-http
run: {epochs: 1, warmup_s: 0, repeats: 1}
"""


@pytest.mark.usefixtures("installed")
def test_a_scenario_may_name_a_plugin_strategy(tmp_path: Path) -> None:
    path = tmp_path / "plugin.yaml"
    path.write_text(SCENARIO)
    assert load(path).defaults.strategy == "fake-http"


@pytest.mark.usefixtures("installed")
def test_a_run_warns_of_each_failed_plugin_before_it_loads_the_scenario(tmp_path: Path) -> None:
    path = tmp_path / "plugin.yaml"
    path.write_text(SCENARIO.replace("fake-http", "fake-broken"))
    lines: list[str] = []
    options = RunOptions(scenario_path=path, results_db=tmp_path / "db", runs_dir=tmp_path)
    with pytest.raises(ScenarioError, match="unknown strategy"):
        run_scenario(options, ClusterSettings(home=tmp_path), log=lines.append)
    assert lines == [f"warning: plugin broken-dist 0.1, entry point 'fake-broken = {FAKES}"
                     f".broken:LOADER' (group aisbench.strategies): ImportError: "
                     f"fake_dependency_for_tests is not installed (at "
                     f"{Path(fake_plugins.__file__).parent / 'broken.py'}:3)"]


@pytest.mark.usefixtures("installed")
def test_the_strategies_command_lists_plugins_and_failures_and_exits_1(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["strategies"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "reads", "ceiling", "from", "description"]
    (plugin,) = [line for line in lines if line.startswith("fake-http ")]
    assert plugin.split(None, 5) == ["fake-http", "objects", "aisloader", "fake-dist", "1.2.3",
                                     "a fake plugin loader"]
    assert lines[-1].startswith("FAILED: plugin broken-dist 0.1, entry point 'fake-broken = ")
    assert sum(" built-in " in line for line in lines) == len(STRATEGIES)


def test_the_strategies_command_exits_0_when_every_plugin_loads(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(registry_module, "REGISTRY", registry_of(GOOD))
    assert main(["strategies"]) == 0
    assert "FAILED" not in capsys.readouterr().out
