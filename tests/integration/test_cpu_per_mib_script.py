"""scripts/cpu_per_mib.py on the session cluster, tiny: every way reads every object, and
aisloader reads the same objects."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from aisref.client import Client

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "cpu_per_mib.py"


def _load_script() -> Any:
    spec = importlib.util.spec_from_file_location("cpu_per_mib_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_way_reads_every_byte_and_the_table_has_a_row_per_way(
    ais_endpoint: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = _load_script()
    client = Client(ais_endpoint)
    names = script.ensure_objects(client, 5, 4096)
    read = [way()[0] for way in script.ways(client, names, 4096).values()]
    assert read == [5 * 4096] * 3
    monkeypatch.setattr(sys, "argv", ["cpu_per_mib.py", ais_endpoint, "--size-kib", "4",
                                      "--count", "5", "--rounds", "1", "--aisloader-s", "0.5"])
    assert script.main() == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [row.split(" | ")[0] for row in rows[2:]] == [
        "| aisref object into a tensor", "| aisref GetBatch of 32",
        "| bare http.client, same two hops", "| aisloader, 8 workers"]
