"""ctest `report_junit`: the JUnit XML of a real run is well-formed XML that CI test
reporters read (testsuites > testsuite > testcase, counts in attributes), and agrees with the
results JSON: one testsuite per area, failure/error/skipped per verdict, failures carrying the
severity, the reason and the exchange with the offending entry marked.
"""
import collections
import os
import xml.etree.ElementTree as ElementTree

import common


def main():
    common.parse_args()
    work = common.work_dir()
    results = common.load_json(os.path.join(work, "open-relay.json"))
    root = ElementTree.parse(os.path.join(work, "open-relay.junit.xml")).getroot()
    common.check(root.tag == "testsuites", "root element is <testsuites>")
    counts = common.count_verdicts(results)
    common.check(root.get("tests") == str(len(results["tests"])), "testsuites tests=")
    common.check(root.get("failures") == str(counts["FAIL"]), "testsuites failures=")
    common.check(root.get("errors") == str(counts["ERROR"]), "testsuites errors=")
    common.check(root.get("skipped") == str(counts["SKIP"]), "testsuites skipped=")
    areas = collections.Counter(t["area"] for t in results["tests"])
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    common.check(set(suites) == set(areas), "one testsuite per area: %s" % sorted(suites))
    by_name = {(t["area"], t["name"]): t for t in results["tests"]}
    seen = 0
    for area, suite in suites.items():
        common.check(suite.get("tests") == str(areas[area]), area + ": tests=")
        for case in suite.findall("testcase"):
            seen += 1
            test = by_name.get((area, case.get("name")))
            if not common.check(test is not None, "unknown testcase %s" % case.get("name")):
                continue
            failure = case.find("failure")
            common.check((failure is not None) == (test["verdict"] == "FAIL"),
                         test["id"] + ": <failure> iff FAIL")
            common.check((case.find("error") is not None) == (test["verdict"] == "ERROR"),
                         test["id"] + ": <error> iff ERROR")
            common.check((case.find("skipped") is not None) == (test["verdict"] == "SKIP"),
                         test["id"] + ": <skipped> iff SKIP")
            if failure is not None:
                common.check(failure.get("message") == "%s: %s" % (test["severity"], test["reason"]),
                             test["id"] + ": failure message is severity: reason")
                marked = [line for line in failure.text.splitlines() if line.endswith("<-- here")]
                common.check(len(marked) == 1, test["id"] + ": one offending entry marked")
                entry = test["exchange"][common.offending_index(test)]
                common.check(marked and marked[0].startswith("%s: %s" % (entry["dir"], entry["data"])),
                             test["id"] + ": the marked entry is the offending one")
    common.check(seen == len(results["tests"]), "one testcase per test")
    # The combined file (two runs) parses too, with suites named by target.
    combined = ElementTree.parse(os.path.join(work, "combined.junit.xml")).getroot()
    common.check(len(combined.findall("testsuite")) == 2 * len(areas), "combined: suites per run")
    common.finish("report_junit")


if __name__ == "__main__":
    main()
