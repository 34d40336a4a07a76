"""Instruction counts of the client-side work, by valgrind's callgrind: repeatable where wall
clock is not.

The case's loader runs in the main process (num_workers=0, so every instruction of the client
is in one process), is built and warmed with instrumentation off, then delivers a fixed number
of samples with it on (`callgrind_control -i on/off`). What it counts: the Python client,
requests, tar parsing, collation - the CPU work a change adds or removes. What it cannot see:
time spent waiting (the server, the network, locks, sleeps) and how work spreads over DataLoader
workers. The torch import and the loader's set-up are outside the count.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

from aisbench.ab.errors import AbError
from aisbench.ab.measure import CaseSite
from aisbench.ab.versions import Version
from aisbench.runner import context_to_dict

PROBE = Path(__file__).with_name("instruction_probe.py")
_PROBE_TIMEOUT_S = 900.0  # valgrind runs Python 20-50x slower with instrumentation on
_TOTALS = re.compile(r"^totals:\s+(\d+)", re.MULTILINE)


def valgrind_missing() -> str | None:
    """Why instructions cannot be counted here, or None."""
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            return (f"{tool} is not installed (Debian: apt-get install valgrind); "
                    "--instructions needs it")
    return None


def _control(pid: int, switch: str) -> None:
    proc = subprocess.run(["callgrind_control", "-i", switch, str(pid)], capture_output=True,
                          text=True, timeout=60)
    if proc.returncode != 0 or "OK" not in proc.stdout:
        raise AbError(f"callgrind_control -i {switch} failed: {proc.stdout} {proc.stderr}")


def _expect(proc: subprocess.Popen[str], word: str) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith(word):
        proc.kill()
        _, err = proc.communicate(timeout=30)
        tail = " | ".join(err.strip().splitlines()[-3:])
        raise AbError(f"the instruction probe said {line!r} instead of {word!r}: {tail}")
    return line


def instructions_per_sample(version: Version, site: CaseSite, samples: int) -> float:
    """Instructions the main process runs per sample delivered, over ``samples`` samples."""
    missing = valgrind_missing()
    if missing:
        raise AbError(missing)
    case = site.case
    in_main = replace(case, settings=replace(case.settings,
                                             loader=replace(case.loader, num_workers=0)))
    with tempfile.TemporaryDirectory(prefix="aisbench-instr-") as tmp:
        case_file, ctx_file, out = (Path(tmp) / n for n in ("case.json", "ctx.json", "cg.out"))
        # A copy, run as a script from a folder of its own: this folder's modules must not
        # shadow anything the measured version imports.
        probe = Path(tmp) / PROBE.name
        shutil.copyfile(PROBE, probe)
        case_file.write_text(json.dumps(in_main.to_dict()))
        ctx_file.write_text(json.dumps(context_to_dict(site.ctx)))
        argv = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                f"--callgrind-out-file={out}", sys.executable, str(probe), str(case_file),
                str(ctx_file)]
        env = {**version.environment(), "PYTHONHASHSEED": "0"}
        with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env,
                              cwd=version.tree) as proc:
            assert proc.stdin is not None
            watchdog = threading.Timer(_PROBE_TIMEOUT_S, proc.kill)  # a hung probe ends here
            watchdog.start()
            try:
                _expect(proc, "ready")
                _control(proc.pid, "on")
                proc.stdin.write(f"go {samples}\n")
                proc.stdin.flush()
                delivered = int(_expect(proc, "done").split()[1])
                _control(proc.pid, "off")
                proc.stdin.write("exit\n")
                proc.stdin.flush()
                proc.wait()
            finally:
                watchdog.cancel()
                if proc.poll() is None:
                    proc.kill()
        found = _TOTALS.search(out.read_text()) if out.exists() else None
        if found is None:
            raise AbError(f"callgrind wrote no totals for {version.label}, {case.case_id}")
        return int(found.group(1)) / delivered
