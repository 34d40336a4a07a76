#!/usr/bin/env python3
"""Measure the A/B gate (`aisbench ab`) on this machine: its false-alarm rate on unchanged code
and its power against a real committed slowdown, quiet and under a background CPU load.

1. A slowed commit: on top of --base (default HEAD), CPU work in aisref's request path
   (`aisbench.ab.injected_slowdown`), sized from a short calibration A/B so that it costs about
   --slowdown of the gate scenario's throughput. A temporary branch points at it while the
   script runs and is deleted at the end.
2. For each condition (quiet; loaded: one process spinning on one core, started and stopped by
   this script and bounded in time), --decisions A/A decisions (base vs base) and as many A/B
   decisions (base vs slowed), alternating, each a full `ab` decision with its own seed.
3. Every decision is appended to decisions.jsonl as it ends; summary.md is rewritten after each.

    .venv/bin/python scripts/gate_detection.py --decisions 20 --conditions quiet loaded
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from aisbench.ab.blocks import replay
from aisbench.ab.gate import EXIT_SLOWER, CaseVerdict, GateSettings, exit_code
from aisbench.ab.injected_slowdown import iterations_for, slowed_commit
from aisbench.ab.run import REPO, AbOutcome, AbRequest, read_measurements, run_ab
from aisbench.cluster.select import settings_from_env

LOAD_MAX_S = 4 * 3600  # the background load ends by itself even if this script is killed


def _spin(deadline: float) -> None:
    os.sched_setaffinity(0, {0})
    while time.time() < deadline:
        pass


def _gate(args: argparse.Namespace, seed: int = 0) -> GateSettings:
    """The shipped gate but for the blocks and the budget given here."""
    return GateSettings(min_blocks=args.blocks, max_blocks=args.max_blocks,
                        budget_s=args.budget_s, seed=seed)


def _decide(args: argparse.Namespace, current: str, seed: int, reports: Path) -> AbOutcome:
    gate = _gate(args, seed)
    request = AbRequest(scenario=args.scenario, base_ref=args.base, current_ref=current,
                        gate=gate, reports=reports)
    outcome = run_ab(request, settings_from_env(), log=lambda _: None)
    if outcome.interrupted:  # Ctrl-C or SIGTERM inside the A/B: stop the whole measurement
        raise KeyboardInterrupt
    return outcome


def _throughput_ratio(outcome: AbOutcome) -> float:
    case = outcome.verdicts[0]
    for metric in case.metrics:
        if metric.metric == "samples_per_s":
            return metric.estimate.ratio
    raise SystemExit(f"the calibration measured no throughput: {case.verdict} {case.reason}")


def _calibrate(args: argparse.Namespace, reports: Path, log: Any) -> tuple[str, int, float]:
    """A slowed commit costing about args.slowdown of throughput. The cost is not linear in the
    work (the loader turns CPU-bound), so: a first guess, then up to two secant steps on
    (iterations, slowdown) measured by short A/B runs; the try closest to the target wins."""
    tries: list[tuple[int, float, str]] = []  # (iterations, measured slowdown, sha)
    iterations = args.iterations or iterations_for(args.first_guess_ms / 1000)
    for attempt in range(1, 4):
        sha = slowed_commit(REPO, args.base, iterations)
        ratio = _throughput_ratio(_decide(replace_blocks(args, 6), sha, 1000 + attempt,
                                          reports))
        tries.append((iterations, 1 - ratio, sha))
        log(f"calibration {attempt}: {iterations} iterations/request -> throughput ratio "
            f"{ratio:.3f}")
        if abs((1 - ratio) - args.slowdown) < 0.015:
            break
        if len(tries) == 1:
            iterations = max(1, round(iterations * args.slowdown / max(1 - ratio, 0.005)))
        else:
            (i0, s0, _), (i1, s1, _) = tries[-2], tries[-1]
            slope = (s1 - s0) / (i1 - i0) if i1 != i0 and s1 != s0 else s1 / i1
            iterations = max(1, round(i1 + (args.slowdown - s1) / slope))
    iterations, slowdown, sha = min(tries, key=lambda t: abs(t[1] - args.slowdown))
    return sha, iterations, 1 - slowdown


def _rejudged(row: dict, gate: GateSettings, decisions: Path) -> dict:
    """``row`` as the gate ``gate`` would have decided on the same recorded measurements (found
    where the row says, or under runs/ab/ beside ``decisions`` when the folder was moved)."""
    directory = Path(row["directory"])
    if not directory.is_dir():
        directory = decisions.parent / "runs" / "ab" / directory.name
    measurements = read_measurements(directory)
    verdict = replay(measurements[0].case_id, measurements, gate)
    return _verdict_row(row["kind"], row["condition"], row["index"], verdict, directory,
                        row["seconds"])


def replace_blocks(args: argparse.Namespace, blocks: int) -> argparse.Namespace:
    copy = argparse.Namespace(**vars(args))
    copy.blocks = copy.max_blocks = blocks
    copy.budget_s = 3600.0
    return copy


def _row(kind: str, condition: str, index: int, outcome: AbOutcome, seconds: float) -> dict:
    return _verdict_row(kind, condition, index, outcome.verdicts[0], outcome.directory, seconds)


def _verdict_row(kind: str, condition: str, index: int, case: CaseVerdict, directory: Path,
                 seconds: float) -> dict:
    row: dict[str, Any] = {"condition": condition, "kind": kind, "index": index,
                           "verdict": case.verdict, "exit_code": exit_code([case]),
                           "blocks": case.blocks, "seconds": round(seconds, 1),
                           "reason": case.reason, "directory": str(directory)}
    for metric in case.metrics:
        e = metric.estimate
        row[metric.metric] = {"ratio": e.ratio, "ci": [e.ci_low, e.ci_high], "p": e.p_value,
                              "verdict": metric.verdict}
    return row


def summarize(rows: list[dict], header: list[str]) -> str:
    lines = [*header, "",
             "| condition | decisions | A/A slower (false alarms) | A/A unchanged | "
             "A/A inconclusive | A/B slower (caught) | A/B inconclusive | A/B unchanged | "
             "A/B throughput ratio (median) | A/B CPU/sample ratio (median) | A/A intervals "
             "excluding 1 (throughput, CPU) | seconds per decision (median, max) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for condition in dict.fromkeys(r["condition"] for r in rows):
        aa = [r for r in rows if r["condition"] == condition and r["kind"] == "A/A"]
        ab = [r for r in rows if r["condition"] == condition and r["kind"] == "A/B"]

        def count(group: list[dict], verdict: str) -> str:
            return f"{sum(r['verdict'] == verdict for r in group)}/{len(group)}"

        def median(group: list[dict], metric: str) -> str:
            values = sorted(r[metric]["ratio"] for r in group if metric in r)
            return f"{values[len(values) // 2]:.3f}" if values else "-"

        def excluding_one(group: list[dict], metric: str) -> str:
            """How often the 95% interval of an A/A missed the truth (1): ~1 in 20 if honest."""
            judged = [r[metric]["ci"] for r in group if metric in r]
            return f"{sum(not low <= 1 <= high for low, high in judged)}/{len(judged)}"

        seconds = sorted(r["seconds"] for r in rows if r["condition"] == condition)
        lines.append(
            f"| {condition} | {len(aa)} + {len(ab)} | {count(aa, 'slower')} | "
            f"{count(aa, 'unchanged')} | {count(aa, 'inconclusive')} | {count(ab, 'slower')} | "
            f"{count(ab, 'inconclusive')} | {count(ab, 'unchanged')} | "
            f"{median(ab, 'samples_per_s')} | {median(ab, 'cpu_s_per_sample')} | "
            f"{excluding_one(aa, 'samples_per_s')}, {excluding_one(aa, 'cpu_s_per_sample')} | "
            f"{seconds[len(seconds) // 2]:.0f}, {seconds[-1]:.0f} |")
    return "\n".join(lines) + "\n"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _interrupt)  # a kill cleans up: branch, worktrees, load
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(REPO / "scenarios" / "gate.yaml"))
    parser.add_argument("--base", default="HEAD")
    parser.add_argument("--decisions", type=int, default=20, help="A/A and A/B each")
    parser.add_argument("--conditions", nargs="+", default=["quiet", "loaded"],
                        choices=["quiet", "loaded"])
    parser.add_argument("--minutes-per-condition", type=float, default=90.0)
    parser.add_argument("--slowdown", type=float, default=0.10)
    parser.add_argument("--first-guess-ms", type=float, default=0.25,
                        help="CPU per request of the first calibration try")
    parser.add_argument("--iterations", type=int, default=None,
                        help="first calibration try in iterations (overrides --first-guess-ms)")
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--max-blocks", type=int, default=12)
    parser.add_argument("--budget-s", type=float, default=130.0)
    parser.add_argument("--out", default=str(REPO / "reports" / "gate-detection"))
    parser.add_argument("--summarize", metavar="DECISIONS_JSONL",
                        help="only print the table of an earlier run's decisions.jsonl")
    parser.add_argument("--threshold", type=float, default=None,
                        help="with --summarize: re-judge the recorded blocks at this threshold")
    parser.add_argument("--cpu-threshold", type=float, default=None,
                        help="with --summarize: re-judge the recorded blocks at this CPU/sample "
                             "threshold")
    args = parser.parse_args(argv)
    if args.summarize:
        earlier = [json.loads(line) for line in Path(args.summarize).read_text().splitlines()
                   if line.strip()]
        title = f"# Decisions in {args.summarize}"
        if args.cpu_threshold is not None or args.threshold is not None:
            gate = replace(_gate(args), threshold=args.threshold or GateSettings.threshold,
                           cpu_threshold=args.cpu_threshold or GateSettings.cpu_threshold)
            earlier = [_rejudged(row, gate, Path(args.summarize)) for row in earlier]
            title += (f", re-judged: throughput {gate.threshold:.0%}, CPU/sample "
                      f"{gate.cpu_threshold:.0%} (seconds as measured)")
        print(summarize(earlier, [title]))
        return 0

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    reports = out / "runs"
    log_file = (out / "log.txt").open("a")

    def log(text: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {text}"
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    # Both sides by SHA: a commit made while this runs must not move the base.
    args.base = subprocess.run(["git", "-C", str(REPO), "rev-parse", args.base], text=True,
                               capture_output=True, check=True).stdout.strip()
    sha, iterations, ratio = _calibrate(args, reports, log)
    branch = f"gate-proof/slow-{sha[:8]}"
    subprocess.run(["git", "-C", str(REPO), "branch", "-f", branch, sha], check=True,
                   capture_output=True)
    gate = _gate(args)
    header = [f"# The A/B gate on this machine: `{Path(args.scenario).stem}`", "",
              f"Slowed commit {sha[:10]} (temporary branch {branch}): {iterations} iterations "
              f"of Python arithmetic per HTTP request in aisref's client; its calibration run "
              f"measured a throughput ratio of {ratio:.3f} (6 blocks). Gate: throughput "
              f"{gate.threshold:.0%}, CPU/sample {gate.cpu_threshold:.0%}, alpha {gate.alpha}, "
              f"{gate.min_blocks} to {gate.max_blocks} blocks, budget {gate.budget_s:.0f} s per "
              f"decision."]
    rows: list[dict] = []
    decisions_file = out / "decisions.jsonl"
    try:
        for condition in args.conditions:
            load = None
            if condition == "loaded":
                load = multiprocessing.Process(target=_spin,
                                               args=(time.time() + LOAD_MAX_S,), daemon=True)
                load.start()
                log(f"background load: pid {load.pid} spinning on CPU 0")
            started = time.monotonic()
            try:
                for index in range(args.decisions):
                    for kind, current in (("A/A", args.base), ("A/B", sha)):
                        t0 = time.monotonic()
                        outcome = _decide(args, current, seed=index * 2 + (kind == "A/B"),
                                          reports=reports)
                        row = _row(kind, condition, index, outcome, time.monotonic() - t0)
                        rows.append(row)
                        with decisions_file.open("a") as f:
                            f.write(json.dumps(row) + "\n")
                        thr = row.get("samples_per_s", {}).get("ratio", math.nan)
                        log(f"{condition} {kind} #{index}: {row['verdict']} (exit "
                            f"{row['exit_code']}, {row['blocks']} blocks, throughput ratio "
                            f"{thr:.3f}, {row['seconds']:.0f} s)"
                            + (" FALSE ALARM" if kind == "A/A" and outcome.exit_code ==
                               EXIT_SLOWER else ""))
                        (out / "summary.md").write_text(summarize(rows, header))
                    if time.monotonic() - started > args.minutes_per_condition * 60:
                        log(f"{condition}: stopping after {index + 1} pairs (time limit)")
                        break
            finally:
                if load is not None:
                    load.terminate()
                    load.join()
    finally:
        subprocess.run(["git", "-C", str(REPO), "branch", "-D", branch], capture_output=True)
    print(summarize(rows, header))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
