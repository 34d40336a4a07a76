"""Runs under valgrind for `aisbench.ab.instructions`: builds a case's loader, warms it, then
delivers exactly what it is told while callgrind counts. Run as a script, so the aisbench it
imports is the measured version's (PYTHONPATH), never the one this file came from.

    python instruction_probe.py CASE.json CONTEXT.json

Protocol on stdin/stdout, one line each: it prints "ready"; on "go N" it delivers at least N
samples and prints "done SAMPLES"; on "exit" it ends.
"""

import json
import sys
from pathlib import Path

from aisbench.runner import context_from_dict
from aisbench.scenario import Case
from aisbench.strategies import get_strategy

WARMUP_SAMPLES = 32


def deliver(loader, samples):  # type: ignore[no-untyped-def]
    """Pull batches (epoch after epoch) until ``samples`` samples came; return how many."""
    got = 0
    while got < samples:
        before = got
        for batch_samples, _nbytes, _payload in loader:
            got += batch_samples
            if got >= samples:
                break
        if got == before:
            raise SystemExit("the loader delivered an empty epoch")
    return got


def main(argv):  # type: ignore[no-untyped-def]
    case = Case.from_dict(json.loads(Path(argv[0]).read_text()))
    ctx = context_from_dict(json.loads(Path(argv[1]).read_text()), case)
    strategy = get_strategy(case.strategy)
    if not hasattr(strategy, "make_loader"):
        raise SystemExit(f"{case.strategy} measures with an external tool: no client to count")
    loader = strategy.make_loader(case, ctx)
    deliver(loader, WARMUP_SAMPLES)
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if words[:1] == ["go"]:
            print(f"done {deliver(loader, int(words[1]))}", flush=True)
        elif words[:1] == ["exit"]:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
