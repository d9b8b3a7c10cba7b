"""Helpers of the report checks (tests/report/*.py), run by ctest with /usr/bin/python3.

Every check fails loudly (exit 1) with what went wrong; none skips. Tools that are missing
mean scripts/bootstrap.sh has not run.
"""
import argparse
import json
import os
import subprocess
import sys

SOURCE = os.environ.get("SMTPGATE_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VERDICTS = ["PASS", "FAIL", "WARN", "SKIP", "ERROR"]
SEVERITIES = ["critical", "high", "medium", "low", "info"]

_failures = []


def check(condition, message):
    """Records a failed check (and keeps going, so one run shows every problem)."""
    if not condition:
        _failures.append(message)
        print("FAILED: " + message, flush=True)
    return condition


def finish(name):
    if _failures:
        print("%s: %d check(s) failed" % (name, len(_failures)))
        sys.exit(1)
    print("%s: all checks passed" % name)


def die(message):
    print("ERROR: " + message, flush=True)
    sys.exit(1)


def need_file(path, what):
    if not os.path.exists(path):
        die("%s not found at %s (run scripts/bootstrap.sh)" % (what, path))
    return path


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def run(argv, expect=None, **kwargs):
    """Runs a command; returns CompletedProcess (text). `expect`: the exit code required."""
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if expect is not None and result.returncode != expect:
        print(result.stdout[-3000:])
        print(result.stderr[-3000:])
        die("%s exited %d, expected %d" % (" ".join(argv), result.returncode, expect))
    return result


def count_verdicts(results):
    counts = {v: 0 for v in VERDICTS}
    for test in results["tests"]:
        counts[test["verdict"]] += 1
    return counts


def offending_index(test):
    """What the writers highlight: the first finding behind the verdict that points somewhere."""
    for finding in test["findings"]:
        if finding["verdict"] == test["verdict"] and finding["verdict"] != "PASS":
            index = finding.get("exchange_index")
            return index if index is not None else -1
    return -1


def work_dir():
    path = os.environ.get("SMTPGATE_REPORT_WORK") or os.path.join(os.getcwd(), "report-work")
    os.makedirs(path, exist_ok=True)
    return path


def parse_args():
    """Every check takes --smtpgate (the binary under test; only some need it)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--smtpgate", default="")
    return parser.parse_args()
