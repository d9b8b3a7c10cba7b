#include "harness/report/html_writer.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/core/smtp_status.h"
#include "harness/report/exchange_text.h"
#include "harness/report/html_assets.h"
#include "harness/report/text_file.h"

namespace smtpgate::report {

using conformance::ExchangeEntry;
using conformance::RunResults;
using conformance::Severity;
using conformance::TestResult;
using conformance::Verdict;

namespace {

// Length of the UTF-8 sequence starting at text[i], or 0 when it is not valid UTF-8.
size_t Utf8Length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  unsigned min = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2, min = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3, min = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  unsigned code = lead & (0x7f >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

std::string Cell(absl::string_view tag, absl::string_view attributes, absl::string_view text) {
  return absl::StrCat("<", tag, attributes.empty() ? "" : " ", attributes, ">", text, "</", tag,
                      ">");
}

std::string CountCell(absl::string_view attributes, int count) {
  return absl::StrCat("<td class=\"n\" ", attributes, " data-count=\"", count, "\">", count,
                      "</td>");
}

std::string Verdicts() {
  std::string out;
  for (Verdict verdict : conformance::kAllVerdicts) {
    absl::StrAppend(&out, "<th class=\"v-", AsAbsl(VerdictName(verdict)), "\">",
                    AsAbsl(VerdictName(verdict)), "</th>");
  }
  return out;
}

std::string RunsTable(const std::vector<RunResults>& runs) {
  std::string out = absl::StrCat(
      "<table class=\"runs\"><thead><tr><th>#</th><th>target</th><th>profile</th><th>started</th>"
      "<th>duration</th><th>smtpgate</th><th>tests</th>",
      Verdicts(), "</tr></thead><tbody>\n");
  for (size_t r = 0; r < runs.size(); ++r) {
    const RunResults& run = runs[r];
    absl::StrAppend(
        &out, "<tr data-run=\"", r, "\"><td>", r + 1, "</td>",
        Cell("td", "", HtmlEscape(run.target)), Cell("td", "", HtmlEscape(run.profile)),
        Cell("td", "", HtmlEscape(run.started)),
        Cell("td", "", absl::StrFormat("%.3f s", static_cast<double>(run.duration.count()) / 1000)),
        Cell("td", "", HtmlEscape(run.smtpgate_version)),
        CountCell(absl::StrCat("data-run=\"", r, "\" data-verdict=\"all\""),
                  static_cast<int>(run.tests.size())));
    for (const auto& [verdict, count] : run.CountByVerdict()) {
      absl::StrAppend(&out, CountCell(absl::StrCat("data-run=\"", r, "\" data-verdict=\"",
                                                   AsAbsl(VerdictName(verdict)), "\""),
                                      count));
    }
    absl::StrAppend(&out, "</tr>\n");
  }
  return out + "</tbody></table>\n";
}

std::string Checkboxes(absl::string_view name, const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& value : values) {
    absl::StrAppend(&out, "<label><input type=\"checkbox\" name=\"", name, "\" value=\"", value,
                    "\" checked> ", value, "</label>");
  }
  return out;
}

std::string Filters(int total) {
  std::vector<std::string> verdicts;
  for (Verdict v : conformance::kAllVerdicts) verdicts.push_back(std::string(VerdictName(v)));
  std::vector<std::string> severities;
  for (Severity s : conformance::kAllSeverities) severities.push_back(std::string(SeverityName(s)));
  return absl::StrCat("<section id=\"filters\"><h2>Filter</h2>\n<fieldset><legend>Verdict</legend>",
                      Checkboxes("verdict", verdicts),
                      "</fieldset>\n<fieldset><legend>Severity</legend>",
                      Checkboxes("severity", severities),
                      "</fieldset>\n<p>Showing <output id=\"shown\" data-shown=\"", total, "\">",
                      total, "</output> of <span id=\"total\" data-total=\"", total, "\">", total,
                      "</span> tests.</p></section>\n");
}

std::string AreaMatrix(const RunResults& run, size_t r) {
  std::map<std::string, std::map<Verdict, int>> areas;
  for (const TestResult& test : run.tests) ++areas[test.area][test.verdict];
  std::string out =
      absl::StrCat("<table class=\"matrix\" data-run=\"", r, "\"><thead><tr><th>area</th>",
                   Verdicts(), "<th>total</th></tr></thead><tbody>\n");
  auto row = [&](const std::string& area, const std::map<Verdict, int>& counts, bool all) {
    const std::string key = all ? "" : absl::StrCat(" data-area=\"", HtmlEscape(area), "\"");
    std::string tr = absl::StrCat("<tr", all ? " class=\"total\"" : "", key, "><th>",
                                  all ? "all areas" : HtmlEscape(area), "</th>");
    int total = 0;
    for (Verdict verdict : conformance::kAllVerdicts) {
      const auto it = counts.find(verdict);
      const int count = it == counts.end() ? 0 : it->second;
      total += count;
      absl::StrAppend(
          &tr, CountCell(absl::StrCat("data-area=\"", all ? "*" : HtmlEscape(area),
                                      "\" data-verdict=\"", AsAbsl(VerdictName(verdict)), "\""),
                         count));
    }
    absl::StrAppend(&tr,
                    CountCell(absl::StrCat("data-area=\"", all ? "*" : HtmlEscape(area),
                                           "\" data-verdict=\"all\""),
                              total),
                    "</tr>\n");
    return tr;
  };
  for (const auto& [area, counts] : areas) absl::StrAppend(&out, row(area, counts, false));
  absl::StrAppend(&out, row("", run.CountByVerdict(), true), "</tbody></table>\n");
  return out;
}

std::string TargetMatrix(const std::vector<RunResults>& runs) {
  std::map<std::string, std::vector<const TestResult*>> tests;  // id → per run (or null)
  for (size_t r = 0; r < runs.size(); ++r) {
    for (const TestResult& test : runs[r].tests) {
      auto& row = tests[test.id];
      row.resize(runs.size(), nullptr);
      row[r] = &test;
    }
  }
  std::string out =
      "<section id=\"targets\"><h2>Tests by target</h2>\n<p><label><input type=\"checkbox\" "
      "id=\"only-differing\"> only tests whose verdict differs</label></p>\n"
      "<table class=\"targets\"><thead><tr><th>test</th>";
  for (size_t r = 0; r < runs.size(); ++r) {
    absl::StrAppend(&out, "<th data-run=\"", r, "\">", HtmlEscape(runs[r].target), "</th>");
  }
  absl::StrAppend(&out, "</tr></thead><tbody>\n");
  for (auto& [id, row] : tests) {
    row.resize(runs.size(), nullptr);
    std::set<std::string> verdicts;
    std::string severity;
    std::string cells;
    for (size_t r = 0; r < row.size(); ++r) {
      const std::string verdict = row[r] ? std::string(VerdictName(row[r]->verdict)) : "";
      verdicts.insert(verdict);
      if (row[r] && severity.empty()) severity = std::string(SeverityName(row[r]->severity));
      absl::StrAppend(&cells, "<td class=\"cell v-", verdict.empty() ? "none" : verdict,
                      "\" data-run=\"", r, "\" data-verdict=\"", verdict, "\"",
                      row[r] ? absl::StrCat(" title=\"", HtmlEscape(row[r]->reason), "\"") : "",
                      ">", verdict.empty() ? "&mdash;" : verdict, "</td>");
    }
    const bool differs = verdicts.size() > 1;
    absl::StrAppend(&out, "<tr class=\"cmp", differs ? " differs" : "", "\" data-id=\"",
                    HtmlEscape(id), "\" data-severity=\"", severity, "\" data-differs=\"",
                    differs ? 1 : 0, "\"><th>", HtmlEscape(id), "</th>", cells, "</tr>\n");
  }
  return out + "</tbody></table></section>\n";
}

std::string Exchange(const TestResult& test) {
  const int offending = OffendingEntry(test);
  std::string out = "<ol class=\"exchange\" start=\"0\">\n";
  for (size_t i = 0; i < test.exchange.size(); ++i) {
    const ExchangeEntry& entry = test.exchange[i];
    const bool is_offending = static_cast<int>(i) == offending;
    const char* kind = entry.direction == ExchangeEntry::Direction::kClient   ? "C"
                       : entry.direction == ExchangeEntry::Direction::kServer ? "S"
                                                                              : "E";
    absl::StrAppend(&out, "<li class=\"e-", kind, is_offending ? " offending" : "",
                    "\" data-index=\"", i, "\"", is_offending ? " data-offending=\"1\"" : "",
                    "><span class=\"dir\">", AsAbsl(DirectionName(entry.direction)), "</span> ",
                    HtmlEscape(ShownData(entry.data)));
    if (entry.direction == ExchangeEntry::Direction::kServer) {
      absl::StrAppend(&out, " <span class=\"ms\">(", entry.elapsed_ms, " ms)</span>");
    }
    absl::StrAppend(&out, "</li>\n");
  }
  return out + "</ol>";
}

std::string TestRows(const TestResult& test, size_t r, size_t i) {
  const std::string verdict(VerdictName(test.verdict));
  const std::string severity(SeverityName(test.severity));
  const bool detailed = test.verdict == Verdict::kFail || test.verdict == Verdict::kWarn ||
                        test.verdict == Verdict::kError;
  const std::string detail_id = absl::StrCat("d-", r, "-", i);
  std::string out = absl::StrCat(
      "<tr class=\"test\" id=\"t-", r, "-", i, "\" data-run=\"", r, "\" data-id=\"",
      HtmlEscape(test.id), "\" data-verdict=\"", verdict, "\" data-severity=\"", severity, "\"",
      detailed ? absl::StrCat(" data-detail=\"", detail_id, "\"") : "", ">",
      Cell("td", absl::StrCat("class=\"v-", verdict, "\""), verdict), Cell("td", "", severity),
      Cell("td", "",
           detailed ? absl::StrCat("<a href=\"#", detail_id, "\">", HtmlEscape(test.id), "</a>")
                    : HtmlEscape(test.id)),
      Cell("td", "", HtmlEscape(test.title)),
      Cell("td", "class=\"reason\"", HtmlEscape(test.reason)),
      Cell("td", "class=\"n\"", absl::StrCat(test.duration.count(), " ms")), "</tr>\n");
  if (!detailed) return out;
  const int line = OffendingLine(test);
  absl::StrAppend(&out, "<tr class=\"detail\" id=\"", detail_id, "\" data-run=\"", r,
                  "\" data-id=\"", HtmlEscape(test.id), "\" data-offending-index=\"",
                  OffendingEntry(test),
                  "\"><td colspan=\"6\"><div class=\"meta\">source: ", HtmlEscape(test.source),
                  " &middot; transcript: <code>", HtmlEscape(test.path),
                  line > 0 ? absl::StrCat(":", line) : "",
                  "</code> &middot; evidence: ", HtmlEscape(absl::StrJoin(test.evidence, ", ")),
                  " &middot; token: <code>", HtmlEscape(test.token), "</code></div>\n",
                  Exchange(test), "</td></tr>\n");
  return out;
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      const size_t length = Utf8Length(text, i);
      if (length == 0) {
        absl::StrAppend(&out, absl::StrFormat("\\x%02x", u));
        continue;
      }
      out.append(text.substr(i, length));
      i += length - 1;
      continue;
    }
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&#39;");
        break;
      default:
        if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) {
          absl::StrAppend(&out, absl::StrFormat("\\x%02x", u));
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string HtmlReport(const std::vector<RunResults>& runs) {
  int total = 0;
  std::vector<std::string> targets;
  for (const RunResults& run : runs) {
    total += static_cast<int>(run.tests.size());
    targets.push_back(run.target);
  }
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n<title>smtpgate report: ",
      HtmlEscape(absl::StrJoin(targets, ", ")), "</title>\n<style>", AsAbsl(HtmlStyle()),
      "</style>\n</head>\n<body data-runs=\"", runs.size(), "\" data-tests=\"", total,
      "\">\n<header><h1>smtpgate conformance report</h1></header>\n"
      "<section id=\"runs\"><h2>Runs</h2>\n",
      RunsTable(runs), "</section>\n", Filters(total),
      "<section id=\"matrix\"><h2>Verdicts by area</h2>\n");
  for (size_t r = 0; r < runs.size(); ++r) {
    absl::StrAppend(&out, "<h3>", HtmlEscape(runs[r].target), "</h3>\n", AreaMatrix(runs[r], r));
  }
  absl::StrAppend(&out, "</section>\n");
  if (runs.size() > 1) absl::StrAppend(&out, TargetMatrix(runs));
  absl::StrAppend(&out, "<section id=\"tests\"><h2>Tests</h2>\n");
  for (size_t r = 0; r < runs.size(); ++r) {
    absl::StrAppend(&out, "<h3>", HtmlEscape(runs[r].target),
                    "</h3>\n<table class=\"tests\" "
                    "data-run=\"",
                    r,
                    "\"><thead><tr><th>verdict</th><th>severity</th><th>test</th>"
                    "<th>title</th><th>reason</th><th>time</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < runs[r].tests.size(); ++i) {
      absl::StrAppend(&out, TestRows(runs[r].tests[i], r, i));
    }
    absl::StrAppend(&out, "</tbody></table>\n");
  }
  absl::StrAppend(&out, "</section>\n<footer>smtpgate ",
                  HtmlEscape(runs.empty() ? "" : runs[0].smtpgate_version),
                  " &middot; verdicts: PASS, FAIL (flaw shown), WARN (suspected), SKIP "
                  "(precondition missing), ERROR (harness or transport problem)</footer>\n<script>",
                  AsAbsl(HtmlScript()), "</script>\n</body>\n</html>\n");
  return out;
}

absl::Status WriteHtml(const std::string& path, const std::vector<RunResults>& runs) {
  return WriteTextFile(path, HtmlReport(runs));
}

}  // namespace smtpgate::report
