#!/usr/bin/python3
"""Compares results of the real-target runs with conformance/expectations/real-targets.toml.

usage: check_expectations.py --expect FILE [--markdown] SERVER:VARIANT=RESULTS.json ...

Prints a matrix (server x variant x area: PASS/FAIL/WARN counts), then every difference
from the expectation. Exit 0 when every run matches, 1 on a mismatch, 2 on bad input.
"""

import argparse
import json
import sys
import tomllib

VERDICTS = ("PASS", "FAIL", "WARN", "SKIP", "ERROR")
# Per [server.variant]: relayed and smuggled FAILs must have oracle evidence; known_fail
# and warn add the variant's own explained FAILs (any evidence) and WARNs to the server's.
VARIANT_KEYS = ("relayed", "smuggled", "known_fail", "warn")


class InputError(Exception):
    pass


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from e
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}:{e.colno}: not JSON: {e.msg}") from e
    tests = data.get("tests") if isinstance(data, dict) else None
    if not isinstance(tests, list):
        raise InputError(f"{path}: no 'tests' array (not an smtpgate results file)")
    for i, test in enumerate(tests):
        for key in ("name", "verdict", "area", "evidence"):
            if key not in test:
                raise InputError(f"{path}: tests[{i}] has no '{key}'")
    return data


def load_expectations(path):
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from e
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: {e}") from e


def name_set(table, key, where):
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}.{key} must be an array of test names")
    return set(value)


def check_run(server, variant, results, expect, expect_path):
    """List of mismatch messages for one run."""
    if server not in expect or not isinstance(expect[server], dict):
        raise InputError(f"{expect_path}: no [{server}] table")
    srv = expect[server]
    if variant not in srv or not isinstance(srv[variant], dict):
        raise InputError(f"{expect_path}: no [{server}.{variant}] table")
    known = name_set(srv, "known_fail", server)
    warn = name_set(srv, "warn", server)
    skip = name_set(srv, "skip", server)
    where = f"{server}.{variant}"
    for key in srv[variant]:
        if key not in VARIANT_KEYS:
            raise InputError(f"{expect_path}: [{where}] has an unknown key '{key}' "
                             f"(known: {', '.join(VARIANT_KEYS)})")
    relayed = name_set(srv[variant], "relayed", where)
    smuggled = name_set(srv[variant], "smuggled", where)
    known |= name_set(srv[variant], "known_fail", where)
    warn |= name_set(srv[variant], "warn", where)

    by_verdict = {v: set() for v in VERDICTS}
    tests = {}
    for test in results["tests"]:
        by_verdict.setdefault(test["verdict"], set()).add(test["name"])
        tests[test["name"]] = test
    problems = []

    def compare(verdict, expected):
        got = by_verdict[verdict]
        for name in sorted(got - expected):
            reason = tests[name].get("reason", "")
            problems.append(f"unexpected {verdict}: {name} ({reason[:160]})")
        for name in sorted(expected - got):
            now = tests[name]["verdict"] if name in tests else "missing from the results"
            problems.append(f"expected {verdict}, got {now}: {name}")

    compare("FAIL", known | relayed | smuggled)
    compare("WARN", warn - relayed - smuggled - known)
    compare("SKIP", skip)
    compare("ERROR", set())
    for names, why in ((relayed, "the relayed token must reach the sink"),
                       (smuggled, "the smuggled message must be in a mailbox or at the sink")):
        for name in sorted(names):
            test = tests.get(name)
            if test and test["verdict"] == "FAIL" and "oracle" not in test["evidence"]:
                problems.append(
                    f"{name} FAILed by {', '.join(test['evidence']) or 'no evidence'}, "
                    f"not by the delivery oracle ({why})")
    return problems


def area_counts(results):
    counts = {}
    for test in results["tests"]:
        area = counts.setdefault(test["area"], dict.fromkeys(VERDICTS, 0))
        area[test["verdict"]] = area.get(test["verdict"], 0) + 1
    return counts


def print_matrix(runs, markdown):
    areas = sorted({a for _, _, r in runs for a in area_counts(r)})
    header = ["server", "variant"] + areas + ["total"]
    rows = []
    for server, variant, results in runs:
        counts = area_counts(results)
        total = dict.fromkeys(VERDICTS, 0)
        cells = []
        for area in areas:
            c = counts.get(area, dict.fromkeys(VERDICTS, 0))
            for v in VERDICTS:
                total[v] += c.get(v, 0)
            cells.append(f"{c['PASS']}/{c['FAIL']}/{c['WARN']}")
        cells.append(f"{total['PASS']}/{total['FAIL']}/{total['WARN']}")
        rows.append([server, variant] + cells)
    print("PASS/FAIL/WARN per area (SKIPs not shown)")
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expect", required=True)
    parser.add_argument("--markdown", action="store_true", help="print the matrix as a table")
    parser.add_argument("runs", nargs="+", metavar="SERVER:VARIANT=RESULTS.json")
    args = parser.parse_args()
    try:
        expect = load_expectations(args.expect)
        runs = []
        for spec in args.runs:
            key, sep, path = spec.partition("=")
            server, colon, variant = key.partition(":")
            if not sep or not colon or not server or not variant or not path:
                raise InputError(f"bad run '{spec}': expected SERVER:VARIANT=RESULTS.json")
            runs.append((server, variant, load_json(path)))
        print_matrix(runs, args.markdown)
        failed = False
        for server, variant, results in runs:
            problems = check_run(server, variant, results, expect, args.expect)
            status = "matches the expectation" if not problems else "MISMATCH"
            print(f"{server} {variant}: {status}")
            for p in problems:
                print(f"  {p}")
            failed = failed or bool(problems)
    except InputError as e:
        print(f"check_expectations: {e}", file=sys.stderr)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
