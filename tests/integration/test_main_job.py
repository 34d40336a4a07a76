"""The main job, as `make run` does it: the shipped smoke scenario on a local cluster that the
run starts itself, ending in a report.

The run is the shipped scenario with shorter timed windows (SHORT_RUN): the same cluster,
dataset, loader, strategies and repeats, so every case, ceiling and report section `make run`
produces is produced here, ~30 s sooner. That the name `smoke` resolves to that file and loads
is checked in tests/unit/scenario/test_shipped_scenarios.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from aisbench.cluster.binaries import find_binary
from aisbench.report.answers import NO_ACCELERATOR
from aisbench.results.store import read_run_json
from aisbench.scenario import find_scenario

pytestmark = pytest.mark.integration

SHORT_RUN = {"duration_s": 1, "warmup_s": 0.5}  # smoke ships 3 s windows after a 1 s warmup


def short_smoke(folder: Path) -> Path:
    """scenarios/smoke.yaml with SHORT_RUN's windows, every other key as shipped."""
    smoke = yaml.safe_load(find_scenario("smoke").read_text())
    assert set(SHORT_RUN) <= set(smoke["run"]), smoke["run"]  # smoke is still timed by these
    smoke["run"] = {**smoke["run"], **SHORT_RUN}
    path = folder / "smoke.yaml"
    path.write_text(yaml.safe_dump(smoke, sort_keys=False))
    return path


def test_smoke_starts_its_cluster_measures_every_case_and_writes_a_report(
    tmp_path: Path, ais_home: Path
) -> None:
    home = tmp_path / "home"
    (home / "bin").mkdir(parents=True)
    for name in ("aisnode", "aisloader"):
        (home / "bin" / name).symlink_to(find_binary(name, ais_home))
    env = {k: v for k, v in os.environ.items() if k != "AIS_ENDPOINT"}
    env["AISBENCH_HOME"] = str(home)
    reports = tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, "-m", "aisbench.cli", "run", str(short_smoke(tmp_path)), "--reports",
         str(reports), "--stop-cluster", "--quiet"],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    record = read_run_json(next((reports / "runs").glob("*.json")))
    assert len(record.cases) == 4
    assert all(case.status == "ok" and len(case.repeats) == 3 for case in record.cases)
    assert all(m.samples > 0 for case in record.cases for m in case.repeats)
    page = next(reports.glob("smoke-*/index.html"))
    assert f"report: {page}" in result.stdout
    html = page.read_text()
    assert "<img" in html
    # The two answers open the page: each loader's share of its ceiling, and why smoke cannot
    # say how many workers keep an accelerator busy (it emulates none, to stay a minute long).
    answers = html.index('id="answers"')
    assert answers < html.index("<table") and answers < html.index('id="headline"')
    rows = html[answers:html.index("</table>", answers)].split("<tr>")[2:]
    assert len(rows) == 3
    assert all("% of aisloader" in row and NO_ACCELERATOR in row for row in rows), rows
    assert result.stdout.index("fraction of ceiling") < result.stdout.index("samples/s")
    # The headline comes first: ours, official, webdataset, each against the measured ceiling.
    start = html.index('id="headline"')
    assert start < html.index("<figure")
    table = html[start:html.index("</table>", start)]
    assert (table.index("aisref-shards") < table.index("official-shards")
            < table.index("webdataset-http"))
    assert "n/a" not in table and table.count("%</td>") == 3
    assert not (home / "state" / "local").exists()  # --stop-cluster left nothing running
