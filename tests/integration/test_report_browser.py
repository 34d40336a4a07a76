"""The HTML report in a real browser: headless Chromium opens the page, every image loads and
nothing on the page raises an error.

A copy of the page gets a small probe script (the report itself has none): it records
window errors (script errors and failed resource loads) and console.error calls, and after
the load event writes a marker element listing images that did not decode (naturalWidth 0).
Chromium's --dump-dom prints the DOM with that marker; its console log goes to stderr.

Needs /usr/bin/chromium: installed by scripts/install-chromium.sh when missing (as root);
when that is impossible the test is skipped with the script's reason.
"""

from __future__ import annotations

import html
import json
import re
import struct
import subprocess
from pathlib import Path

import pytest

from aisbench.analysis.compare import compare_runs
from aisbench.report import ReportFiles, write_report
from tests.missing_tools import missing_tool
from tests.unit.report.sample_runs import sizes_run, strategies_run, workers_run

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "install-chromium.sh"
INSTALL_TIMEOUT_S = 1200
BROWSER_TIMEOUT_S = 90
WINDOW = (1400, 3000)

PROBE = """<script>
(() => {
  const errors = [];
  window.addEventListener("error", (event) => {
    const target = event.target;
    errors.push(target && target !== window
      ? "failed to load " + (target.src || target.href || target.tagName)
      : "error: " + event.message + " at " + event.filename + ":" + event.lineno);
  }, true);
  window.addEventListener("unhandledrejection", (event) => {
    errors.push("unhandled rejection: " + event.reason);
  });
  const consoleError = console.error;
  console.error = (...args) => { errors.push("console.error: " + args.join(" "));
                                 consoleError.apply(console, args); };
  window.addEventListener("load", () => {
    const images = Array.from(document.images);
    const broken = images.filter((img) => !img.complete || img.naturalWidth === 0)
                         .map((img) => img.alt || img.src.slice(0, 80));
    const marker = document.createElement("pre");
    marker.id = "aisbench-render-check";
    marker.textContent = JSON.stringify({images: images.length, broken: broken, errors: errors});
    document.body.appendChild(marker);
  });
})();
</script>"""
MARKER = re.compile(r'<pre id="aisbench-render-check">(.*?)</pre>', re.S)


def chromium_argv(profile: Path, *extra: str) -> list[str]:
    """Headless Chromium that stays off the network (no updates, sync or QUIC)."""
    return [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        *extra,
    ]


@pytest.fixture(scope="module")
def chromium() -> Path:
    """/usr/bin/chromium, installed when missing; else `missing_tool` skips or fails."""
    if not CHROMIUM.exists():
        try:
            result = subprocess.run(
                [str(INSTALL_SCRIPT)],
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            missing_tool(f"Chromium unavailable: {INSTALL_SCRIPT.name} ran over "
                         f"{INSTALL_TIMEOUT_S}s")
        if result.returncode != 0 or not CHROMIUM.exists():
            reason = (result.stderr.strip().splitlines() or ["no reason given"])[-1]
            missing_tool(f"Chromium unavailable: {reason}")
    return CHROMIUM


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    base = workers_run()
    current = workers_run("20261123T210000-dddddd", scale=0.85)
    return write_report(
        [current, sizes_run(), strategies_run()],
        tmp_path_factory.mktemp("browser-report"),
        comparison=compare_runs(base, current, resamples=500),
    )


@pytest.fixture(scope="module")
def rendered(
    chromium: Path, report: ReportFiles, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, object], str]:
    """(the probe's marker, Chromium's stderr) for the report page."""
    page = report.html.read_text()
    probed = report.html.with_name("browser-check.html")  # same folder: same relative links
    probed.write_text(page.replace("<head>", "<head>" + PROBE, 1))
    profile = tmp_path_factory.mktemp("chromium-profile")
    result = subprocess.run(
        chromium_argv(
            profile,
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            "--dump-dom",
            probed.as_uri(),
        ),
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
    )
    assert result.returncode == 0, f"chromium exited {result.returncode}: {result.stderr[-2000:]}"
    found = MARKER.search(result.stdout)
    assert found, f"the probe's marker is missing; stderr: {result.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1))), result.stderr


def test_every_image_of_the_report_loads_in_chromium(
    rendered: tuple[dict[str, object], str], report: ReportFiles
):
    marker, _ = rendered

    assert marker["images"] == len(report.plots)
    assert marker["broken"] == []


def test_the_report_raises_no_error_in_chromium(rendered: tuple[dict[str, object], str]):
    marker, stderr = rendered
    console = [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]

    assert marker["errors"] == []
    assert console == []


def test_chromium_takes_a_full_width_screenshot_of_the_report(
    chromium: Path, report: ReportFiles, tmp_path_factory: pytest.TempPathFactory
):
    shot = report.html.with_name("screenshot.png")
    result = subprocess.run(
        chromium_argv(
            tmp_path_factory.mktemp("chromium-shot"),
            "--hide-scrollbars",
            f"--screenshot={shot}",
            report.html.as_uri(),
        ),
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == WINDOW  # IHDR width, height
