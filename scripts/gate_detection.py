#!/usr/bin/env python3
"""Measure the regression gate on real runs: how often it flags a real slowdown, and how often
it cries wolf on an unchanged loader.

One baseline run of a scenario, then PAIRS times: an A/A run (nothing changed) and an A/B run with
a per-batch delay calibrated from the baseline to cost about --slowdown of throughput. Each run is
compared with the baseline by `aisbench compare`'s own code. Prints (and writes) a Markdown
summary with the detection rate and the false-positive rate.

    .venv/bin/python scripts/gate_detection.py --scenario regression --pairs 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from aisbench.analysis.compare import compare_runs, has_regression
from aisbench.cluster.select import settings_from_env
from aisbench.commands import REPO, Paths, run
from aisbench.results.schema import RunRecord
from aisbench.runner.run import load
from aisbench.scenario.expand import expand
from aisbench.scenario.load import find_scenario


def calibrated_delay_s(baseline: RunRecord, workers: dict[str, int], slowdown: float) -> float:
    """Per-sample delay (spent in each loader worker) that cuts throughput by `slowdown`.

    A worker spends t = duration * workers / samples on a sample; adding d gives
    t / (t + d) = 1 - slowdown, so d = t * slowdown / (1 - slowdown).
    """
    per_sample = [m.duration_s * max(1, workers[case.case_id]) / m.samples
                  for case in baseline.cases for m in case.repeats if m.samples]
    if not per_sample:
        raise SystemExit("the baseline run measured no samples; nothing to calibrate from")
    return statistics.mean(per_sample) * slowdown / (1 - slowdown)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="regression")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--slowdown", type=float, default=0.20)
    parser.add_argument("--threshold", type=float, default=0.05)
    parser.add_argument("--reports", default=str(REPO / "reports" / "gate-detection"))
    args = parser.parse_args(argv)

    paths = Paths(reports=Path(args.reports))
    settings = settings_from_env()
    scenario = find_scenario(args.scenario)

    def one_run(delay_s: float) -> RunRecord:
        return run(scenario, settings, paths, report=False, progress=False,
                   injected_delay_s=delay_s, log=lambda _: None).record

    baseline = one_run(0.0)
    workers = {case.case_id: case.loader.num_workers for case in expand(load(scenario))}
    delay = calibrated_delay_s(baseline, workers, args.slowdown)
    detected = false_alarms = 0
    rows = []
    for pair in range(1, args.pairs + 1):
        same = compare_runs(baseline, one_run(0.0), threshold=args.threshold)
        slow = compare_runs(baseline, one_run(delay), threshold=args.threshold)
        false_alarms += has_regression(same)
        detected += has_regression(slow)
        for label, comparison in (("A/A", same), ("A/B", slow)):
            for c in comparison.cases:
                rows.append(f"| {pair} | {label} | {c.case_id} | {_num(c.ratio)} | "
                            f"{_num(c.p_value)} | {c.verdict} |")
    summary = "\n".join([
        f"# Regression gate on real runs: `{args.scenario}`",
        "",
        f"Injected delay {delay * 1000:.3f} ms per sample in the loader workers (calibrated for a "
        f"{args.slowdown:.0%} slowdown); threshold {args.threshold:.0%}.",
        "",
        f"- detection rate (A/B runs flagged as a regression): {detected}/{args.pairs}",
        f"- false-positive rate (A/A runs flagged): {false_alarms}/{args.pairs}",
        "",
        "| pair | kind | case | ratio | p | verdict |",
        "|---|---|---|---|---|---|",
        *rows,
    ])
    print(summary)
    out = Path(args.reports) / "summary.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(summary + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
