"""ctest `report_gate_demo`: the regression gate with the real smtpgate binary.

1. A baseline from the secure profile (--write-baseline) → exit 0.
2. The same suite against the auth-implies-relay profile (MS02-011) with --baseline → exit 1,
   and the REGRESSED lines name exactly the tests conformance/expectations/embedded.toml
   lists as failing under [auth-implies-relay] (less any that already fail under [secure]).
3. Secure again → exit 0, no regression.
4. `smtpgate report` gives the same verdict after the fact, from the results JSON.
5. A missing baseline, and a malformed results file given to `smtpgate report`, exit 2 with
   the file named.
"""
import os
import re
import tomllib

import common


def regressed(stdout):
    return sorted(m.group(1).split("/", 1)[1]
                  for m in re.finditer(r"^  REGRESSED (\S+): ", stdout, re.M))


def main():
    args = common.parse_args()
    work = os.path.join(common.work_dir(), "gate")
    os.makedirs(work, exist_ok=True)
    baseline = os.path.join(work, "secure-baseline.json")
    if os.path.exists(baseline):
        os.remove(baseline)
    conform = [args.smtpgate, "conform", "--embedded"]
    with open(os.path.join(common.SOURCE, "conformance/expectations/embedded.toml"), "rb") as f:
        expectations = tomllib.load(f)
    expected = sorted(set(expectations["auth-implies-relay"]["fail"]) -
                      set(expectations["secure"].get("fail", [])))
    print("expected regressions (embedded.toml): %s" % expected)

    r = common.run(conform + ["--profile", "secure", "--write-baseline", "--baseline", baseline],
                   expect=0, cwd=common.SOURCE)
    common.check("baseline written: %s" % baseline in r.stdout, "1: says where the baseline went")
    recorded = common.load_json(baseline)["verdicts"]
    print("1: baseline of %d tests" % len(recorded))

    auth_json = os.path.join(work, "auth-implies-relay.json")
    r = common.run(conform + ["--profile", "auth-implies-relay", "--baseline", baseline,
                              "--json", auth_json], expect=1, cwd=common.SOURCE)
    got = regressed(r.stdout)
    common.check(got == expected, "2: regressions %s, expected %s" % (got, expected))
    common.check("gate: FAIL (%d regression" % len(expected) in r.stdout, "2: gate: FAIL line")
    common.check("IMPROVED" not in r.stdout, "2: nothing improved")
    print("2: exit 1, regressed: %s" % got)
    print(r.stdout[r.stdout.rfind("\nbaseline "):].strip())

    r = common.run(conform + ["--profile", "secure", "--baseline", baseline], expect=0,
                   cwd=common.SOURCE)
    common.check(regressed(r.stdout) == [] and "gate: PASS (no regressions)" in r.stdout,
                 "3: secure again passes the gate")
    print("3: exit 0")

    r = common.run([args.smtpgate, "report", auth_json, "--baseline", baseline], expect=1)
    common.check(regressed(r.stdout) == expected, "4: report --baseline names the same tests")
    print("4: smtpgate report --baseline: exit 1, same regressions")

    missing = os.path.join(work, "no-such-baseline.json")
    r = common.run(conform + ["--profile", "secure", "--baseline", missing], expect=2,
                   cwd=common.SOURCE)
    common.check(missing in r.stderr and "does not exist" in r.stderr, "5: missing baseline named")
    malformed = os.path.join(work, "malformed.json")
    with open(malformed, "w", encoding="utf-8") as f:
        f.write('{"schema_version": 2, "smtpgate_version": "0.1.0",\n "tests": [}\n')
    r = common.run([args.smtpgate, "report", malformed, "--html", os.path.join(work, "x.html")],
                   expect=2)
    common.check(malformed in r.stderr and "line 2" in r.stderr, "5: malformed input named: " +
                 r.stderr.strip())
    print("5: " + r.stderr.strip())
    common.finish("report_gate_demo")


if __name__ == "__main__":
    main()
