#include "harness/report/exchange_text.h"

#include "absl/strings/str_cat.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::report {

using conformance::ExchangeEntry;
using conformance::Finding;
using conformance::TestResult;

namespace {

const Finding* Offending(const TestResult& test) {
  for (const Finding& finding : test.findings) {
    if (finding.verdict == test.verdict && finding.verdict != conformance::Verdict::kPass) {
      return &finding;
    }
  }
  return nullptr;
}

}  // namespace

int OffendingEntry(const TestResult& test) {
  const Finding* finding = Offending(test);
  if (finding == nullptr || finding->exchange_index < 0 ||
      finding->exchange_index >= static_cast<int>(test.exchange.size())) {
    return -1;
  }
  return finding->exchange_index;
}

int OffendingLine(const TestResult& test) {
  const Finding* finding = Offending(test);
  return finding == nullptr ? 0 : finding->line;
}

std::string ShownData(const std::string& data) {
  if (data.size() <= kShownData) return data;
  return absl::StrCat(data.substr(0, kShownData), "... (", data.size() - kShownData,
                      " more characters in the results JSON)");
}

std::string EntryText(const ExchangeEntry& entry) {
  std::string text =
      absl::StrCat(AsAbsl(DirectionName(entry.direction)), ": ", ShownData(entry.data));
  if (entry.direction == ExchangeEntry::Direction::kServer) {
    absl::StrAppend(&text, " (", entry.elapsed_ms, " ms)");
  }
  return text;
}

std::string ExchangeText(const TestResult& test) {
  const int offending = OffendingEntry(test);
  std::string text;
  for (size_t i = 0; i < test.exchange.size(); ++i) {
    absl::StrAppend(&text, EntryText(test.exchange[i]),
                    static_cast<int>(i) == offending ? "   <-- here\n" : "\n");
  }
  return text;
}

}  // namespace smtpgate::report
