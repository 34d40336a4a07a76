"""Profiling one case under py-spy: the case process and its DataLoader workers, sampled from
outside (no code of the case changes), written as a flamegraph SVG and a speedscope JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from aisbench.errors import AisbenchError
from aisbench.runner import context_to_dict
from aisbench.scenario import Case
from aisbench.strategies import StrategyContext


class ProfilerUnavailable(AisbenchError):
    """py-spy is missing or may not attach (ptrace not permitted)."""


def require_py_spy() -> str:
    """The py-spy executable (on PATH or beside this Python), or ProfilerUnavailable."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        raise ProfilerUnavailable("py-spy is not installed (pip install py-spy)")
    return py_spy


def profile_case(case: Case, ctx: StrategyContext, out_dir: Path,
                 log: Callable[[str], None] = print) -> tuple[Path, Path]:
    """Run ``case`` in a fresh case process under py-spy (workers included); return the
    flamegraph SVG and the speedscope JSON written into ``out_dir``."""
    py_spy = require_py_spy()
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = []
    with tempfile.TemporaryDirectory(prefix="aisbench-profile-") as tmp:
        case_file, ctx_file = Path(tmp) / "case.json", Path(tmp) / "ctx.json"
        case_file.write_text(json.dumps(case.to_dict()))
        ctx_file.write_text(json.dumps(context_to_dict(ctx)))
        safe_id = "".join(c if c.isalnum() or c in "-_=" else "_" for c in case.case_id)
        for fmt, suffix in (("flamegraph", "svg"), ("speedscope", "speedscope.json")):
            out = out_dir / f"{safe_id}.{suffix}"
            argv = [py_spy, "record", "--subprocesses", "--format", fmt, "--output", str(out),
                    "--", sys.executable, "-m", "aisbench.runner.case_process",
                    str(case_file), str(ctx_file), "profile", str(Path(tmp) / "out.json")]
            proc = subprocess.run(argv, capture_output=True, text=True)
            if proc.returncode != 0 or not out.exists():
                text = (proc.stderr or proc.stdout).strip()
                if "ermission" in text or "ptrace" in text.lower():
                    raise ProfilerUnavailable(
                        f"py-spy cannot attach to the case process: {text.splitlines()[-1]}; "
                        "run as root or grant CAP_SYS_PTRACE (or lower "
                        "/proc/sys/kernel/yama/ptrace_scope)")
                raise ProfilerUnavailable(f"py-spy failed ({proc.returncode}): {text[-400:]}")
            outputs.append(out)
            log(f"{fmt}: {out}")
    return outputs[0], outputs[1]
