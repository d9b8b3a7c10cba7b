#include "harness/conformance/mailbox_oracle.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::conformance {
namespace {

namespace fs = std::filesystem;

constexpr int kMaildirDepth = 3;

struct Header {
  std::string name;   // lower case
  std::string value;  // unfolded, trimmed
  size_t end = 0;     // offset just past the header's last line
};

// The header block of `text` (up to the first empty line), unfolded.
std::vector<Header> ParseHeaders(absl::string_view text) {
  std::vector<Header> headers;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t newline = text.find('\n', pos);
    const size_t next = newline == absl::string_view::npos ? text.size() : newline + 1;
    absl::string_view line = text.substr(pos, next - pos);
    line = absl::StripSuffix(absl::StripSuffix(line, "\n"), "\r");
    if (line.empty()) break;
    if ((line.front() == ' ' || line.front() == '\t') && !headers.empty()) {
      absl::StrAppend(&headers.back().value, " ", absl::StripAsciiWhitespace(line));
      headers.back().end = next;
    } else {
      const size_t colon = line.find(':');
      if (colon == absl::string_view::npos) break;  // not a header: the body starts here
      headers.push_back(
          Header{.name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon))),
                 .value = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))),
                 .end = next});
    }
    pos = next;
  }
  return headers;
}

bool IsDeliveryHeader(std::string_view name) {
  return name == "return-path" || name == "x-original-to" || name == "delivered-to" ||
         name == "envelope-to";
}

// "<a@b>" → "a@b", "<>" → "", "a@b" → "a@b".
std::string Address(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  const size_t open = value.find('<');
  const size_t close = value.rfind('>');
  if (open != absl::string_view::npos && close != absl::string_view::npos && close > open) {
    value = value.substr(open + 1, close - open - 1);
  }
  return std::string(absl::StripAsciiWhitespace(value));
}

// Files stored with LF line ends (as most delivery agents do) get their CRLFs back, so
// body checks see the message as it was sent. Decided by the first line of the file.
std::string SmtpForm(std::string_view text) {
  const size_t newline = text.find('\n');
  if (newline == std::string_view::npos || (newline > 0 && text[newline - 1] == '\r')) {
    return std::string(text);
  }
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (const char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

bool IsDirectory(const fs::path& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

bool IsMaildir(const fs::path& path) {
  return IsDirectory(path / "new") || IsDirectory(path / "cur");
}

void Collect(const fs::path& dir, int depth, std::vector<std::string>& out) {
  if (IsMaildir(dir)) {
    out.push_back(dir.string());
    return;
  }
  if (depth == 0) return;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.front() == '.' || !IsDirectory(it->path())) continue;
    Collect(it->path(), depth - 1, out);
  }
}

// A Maildir message's identity: its directory and unique name (the part before ':'
// stays when a reader moves it from new/ to cur/ and adds flags).
struct MaildirFile {
  std::string key;
  std::string path;
};

std::vector<MaildirFile> ListMessages(const std::string& maildir) {
  std::vector<MaildirFile> files;
  for (const char* sub : {"new", "cur"}) {
    std::error_code error;
    for (fs::directory_iterator it(fs::path(maildir) / sub, error), end; !error && it != end;
         it.increment(error)) {
      const std::string name = it->path().filename().string();
      if (name.empty() || name.front() == '.') continue;
      files.push_back(MaildirFile{.key = absl::StrCat(maildir, "/", name.substr(0, name.find(':'))),
                                  .path = it->path().string()});
    }
  }
  return files;
}

// The whole file; NotFound when it is gone (moved from new/ to cur/ meanwhile).
absl::StatusOr<std::string> ReadWhole(const std::string& path, uint64_t from = 0) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    if (error == ENOENT) return absl::NotFoundError(path);
    return absl::UnavailableError(absl::StrCat(path, ": ", std::strerror(error)));
  }
  in.seekg(static_cast<std::streamoff>(from));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The size of `path`, -1 when it does not exist.
int64_t FileSize(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_size);
}

}  // namespace

OracleMessage ParseDeliveredMessage(std::string_view text, std::string_view from_line_sender,
                                    std::string where) {
  OracleMessage message;
  message.local = true;
  message.where = std::move(where);
  const std::vector<Header> headers = ParseHeaders(AsAbsl(text));
  size_t prepended = 0;
  for (const Header& header : headers) {
    if (!IsDeliveryHeader(header.name)) break;
    prepended = header.end;
  }
  bool have_sender = false;
  for (const Header& header : headers) {
    if (header.name == "return-path" && !have_sender) {
      message.sender = Address(header.value);
      have_sender = true;
    }
    if (header.name == "x-original-to" || header.name == "delivered-to" ||
        header.name == "envelope-to") {
      for (absl::string_view part : absl::StrSplit(header.value, ',', absl::SkipWhitespace())) {
        std::string recipient = Address(part);
        const bool known =
            std::any_of(message.recipients.begin(), message.recipients.end(),
                        [&](const std::string& r) { return absl::EqualsIgnoreCase(r, recipient); });
        if (!recipient.empty() && !known) message.recipients.push_back(std::move(recipient));
      }
    }
  }
  if (!have_sender && !from_line_sender.empty()) {
    message.sender = from_line_sender == "MAILER-DAEMON" ? "" : std::string(from_line_sender);
    have_sender = true;
  }
  message.sender_known = have_sender;
  message.body = SmtpForm(text.substr(prepended));
  return message;
}

std::vector<MboxEntry> SplitMbox(std::string_view std_text) {
  const absl::string_view text = AsAbsl(std_text);
  std::vector<MboxEntry> entries;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t newline = text.find('\n', pos);
    const size_t next = newline == absl::string_view::npos ? text.size() : newline + 1;
    const absl::string_view line = text.substr(pos, next - pos);
    if (absl::StartsWith(line, "From ")) {
      MboxEntry entry;
      std::vector<absl::string_view> words =
          absl::StrSplit(absl::StripAsciiWhitespace(line.substr(5)), ' ', absl::SkipEmpty());
      if (!words.empty()) entry.from_line_sender = std::string(words[0]);
      entries.push_back(std::move(entry));
    } else if (!entries.empty()) {
      // mboxrd/mboxo quoting: ">From " (and ">>From ") lose one '>'.
      const size_t quotes = line.find_first_not_of('>');
      const bool quoted = quotes != 0 && quotes != absl::string_view::npos &&
                          absl::StartsWith(line.substr(quotes), "From ");
      const absl::string_view kept = quoted ? line.substr(1) : line;
      entries.back().text.append(kept.data(), kept.size());
    }
    pos = next;
  }
  for (MboxEntry& entry : entries) {
    // The empty line the delivery agent adds between messages.
    if (absl::EndsWith(entry.text, "\r\n\r\n")) {
      entry.text.resize(entry.text.size() - 2);
    } else if (absl::EndsWith(entry.text, "\n\n")) {
      entry.text.pop_back();
    }
  }
  return entries;
}

std::vector<std::string> FindMaildirs(const std::string& root) {
  std::vector<std::string> out;
  Collect(fs::path(root), kMaildirDepth, out);
  std::sort(out.begin(), out.end());
  return out;
}

void MergeLocalCopies(std::vector<OracleMessage>& messages) {
  std::vector<OracleMessage> merged;
  for (OracleMessage& message : messages) {
    auto same = std::find_if(merged.begin(), merged.end(), [&](const OracleMessage& m) {
      return (m.local || message.local) && m.body == message.body;
    });
    if (same == merged.end()) {
      merged.push_back(std::move(message));
      continue;
    }
    for (std::string& recipient : message.recipients) {
      if (std::find(same->recipients.begin(), same->recipients.end(), recipient) ==
          same->recipients.end()) {
        same->recipients.push_back(std::move(recipient));
      }
    }
    same->relayed = same->relayed || message.relayed;
    same->local = same->local || message.local;
    if (!same->sender_known && message.sender_known) {
      same->sender = std::move(message.sender);
      same->sender_known = true;
    }
    if (same->where.empty()) same->where = std::move(message.where);
  }
  messages = std::move(merged);
}

MailboxOracle::MailboxOracle(std::vector<std::string> maildir_roots,
                             std::vector<std::string> mboxes)
    : roots_(std::move(maildir_roots)), mboxes_(std::move(mboxes)) {
  for (const std::string& root : roots_) {
    if (!IsDirectory(root)) {
      snapshot_error_ = absl::NotFoundError(
          absl::StrCat("Maildir root ", root, " does not exist or is not a directory"));
      return;
    }
    for (const std::string& maildir : FindMaildirs(root)) {
      for (MaildirFile& file : ListMessages(maildir)) before_.insert(std::move(file.key));
    }
  }
  for (const std::string& mbox : mboxes_) {
    mbox_start_[mbox] = static_cast<uint64_t>(std::max<int64_t>(0, FileSize(mbox)));
  }
}

absl::StatusOr<std::vector<OracleMessage>> MailboxOracle::MessagesWithToken(
    std::string_view token) {
  if (!snapshot_error_.ok()) return snapshot_error_;
  std::vector<OracleMessage> out;
  for (const std::string& root : roots_) {
    std::set<std::string> done;  // a file moved new/ → cur/ during the listing shows twice
    for (const std::string& maildir : FindMaildirs(root)) {
      for (const MaildirFile& file : ListMessages(maildir)) {
        if (before_.contains(file.key) || done.contains(file.key)) continue;
        auto cached = contents_.find(file.key);
        if (cached == contents_.end()) {
          absl::StatusOr<std::string> text = ReadWhole(file.path);
          if (absl::IsNotFound(text.status())) continue;  // moved: seen in cur/ next time
          if (!text.ok()) return text.status();
          cached = contents_.emplace(file.key, *std::move(text)).first;
        }
        done.insert(file.key);
        if (!absl::StrContains(cached->second, AsAbsl(token))) continue;
        out.push_back(
            ParseDeliveredMessage(cached->second, "", absl::StrCat("Maildir file ", file.path)));
      }
    }
  }
  for (const std::string& mbox : mboxes_) {
    const int64_t size = FileSize(mbox);
    if (size < 0) continue;  // not created yet
    uint64_t start = mbox_start_[mbox];
    if (static_cast<uint64_t>(size) < start) start = 0;  // truncated or replaced
    absl::StatusOr<std::string> text = ReadWhole(mbox, start);
    if (absl::IsNotFound(text.status())) continue;
    if (!text.ok()) return text.status();
    for (const MboxEntry& entry : SplitMbox(*text)) {
      if (!absl::StrContains(entry.text, AsAbsl(token)) &&
          !absl::StrContains(entry.from_line_sender, AsAbsl(token))) {
        continue;
      }
      out.push_back(
          ParseDeliveredMessage(entry.text, entry.from_line_sender, absl::StrCat("mbox ", mbox)));
    }
  }
  return out;
}

std::string MailboxOracle::Describe() const {
  auto count = [](size_t n, std::string_view what) {
    return absl::StrCat(n, " ", AsAbsl(what), n == 1 ? "" : "s");
  };
  std::string text;
  if (!roots_.empty()) text = count(roots_.size(), "Maildir root");
  if (!mboxes_.empty()) {
    absl::StrAppend(&text, text.empty() ? "" : " and ", count(mboxes_.size(), "mbox file"));
  }
  return text;
}

}  // namespace smtpgate::conformance
