#!/usr/bin/env python3
"""bench/fuzz-speed.py: executions per second of every fuzz target, one core each.

  python3 bench/fuzz-speed.py [--rounds 3] [--seconds 20] [--jobs 2] [--no-build]
                              [target ...]

Each target fuzzes for --seconds from a scratch copy of its shipped seeds (corpus/<target>),
with its options and the dictionary, in the `fuzz` preset (clang 14, ASan+UBSan,
RelWithDebInfo, -fsanitize=fuzzer), one process per target (one core); --jobs processes run at
a time (default 2: the 2 cores of this machine, each target on its own core). The figure is
libFuzzer's exec/s over the whole run (its final stats line), the median and range over
--rounds rounds; with it the final cov and the number of inputs run. Prints the machine and
writes the table to reports/out/bench-fuzz-speed.md.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_report import machine, write_report  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / "build" / "fuzz" / "fuzzers"
DONE = re.compile(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+).*?exec/s: (\d+)")
RUNS = re.compile(r"stat::number_of_executed_units: (\d+)")
TIME = re.compile(r"Done (\d+) runs in (\d+) second")


def options(target: str) -> list[str]:
    """The target's .options as libFuzzer flags (the dictionary path made absolute)."""
    flags = []
    path = REPO / "fuzzers" / f"{target}.options"
    if path.exists():
        for line in path.read_text().splitlines():
            if "=" not in line or line.startswith(("[", "#")):
                continue
            key, value = (s.strip() for s in line.split("=", 1))
            if key == "dict":
                value = str(REPO / "fuzzers" / value)
            flags.append(f"-{key}={value}")
    return flags


def run(target: str, seconds: int, round_: int) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix=f"speed-{target}-"))
    corpus = scratch / "corpus"
    shutil.copytree(REPO / "corpus" / target, corpus)
    env = dict(os.environ)
    env.pop("SMTPGATE_FUZZ_PROFILE", None)
    args = [str(BIN / target), f"-seed={round_}", f"-max_total_time={seconds}",
            "-print_final_stats=1", f"-artifact_prefix={scratch}/", *options(target),
            str(corpus)]
    proc = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                          cwd=scratch)
    log = proc.stderr.decode(errors="replace")
    done = DONE.search(log)
    runs = RUNS.search(log)
    took = TIME.search(log)
    if proc.returncode != 0 or not done or not runs or not took:
        # A finding: keep its artifact and show what it violated.
        said = [l for l in log.splitlines() if "invariant violated" in l or "ERROR:" in l]
        raise SystemExit(f"fuzz-speed: {target} failed (exit {proc.returncode}); artifacts in "
                         f"{scratch}:\n" + "\n".join(said[:5] or [log[-2000:]]))
    shutil.rmtree(scratch, ignore_errors=True)
    n, secs = int(runs.group(1)), max(int(took.group(2)), 1)
    return {"execs": n / secs, "cov": int(done.group(2)), "runs": n}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("targets", nargs="*")
    args = parser.parse_args()
    targets = args.targets or sorted(p.stem for p in (REPO / "fuzzers").glob("fuzz_*.cc"))
    if not args.no_build:
        for step in (["bash", "scripts/bootstrap.sh"], ["cmake", "--preset", "fuzz"],
                     ["cmake", "--build", "--preset", "fuzz"]):
            if subprocess.run(step, cwd=REPO, stdout=subprocess.DEVNULL).returncode:
                raise SystemExit(f"fuzz-speed: {' '.join(step)} failed")
    print(f"machine: {machine()}", flush=True)
    results: dict[str, list[dict]] = {t: [] for t in targets}
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for round_ in range(1, args.rounds + 1):
            futures = {t: pool.submit(run, t, args.seconds, round_) for t in targets}
            for t, f in futures.items():
                results[t].append(f.result())
                r = results[t][-1]
                print(f"  round {round_} {t}: {r['execs']:.0f} exec/s, cov {r['cov']}", flush=True)
    lines = [f"machine: {machine()}", "",
             f"| target | exec/s, median (min..max) of {args.rounds} x {args.seconds} s | cov "
             "(median) | inputs run (median) |", "|---|---|---|---|"]
    for t in targets:
        e = [r["execs"] for r in results[t]]
        lines.append(f"| `{t}` | {statistics.median(e):.0f} ({min(e):.0f}..{max(e):.0f}) | "
                     f"{statistics.median(r['cov'] for r in results[t]):.0f} | "
                     f"{statistics.median(r['runs'] for r in results[t]):.0f} |")
    text = "\n".join(lines) + "\n"
    write_report("bench-fuzz-speed.md", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
