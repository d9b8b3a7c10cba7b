"""ctest `report_schema`: results JSON and baselines against reports/schema/*.schema.json
(JSON Schema draft 2020-12, python3-jsonschema from Debian).

Real output of smtpgate (the report_generate fixture, and a baseline written by the binary)
and the test data must validate; broken copies must not (so the schema is not vacuous); the
summary must agree with the tests (which a schema cannot say).
"""
import copy
import glob
import os

import jsonschema

import common


def validator(name):
    schema = common.load_json(os.path.join(common.SOURCE, "reports", "schema", name))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(v, doc):
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message)
            for e in v.iter_errors(doc)]


def main():
    args = common.parse_args()
    work = common.work_dir()
    results_v = validator("results.schema.json")
    baseline_v = validator("baseline.schema.json")

    inputs = [os.path.join(work, "open-relay.json"), os.path.join(work, "secure.json")]
    inputs += sorted(glob.glob(os.path.join(common.SOURCE, "tests/testdata/report/results*.json")))
    for path in inputs:
        doc = common.load_json(path)
        problems = errors(results_v, doc)
        common.check(not problems, "%s does not match the schema: %s" % (path, problems[:3]))
        counts = common.count_verdicts(doc)
        common.check(doc["summary"]["total"] == len(doc["tests"]), path + ": summary.total")
        common.check(doc["summary"]["by_verdict"] == counts, path + ": summary.by_verdict")
        for test in doc["tests"]:
            for finding in test["findings"]:
                index = finding["exchange_index"]
                common.check(index is None or index < len(test["exchange"]),
                             "%s: %s: exchange_index past the exchange" % (path, test["id"]))
        print("valid: %s (%d tests, %s)" % (os.path.basename(path), len(doc["tests"]), counts))
    real = common.load_json(inputs[0])
    fails = [t for t in real["tests"] if t["verdict"] == "FAIL"]
    common.check(fails and all(common.offending_index(t) >= 0 for t in fails),
                 "every FAIL of the open relay names its offending exchange entry")

    # The schema rejects what the reader rejects.
    def broken(mutate):
        doc = copy.deepcopy(real)
        mutate(doc)
        return doc
    for label, mutate in [
        ("unknown verdict", lambda d: d["tests"][0].update(verdict="MAYBE")),
        ("missing exchange", lambda d: d["tests"][0].pop("exchange")),
        ("unknown key", lambda d: d.update(colour="red")),
        ("negative elapsed_ms", lambda d: d["tests"][0]["exchange"][0].update(elapsed_ms=-1)),
        ("bad direction", lambda d: d["tests"][0]["exchange"][0].update(dir="X")),
        ("old schema_version", lambda d: d.update(schema_version=1)),
        ("line 0", lambda d: d["tests"][0]["findings"][0].update(line=0)),
        ("bad started", lambda d: d.update(started="yesterday")),
    ]:
        common.check(errors(results_v, broken(mutate)), "the schema accepts a " + label)

    # Baselines: the golden one, checked-in ones, and one the binary writes now.
    written = os.path.join(work, "schema-baseline.json")
    if os.path.exists(written):
        os.remove(written)
    common.run([args.smtpgate, "report", inputs[0], "--baseline", written, "--write-baseline"],
               expect=0)
    baselines = [written, os.path.join(common.SOURCE, "tests/testdata/report/golden/baseline.json")]
    baselines += sorted(glob.glob(os.path.join(common.SOURCE, "reports/baselines/*.json")))
    for path in baselines:
        problems = errors(baseline_v, common.load_json(path))
        common.check(not problems, "%s does not match the baseline schema: %s" % (path, problems))
        print("valid: " + os.path.relpath(path, work))
    doc = common.load_json(written)
    common.check(len(doc["verdicts"]) == len(real["tests"]), "the baseline has every test")
    common.check(list(doc["verdicts"]) == sorted(doc["verdicts"]), "the baseline is sorted")
    with open(written, encoding="utf-8") as f:
        lines = f.read().splitlines()
    common.check(len(lines) == len(real["tests"]) + 7, "the baseline has one test a line")
    common.check(errors(baseline_v, {"smtpgate_baseline": 1, "verdicts": {"a/b": "GOOD"}}),
                 "the baseline schema accepts a bad verdict")
    common.finish("report_schema")


if __name__ == "__main__":
    main()
