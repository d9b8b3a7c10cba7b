"""ctest `report_html`: the HTML report in headless Chromium (Debian's chromium, installed by
scripts/bootstrap.sh).

Loads the reports the real binary wrote (report_generate), lets the page's script run, and
reads the DOM back (--dump-dom): the counts shown must equal the results JSON, the filters
(driven through the URL fragment) must show exactly the matching tests, every FAIL/WARN must
show its exchange with the offending step highlighted, the combined report must hold the
targets x tests matrix; the file must need nothing from the network. Saves screenshots next
to the reports.
"""
import collections
import html.parser
import os
import re
import shutil
import struct
import subprocess
import tempfile

import common

CHROMIUM = os.environ.get("SMTPGATE_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Dom(html.parser.HTMLParser):
    """Elements as (tag, attributes, text); text only for <li> and <output>."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self._open = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        if tag in ("li", "output"):
            self._open.append(element)

    def handle_endtag(self, tag):
        if self._open and self._open[-1]["tag"] == tag:
            self._open.pop()

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data

    def find(self, tag, **attrs):
        def matches(e):
            if e["tag"] != tag:
                return False
            for key, value in attrs.items():
                key = key.rstrip("_").replace("_", "-")
                if key == "class":
                    if value not in e["attrs"].get("class", "").split():
                        return False
                elif e["attrs"].get(key) != value:
                    return False
            return True
        return [e for e in self.elements if matches(e)]


def chromium(work, extra, url):
    profile = tempfile.mkdtemp(prefix="chromium-", dir=work)
    try:
        result = subprocess.run([CHROMIUM] + FLAGS + ["--user-data-dir=" + profile] + extra + [url],
                                capture_output=True, text=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if result.returncode != 0:
        print(result.stderr[-2000:])
        common.die("chromium exited %d for %s" % (result.returncode, url))
    return result.stdout


def dump(work, path, fragment=""):
    text = chromium(work, ["--dump-dom"], "file://" + path + fragment)
    if "data-ready=\"1\"" not in text:
        common.die("the page's script did not finish (no data-ready) for " + path + fragment)
    return Dom(text)


def visible_tests(dom):
    return sorted(e["attrs"]["data-id"] for e in dom.find("tr", class_="test")
                  if "hidden" not in e["attrs"])


def check_single(work, results):
    path = os.path.join(work, "open-relay.html")
    tests = results["tests"]
    counts = common.count_verdicts(results)
    dom = dump(work, path)
    for verdict, count in list(counts.items()) + [("all", len(tests))]:
        cells = dom.find("td", data_run="0", data_verdict=verdict, data_area=None)
        cells = [c for c in cells if "data-area" not in c["attrs"]]
        common.check(len(cells) == 1 and cells[0]["attrs"]["data-count"] == str(count),
                     "runs table: %s = %d" % (verdict, count))
    areas = collections.defaultdict(collections.Counter)
    for test in tests:
        areas[test["area"]][test["verdict"]] += 1
    for area, by_verdict in areas.items():
        for verdict in common.VERDICTS:
            cells = dom.find("td", data_area=area, data_verdict=verdict)
            common.check(len(cells) == 1 and cells[0]["attrs"]["data-count"] == str(by_verdict[verdict]),
                         "matrix: %s x %s = %d" % (area, verdict, by_verdict[verdict]))
    total = dom.find("td", data_area="*", data_verdict="all")
    common.check(total and total[0]["attrs"]["data-count"] == str(len(tests)), "matrix total")
    shown = dom.find("output", id="shown")
    common.check(shown and shown[0]["attrs"]["data-shown"] == str(len(tests)) and
                 shown[0]["text"] == str(len(tests)), "no filter: every test shown")
    common.check(len(visible_tests(dom)) == len(tests), "no filter: no row hidden")

    # Every FAIL/WARN: the exchange, with exactly the offending entry highlighted.
    by_id = {t["id"]: t for t in tests}
    details = {e["attrs"]["data-id"]: e for e in dom.find("tr", class_="detail")}
    flagged = [t for t in tests if t["verdict"] in ("FAIL", "WARN", "ERROR")]
    common.check(sorted(details) == sorted(t["id"] for t in flagged), "a detail per FAIL/WARN/ERROR")
    offending = [e for e in dom.find("li", class_="offending")]
    common.check(len(offending) == len(flagged), "one highlighted step per FAIL/WARN/ERROR")
    rows = iter(dom.elements)
    current = None
    for element in rows:  # pair each highlighted <li> with the detail row before it
        if element["tag"] == "tr" and "detail" in element["attrs"].get("class", ""):
            current = by_id[element["attrs"]["data-id"]]
        if element["tag"] == "li" and "offending" in element["attrs"].get("class", "").split():
            index = int(element["attrs"]["data-index"])
            common.check(index == common.offending_index(current),
                         "%s: highlighted entry %d" % (current["id"], index))
            entry = current["exchange"][index]
            common.check(entry["data"][:200] in element["text"],
                         "%s: highlighted text is the exchange entry" % current["id"])

    for fragment, keep in [
        ("#verdict=FAIL", lambda t: t["verdict"] == "FAIL"),
        ("#verdict=FAIL,WARN&severity=critical,high",
         lambda t: t["verdict"] in ("FAIL", "WARN") and t["severity"] in ("critical", "high")),
        ("#severity=medium", lambda t: t["severity"] == "medium"),
        ("#verdict=", lambda t: False),
    ]:
        dom = dump(work, path, fragment)
        expected = sorted(t["id"] for t in tests if keep(t))
        common.check(visible_tests(dom) == expected, "filter %s: the matching rows" % fragment)
        shown = dom.find("output", id="shown")[0]
        common.check(shown["attrs"]["data-shown"] == str(len(expected)),
                     "filter %s: shows %d" % (fragment, len(expected)))
        hidden_details = {e["attrs"]["data-id"] for e in dom.find("tr", class_="detail")
                          if "hidden" in e["attrs"]}
        common.check(hidden_details == {t["id"] for t in flagged if not keep(t)},
                     "filter %s: exchanges follow their rows" % fragment)
        print("filter %-45s %3d of %d tests" % (fragment, len(expected), len(tests)))


def check_combined(work, runs):
    path = os.path.join(work, "combined.html")
    dom = dump(work, path)
    verdicts = collections.defaultdict(dict)
    for r, results in enumerate(runs):
        for test in results["tests"]:
            verdicts[test["id"]][r] = test["verdict"]
    rows = dom.find("tr", class_="cmp")
    common.check(sorted(e["attrs"]["data-id"] for e in rows) == sorted(verdicts),
                 "targets x tests: one row per test")
    for r in range(len(runs)):
        cells = dom.find("td", class_="cell", data_run=str(r))
        common.check(len(cells) == len(verdicts), "targets x tests: a cell per test, run %d" % r)
    # Cells come row by row, run by run.
    cells = iter(dom.find("td", class_="cell"))
    differing = 0
    for row in rows:
        row_id = row["attrs"]["data-id"]
        got = [next(cells)["attrs"]["data-verdict"] for _ in runs]
        want = [verdicts[row_id].get(r, "") for r in range(len(runs))]
        common.check(got == want, "%s: %s, expected %s" % (row_id, got, want))
        differs = len(set(want)) > 1
        differing += differs
        common.check(row["attrs"]["data-differs"] == ("1" if differs else "0"), row_id + ": differs")
    dom = dump(work, path, "#verdict=FAIL")
    visible = sorted(e["attrs"]["data-id"] for e in dom.find("tr", class_="cmp")
                     if "hidden" not in e["attrs"])
    common.check(visible == sorted(i for i, v in verdicts.items() if "FAIL" in v.values()),
                 "targets x tests: #verdict=FAIL shows the rows with a FAIL")
    print("targets x tests: %d tests, %d differ between the runs" % (len(rows), differing))


def check_self_contained(work):
    for name in ["open-relay.html", "combined.html"]:
        with open(os.path.join(work, name), encoding="utf-8") as f:
            text = f.read()
        for pattern in [r"\b(src|href|action|srcset)\s*=\s*[\"']?\s*(https?:|//|file:)",
                        r"url\(", r"@import", r"https?://"]:
            common.check(not re.search(pattern, text, re.I), "%s: %s" % (name, pattern))
        common.check("Content-Security-Policy" in text and "default-src 'none'" in text,
                     name + ": a policy forbids fetches")


def screenshot(work, name, fragment, size):
    png = os.path.join(work, name.replace(".html", "") + "-screenshot.png")
    if os.path.exists(png):
        os.remove(png)
    chromium(work, ["--screenshot=" + png, "--window-size=%d,%d" % size, "--hide-scrollbars"],
             "file://" + os.path.join(work, name) + fragment)
    if not common.check(os.path.exists(png), "screenshot " + png):
        return
    with open(png, "rb") as f:
        head = f.read(24)
    common.check(head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", head[16:24]) == size,
                 png + " is a %dx%d PNG" % size)
    print("screenshot: %s (%d bytes)" % (png, os.path.getsize(png)))


def main():
    common.parse_args()
    common.need_file(CHROMIUM, "chromium")
    work = common.work_dir()
    print(common.run([CHROMIUM, "--version"]).stdout.strip())
    runs = [common.load_json(os.path.join(work, n)) for n in ["open-relay.json", "secure.json"]]
    check_single(work, runs[0])
    check_combined(work, runs)
    check_self_contained(work)
    screenshot(work, "open-relay.html", "#verdict=FAIL,WARN", (1280, 2400))
    screenshot(work, "combined.html", "", (1280, 1600))
    common.finish("report_html")


if __name__ == "__main__":
    main()
