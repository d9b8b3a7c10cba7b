"""ctest `report_sarif`: the SARIF smtpgate writes passes Microsoft's SARIF Multitool
(`Sarif.Multitool validate`, npm @microsoft/sarif-multitool, installed into .tools/ by
scripts/bootstrap.sh), and agrees with the results JSON.

The Multitool reports schema violations such as unknown properties (JSON1005), but in 5.7.0
a log that fails to deserialize (an unknown enum value like "level": "critical", a string
where an integer belongs) is reported with no result at all. So the SARIF is also checked
against the SARIF 2.1.0 JSON Schema that ships with the Multitool (python3-jsonschema), and
canaries show that both validators do report what they should.
"""
import collections
import copy
import json
import os
import re

import jsonschema

import common

# Warnings the validation may give: the tool has no public home page for 'informationUri'.
ALLOWED_WARNINGS = {"SARIF2005"}
LEVELS = {"FAIL": {"critical": "error", "high": "error", "medium": "error", "low": "warning",
                   "info": "note"},
          "WARN": {s: ("note" if s == "info" else "warning") for s in common.SEVERITIES}}


def multitool_dir():
    default = os.path.join(common.SOURCE, ".tools", "node_modules", "@microsoft",
                           "sarif-multitool-linux")
    return os.environ.get("SMTPGATE_SARIF_MULTITOOL_DIR", default)


def validate(tool, path, work):
    """Runs `validate`; returns [(level, rule id, message)] from its output log."""
    out = os.path.join(work, os.path.basename(path) + ".validation.sarif")
    if os.path.exists(out):
        os.remove(out)
    result = common.run([tool, "validate", path, "--output", out, "--log", "ForceOverwrite",
                         "--level", "Error;Warning;Note"], cwd=work)
    if not os.path.exists(out):
        print(result.stdout, result.stderr)
        common.die("the Multitool wrote no validation log for " + path)
    log = common.load_json(out)
    run = log["runs"][0]
    for invocation in run.get("invocations", []):
        common.check(invocation.get("executionSuccessful", False),
                     "the Multitool did not complete on " + path)
        for note in invocation.get("toolExecutionNotifications", []):
            common.check(note.get("level") != "error", "Multitool error: %s" % note)
    found = []
    for r in run.get("results", []):
        message = r.get("message", {})
        text = message.get("text") or "%s %s" % (message.get("id"), message.get("arguments"))
        found.append((r.get("level", "warning"), r["ruleId"], text))
    return found


def main():
    common.parse_args()
    work = common.work_dir()
    tool_dir = multitool_dir()
    tool = common.need_file(os.path.join(tool_dir, "Sarif.Multitool"), "SARIF Multitool")
    schema = common.load_json(common.need_file(os.path.join(tool_dir, "sarif-2.1.0.json"),
                                               "the SARIF 2.1.0 schema of the Multitool"))
    sarif_schema = jsonschema.Draft202012Validator(schema)
    version = common.run([tool, "--version"])  # printed on stderr, without a newline
    found = re.search(r"SARIF Multitool ([0-9][^\sS]*)", version.stdout + version.stderr)
    print("validator: SARIF Multitool " + (found.group(1) if found else "(version unknown)"))

    files = [os.path.join(work, "open-relay.sarif"), os.path.join(work, "combined.sarif"),
             os.path.join(common.SOURCE, "tests/testdata/report/golden/results.sarif"),
             os.path.join(common.SOURCE, "tests/testdata/report/golden/combined.sarif")]
    for path in files:
        found = validate(tool, path, work)
        by_level = collections.Counter(level for level, _, _ in found)
        by_rule = collections.Counter("%s %s" % (level, rule) for level, rule, _ in found)
        print("%s: %s" % (os.path.basename(path), dict(sorted(by_rule.items()))))
        for level, rule, text in found:
            if level == "error" or (level == "warning" and rule not in ALLOWED_WARNINGS):
                common.check(False, "%s: %s %s: %s" % (path, level, rule, text))
        common.check(by_level["error"] == 0, path + ": no errors")
        problems = list(sarif_schema.iter_errors(common.load_json(path)))
        common.check(not problems, "%s: SARIF schema: %s" % (
            path, [("/".join(map(str, e.absolute_path)), e.message) for e in problems[:3]]))

    # Canaries: a log with an unknown property is an error for the Multitool; a bad level is
    # one for the schema (the Multitool says nothing about it).
    sarif = common.load_json(files[0])
    unknown = copy.deepcopy(sarif)
    unknown["runs"][0]["results"][0]["colour"] = "red"
    canary = os.path.join(work, "canary-unknown-property.sarif")
    with open(canary, "w", encoding="utf-8") as f:
        json.dump(unknown, f)
    common.check(any(level == "error" and rule == "JSON1005"
                     for level, rule, _ in validate(tool, canary, work)),
                 "the Multitool reports an unknown property (canary)")
    bad_level = copy.deepcopy(sarif)
    bad_level["runs"][0]["results"][0]["level"] = "critical"
    common.check(list(sarif_schema.iter_errors(bad_level)), "the schema rejects level critical")

    # What the SARIF says agrees with the results JSON.
    results = common.load_json(os.path.join(work, "open-relay.json"))
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    common.check([r["id"] for r in rules] == [t["id"] for t in results["tests"]],
                 "one rule per transcript, in order")
    expected = {t["id"]: LEVELS[t["verdict"]][t["severity"]]
                for t in results["tests"] if t["verdict"] in ("FAIL", "WARN")}
    actual = {r["ruleId"]: r["level"] for r in run["results"]}
    common.check(actual == expected, "one result per FAIL/WARN, level from verdict and severity")
    by_id = {t["id"]: t for t in results["tests"]}
    for r in run["results"]:
        test = by_id[r["ruleId"]]
        common.check(rules[r["ruleIndex"]]["id"] == r["ruleId"], r["ruleId"] + ": ruleIndex")
        region = r["locations"][0]["physicalLocation"]["region"]
        line = next((f["line"] for f in test["findings"] if f["verdict"] == test["verdict"]), None)
        common.check(region["startLine"] == (line or 1), r["ruleId"] + ": startLine")
        common.check(r["properties"]["offendingExchangeIndex"] == common.offending_index(test),
                     r["ruleId"] + ": offending exchange entry")
    for rule in rules:
        test = by_id[rule["id"]]
        common.check(test["title"] in rule["help"]["text"] and test["source"] in rule["help"]["text"],
                     rule["id"] + ": help from @title and @source")
    print("results: %d (%s)" % (len(actual), dict(collections.Counter(actual.values()))))
    common.finish("report_sarif")


if __name__ == "__main__":
    main()
