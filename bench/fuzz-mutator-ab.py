#!/usr/bin/env python3
"""bench/fuzz-mutator-ab.py: fuzz_session's structure-aware mutator against libFuzzer's own.

  python3 bench/fuzz-mutator-ab.py [--runs 5] [--seconds 30] [--coverage-seconds 60]
                                   [--flaws open-relay,auth-implies-relay,ms02-012,bare-lf-eod]
                                   [--no-build]

Two binaries of the same target, the same sources, the same dictionary and options
(fuzzers/fuzz_session.options): build/fuzz/fuzzers/fuzz_session (the custom mutator and
cross-over of fuzzers/session_mutator.h, libFuzzer's mutator for a quarter of the
mutations) and build/fuzz/fuzzers/fuzz_session_plain (libFuzzer's mutators only). Both run
side by side, one per core, with the same -seed, so each pair gets the same CPU time.

  time to find   each planted flaw (SMTPGATE_FUZZ_PROFILE=P, the flaw not tolerated), from
                 (a) the shipped seeds (corpus/fuzz_session, which hold a session aimed at
                 each flaw: both find it while replaying them), and (b) one plain seed, an
                 anonymous local delivery (corpus/fuzz_session/local-delivery), where the
                 fuzzer has to build the session itself; capped at --seconds, a run that
                 finds nothing counts as "not found";
  edges          cov and ft after --coverage-seconds of fuzzing the secure profiles (no
                 planted flaw) from the plain seed;
  exec/s         of the same coverage runs.

Each figure is the median and the range of --runs runs (-seed=1..runs). Prints the machine
and writes the table to reports/out/bench-fuzz-mutator-ab.md. Use a quiet machine: both
cores are busy for about 2 x flaws x runs x seconds / 2 + runs x coverage-seconds at worst.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_report import machine, write_report  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / "build" / "fuzz" / "fuzzers"
MODES = {"structured": "fuzz_session", "plain": "fuzz_session_plain"}
STATS = re.compile(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+).*?exec/s: (\d+)")
PLAIN_SEED = REPO / "corpus" / "fuzz_session" / "local-delivery"


def run(mode: str, seed: int, seconds: int, seeds: Path, profile: str | None,
        work: Path) -> dict:
    """One libFuzzer run; returns found (bool), seconds to the finding, cov, ft, exec/s."""
    scratch = Path(tempfile.mkdtemp(dir=work))
    env = dict(os.environ)
    env.pop("SMTPGATE_FUZZ_PROFILE", None)
    if profile:
        env["SMTPGATE_FUZZ_PROFILE"] = profile
    env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
    args = [str(BIN / MODES[mode]), f"-seed={seed}", f"-max_total_time={seconds}",
            "-dict=" + str(REPO / "fuzzers" / "smtp.dict"), "-max_len=4096", "-timeout=10",
            "-print_final_stats=1", "-print_funcs=0", f"-artifact_prefix={scratch}/",
            str(scratch), str(seeds)]
    began = time.monotonic()
    proc = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                          cwd=scratch)
    elapsed = time.monotonic() - began
    log = proc.stderr.decode(errors="replace")
    found = "invariant violated" in log or "ERROR: AddressSanitizer" in log
    cov = ft = execs = 0
    for m in STATS.finditer(log):
        cov, ft, execs = int(m.group(2)), int(m.group(3)), int(m.group(4))
    if profile and not found and proc.returncode not in (0,):
        raise SystemExit(f"fuzz-mutator-ab: {mode} run failed (exit {proc.returncode}):\n"
                         f"{log[-2000:]}")
    if not profile and found:
        raise SystemExit(f"fuzz-mutator-ab: {mode} found a real bug in the secure profiles "
                         f"(artifacts in {scratch}):\n{log[-3000:]}")
    shutil.rmtree(scratch, ignore_errors=True)
    return {"found": found, "seconds": elapsed, "cov": cov, "ft": ft, "execs": execs}


def side_by_side(seed: int, seconds: int, seeds: Path, profile: str | None,
                 work: Path) -> dict[str, dict]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {m: pool.submit(run, m, seed, seconds, seeds, profile, work) for m in MODES}
        return {m: f.result() for m, f in futures.items()}


def spread(values: list[float], fmt: str) -> str:
    return (f"{fmt.format(statistics.median(values))} "
            f"({fmt.format(min(values))}..{fmt.format(max(values))})")


def find_cell(results: list[dict], cap: int) -> str:
    times = [r["seconds"] if r["found"] else None for r in results]
    found = [t for t in times if t is not None]
    n = len(times)
    if len(found) * 2 <= n:  # the median run did not find it
        return f"not found in {cap} s ({len(found)}/{n} found)"
    # Runs that found nothing sort last (as "more than the cap").
    ordered = sorted(found) + [float("inf")] * (n - len(found))
    median = ordered[(n - 1) // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    worst = f"{max(found):.2f}" if len(found) == n else f">{cap}"
    return f"{median:.2f} s ({min(found):.2f}..{worst}; {len(found)}/{n} found)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--coverage-seconds", type=int, default=60)
    parser.add_argument("--flaws", default="open-relay,auth-implies-relay,ms02-012,bare-lf-eod")
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    flaws = args.flaws.split(",")

    if not args.no_build:
        for step in (["bash", "scripts/bootstrap.sh"], ["cmake", "--preset", "fuzz"],
                     ["cmake", "--build", "--preset", "fuzz", "--target", "fuzz_session",
                      "fuzz_session_plain"]):
            if subprocess.run(step, cwd=REPO, stdout=subprocess.DEVNULL).returncode:
                raise SystemExit(f"fuzz-mutator-ab: {' '.join(step)} failed")
    for binary in MODES.values():
        if not os.access(BIN / binary, os.X_OK):
            raise SystemExit(f"fuzz-mutator-ab: {BIN / binary} is missing (drop --no-build)")

    work = Path(tempfile.mkdtemp(prefix="fuzz-ab-"))
    plain_dir = work / "plain-seed"
    plain_dir.mkdir()
    shutil.copy(PLAIN_SEED, plain_dir / PLAIN_SEED.name)
    shipped = REPO / "corpus" / "fuzz_session"
    print(f"machine: {machine()}", flush=True)
    print(f"{args.runs} runs per cell, modes side by side (one core each), -seed=1..{args.runs}",
          flush=True)

    rows = []
    for flaw in flaws:
        for label, seeds in (("shipped seeds", shipped), ("one plain seed", plain_dir)):
            per_mode: dict[str, list[dict]] = {m: [] for m in MODES}
            for seed in range(1, args.runs + 1):
                for m, r in side_by_side(seed, args.seconds, seeds, flaw, work).items():
                    per_mode[m].append(r)
            cells = {m: find_cell(per_mode[m], args.seconds) for m in MODES}
            rows.append((f"time to find `{flaw}`, {label}", cells["plain"], cells["structured"]))
            print(f"  {rows[-1][0]}: plain {cells['plain']}; structured {cells['structured']}",
                  flush=True)

    cov: dict[str, list[dict]] = {m: [] for m in MODES}
    for seed in range(1, args.runs + 1):
        for m, r in side_by_side(seed, args.coverage_seconds, plain_dir, None, work).items():
            cov[m].append(r)
    for key, label in (("cov", "edges (cov)"), ("ft", "features (ft)"), ("execs", "exec/s")):
        cells = {m: spread([float(r[key]) for r in cov[m]], "{:.0f}") for m in MODES}
        rows.append((f"{label} after {args.coverage_seconds} s, secure profiles, one plain seed",
                     cells["plain"], cells["structured"]))
        print(f"  {rows[-1][0]}: plain {cells['plain']}; structured {cells['structured']}",
              flush=True)
    shutil.rmtree(work, ignore_errors=True)

    table = ["| measure (median, range over %d runs) | plain (libFuzzer) | structure-aware |"
             % args.runs, "|---|---|---|"]
    table += [f"| {name} | {plain} | {structured} |" for name, plain, structured in rows]
    text = (f"machine: {machine()}\n\n" + "\n".join(table) + "\n")
    write_report("bench-fuzz-mutator-ab.md", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
