"""Every malformed file in malformed/ fails with ONE line naming the file, key and allowed values.

Each file starts with three comment lines stating what the error must say:
    # key: <the key path the message names>
    # expect: <a substring of what is wrong>
    # allowed: <a substring of the allowed values>
"""

from pathlib import Path

import pytest

from aisbench.scenario.errors import ScenarioError
from aisbench.scenario.load import load_scenario
from tests.unit.scenario.strategy_names import STRATEGIES

CORPUS = Path(__file__).parent / "malformed"
FILES = sorted(CORPUS.glob("*.yaml"))


def expectation(path: Path) -> dict[str, str]:
    header = path.read_text().splitlines()[:3]
    pairs = (line.removeprefix("# ").split(": ", 1) for line in header)
    return {name: value for name, value in pairs}


def error_for(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, STRATEGIES)
    return info.value


def test_the_corpus_has_at_least_thirty_files():
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_message_is_one_line_naming_file_and_key(path):
    message = str(error_for(path))
    assert "\n" not in message
    assert message.startswith(f"{path}: {expectation(path)['key']}: ")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_message_says_what_is_wrong(path):
    assert expectation(path)["expect"] in error_for(path).problem


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_message_names_what_was_found_and_what_is_allowed(path):
    error = error_for(path)
    assert f"(got {error.got}; allowed: {error.allowed})" in str(error)
    assert expectation(path)["allowed"] in error.allowed


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_no_traceback_or_library_noise_leaks(path):
    error = error_for(path)
    message = str(error)
    assert "Traceback" not in message
    assert "pydantic" not in message
    assert "errors.pydantic.dev" not in message
    # Nothing chained: an uncaught error prints one traceback, not pydantic's or yaml's too.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
