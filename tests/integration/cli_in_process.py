"""`aisbench <args>` through `aisbench.cli.main` in the test's own process.

The console script and `python -m aisbench.cli` run this same main(); a fresh process adds only
~3 s of interpreter and imports (torch, scipy) before it parses anything. Tests use it for
commands whose check is their output and exit code; a command whose point is to leave work
running after its process exits (`cluster up`) stays a real process. Not for `ab`: it installs
a SIGTERM handler in whatever process runs it.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Mapping, Sequence
from contextlib import redirect_stderr, redirect_stdout

import pytest

from aisbench.cli import main


def run_main(args: Sequence[str], env: Mapping[str, str | None],
             ) -> subprocess.CompletedProcess[str]:
    """Exit code, stdout and stderr of ``main(args)``, run with the environment variables in
    ``env`` set (None: unset) for the call's length; argparse's usage errors included."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(err):
        for name, value in env.items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse: --help, or a usage error
            code = exit_.code if isinstance(exit_.code, int) else 1
    return subprocess.CompletedProcess(["aisbench", *args], code, out.getvalue(),
                                       err.getvalue())
