#include "harness/net/relay_agent.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/core/reply.h"
#include "harness/core/smtp_status.h"
#include "harness/net/smtp_client.h"
#include "nlohmann/json.hpp"

namespace smtpgate {
namespace {

namespace fs = std::filesystem;

std::string Bracketed(std::string_view address) {
  if (!address.empty() && address.front() == '<') return std::string(address);
  return absl::StrCat("<", AsAbsl(address), ">");
}

bool Has8Bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// Whether an EHLO reply (lines after the first) offers `keyword`.
bool Offers(const Reply& ehlo, std::string_view keyword) {
  for (size_t i = 1; i < ehlo.lines.size(); ++i) {
    std::string_view line = ehlo.lines[i];
    line = line.substr(0, line.find(' '));
    if (line.size() == keyword.size() &&
        std::equal(line.begin(), line.end(), keyword.begin(),
                   [](char a, char b) { return Upper(a) == Upper(b); })) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", path.string()));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::UnavailableError(absl::StrCat("cannot read ", path.string()));
  return text;
}

class Delivery {
 public:
  Delivery(const HostPort& relay, const RelayOptions& options)
      : relay_(relay), options_(options), relay_name_(FormatHostPort(relay.host, relay.port)) {}

  absl::Status Deliver(const OutboundEnvelope& envelope, std::string_view body) {
    ClientOptions client_options;
    client_options.host = relay_.host;
    client_options.port = relay_.port;
    client_options.connect_timeout = options_.connect_timeout;
    client_options.reply_timeout = options_.reply_timeout;
    client_options.mode = ReadMode::kLenient;
    absl::StatusOr<std::unique_ptr<SmtpClient>> connected = SmtpClient::Connect(client_options);
    if (!connected.ok()) return connected.status();
    client_ = std::move(*connected);

    absl::StatusOr<Reply> banner = Await("the banner", {220});
    if (!banner.ok()) return banner.status();
    // EHLO; HELO when the relay does not know EHLO (any 5xx reply).
    absl::StatusOr<Reply> ehlo = Command(absl::StrCat("EHLO ", options_.helo), {250}, 500);
    if (ehlo.ok() && ehlo->code >= 500) {
      ehlo = Command(absl::StrCat("HELO ", options_.helo), {250});
    }
    if (!ehlo.ok()) return ehlo.status();
    std::string mail = absl::StrCat("MAIL FROM:", envelope.sender);
    if (Has8Bit(body) && Offers(*ehlo, "8BITMIME")) absl::StrAppend(&mail, " BODY=8BITMIME");
    if (Offers(*ehlo, "SIZE")) absl::StrAppend(&mail, " SIZE=", body.size());
    if (absl::Status s = Command(mail, {250}).status(); !s.ok()) return s;
    for (const std::string& recipient : envelope.recipients) {
      if (absl::Status s = Command(absl::StrCat("RCPT TO:", recipient), {250, 251}).status();
          !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = Command("DATA", {354}).status(); !s.ok()) return s;
    std::string data = DotStuff(body);
    if (!body.empty() && !(body.size() >= 2 && body.substr(body.size() - 2) == "\r\n")) {
      data += "\r\n";
    }
    data += ".\r\n";
    if (absl::Status s = client_->Send(data); !s.ok()) return s;
    if (absl::Status s = Await("the end of data", {250}).status(); !s.ok()) return s;
    // The message is delivered; QUIT is a courtesy.
    if (client_->SendLine("QUIT").ok()) (void)client_->ReadReply();
    client_->Close();
    return absl::OkStatus();
  }

 private:
  // Sends `line`, then Await().
  absl::StatusOr<Reply> Command(const std::string& line, std::initializer_list<int> expected,
                                int also_return_from = 1000) {
    if (absl::Status s = client_->SendLine(line); !s.ok()) {
      return absl::Status(s.code(),
                          absl::StrCat("sending ", line, " to ", relay_name_, ": ", s.message()));
    }
    return Await(line, expected, also_return_from);
  }

  // The next reply when its code is one of `expected` (or >= also_return_from), else an
  // error naming the reply and what it answered.
  absl::StatusOr<Reply> Await(std::string_view what, std::initializer_list<int> expected,
                              int also_return_from = 1000) {
    absl::StatusOr<TimedReply> reply = client_->ReadReply();
    if (!reply.ok()) {
      return absl::Status(reply.status().code(),
                          absl::StrCat("relay ", relay_name_, " after ", AsAbsl(what), ": ",
                                       reply.status().message()));
    }
    if (std::find(expected.begin(), expected.end(), reply->reply.code) != expected.end() ||
        reply->reply.code >= also_return_from) {
      return std::move(reply->reply);
    }
    const std::string text = absl::StrCat("relay ", relay_name_, " answered \"",
                                          reply->reply.Summary(), "\" to ", AsAbsl(what));
    if (reply->reply.code >= 400) {
      return SmtpStatus(reply->reply.code, reply->reply.enhanced, text);
    }
    return absl::FailedPreconditionError(text);
  }

  HostPort relay_;
  const RelayOptions& options_;
  std::string relay_name_;
  std::unique_ptr<SmtpClient> client_;
};

}  // namespace

std::string DotStuff(std::string_view body) {
  std::string out;
  out.reserve(body.size() + body.size() / 64 + 1);
  bool line_start = true;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (line_start && c == '.') out.push_back('.');
    out.push_back(c);
    line_start = c == '\n' && i > 0 && body[i - 1] == '\r';
  }
  return out;
}

absl::StatusOr<OutboundEnvelope> ParseOutboundEnvelope(std::string_view json_text) {
  const nlohmann::json json = nlohmann::json::parse(json_text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError("envelope is not a JSON object");
  }
  OutboundEnvelope envelope;
  const auto sender = json.find("sender");
  if (sender == json.end() || !sender->is_string()) {
    return absl::InvalidArgumentError("envelope has no \"sender\" string");
  }
  envelope.sender = Bracketed(sender->get<std::string>());
  const auto recipients = json.find("recipients");
  if (recipients == json.end() || !recipients->is_array() || recipients->empty()) {
    return absl::InvalidArgumentError("envelope has no \"recipients\" (a non-empty array)");
  }
  for (const nlohmann::json& r : *recipients) {
    const nlohmann::json* address = &r;
    if (r.is_object()) {
      const auto it = r.find("address");
      if (it == r.end()) return absl::InvalidArgumentError("a recipient has no \"address\"");
      address = &*it;
    }
    if (!address->is_string() || address->get<std::string>().empty()) {
      return absl::InvalidArgumentError("a recipient address is not a non-empty string");
    }
    envelope.recipients.push_back(Bracketed(address->get<std::string>()));
  }
  // A line break inside an address would inject a command.
  auto clean = [](const std::string& s) { return s.find_first_of("\r\n") == std::string::npos; };
  if (!clean(envelope.sender) ||
      !std::all_of(envelope.recipients.begin(), envelope.recipients.end(), clean)) {
    return absl::InvalidArgumentError("an envelope address contains CR or LF");
  }
  return envelope;
}

absl::Status DeliverOutbound(const std::string& spool_dir, const std::string& relay_host) {
  return DeliverOutbound(spool_dir, relay_host, RelayOptions{});
}

absl::Status DeliverOutbound(const std::string& spool_dir, const std::string& relay_host,
                             const RelayOptions& options, RelayReport* report) {
  absl::StatusOr<HostPort> relay = ParseHostPort(relay_host, 25);
  if (!relay.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("relay_host \"", relay_host, "\": ", relay.status().message()));
  }
  if (!IsLoopbackAddress(relay->host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "relay_host \"", relay_host,
        "\" is not a loopback IP address (127.0.0.0/8 or ::1); no mail leaves this machine"));
  }

  const fs::path outbound = fs::path(spool_dir) / "outbound";
  std::error_code ec;
  if (!fs::exists(outbound, ec)) return absl::OkStatus();
  std::vector<std::string> ids;
  for (fs::directory_iterator it(outbound, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    if (path.extension() == ".env") ids.push_back(path.stem().string());
  }
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot list ", outbound.string(), ": ", ec.message()));
  }
  std::sort(ids.begin(), ids.end());

  absl::Status first_error;
  std::vector<std::string> failures;
  for (const std::string& id : ids) {
    const fs::path env_path = outbound / (id + ".env");
    const fs::path eml_path = outbound / (id + ".eml");
    absl::Status status = [&]() -> absl::Status {
      absl::StatusOr<std::string> env_text = ReadFile(env_path);
      if (!env_text.ok()) return env_text.status();
      absl::StatusOr<OutboundEnvelope> envelope = ParseOutboundEnvelope(*env_text);
      if (!envelope.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(env_path.string(), ": ", envelope.status().message()));
      }
      if (!fs::exists(eml_path, ec)) {
        return absl::NotFoundError(absl::StrCat("body file ", eml_path.string(), " is missing"));
      }
      absl::StatusOr<std::string> body = ReadFile(eml_path);
      if (!body.ok()) return body.status();
      Delivery delivery(*relay, options);
      if (absl::Status s = delivery.Deliver(*envelope, *body); !s.ok()) return s;
      // Delivered: remove the envelope (the commit mark) first, then the body.
      std::error_code remove_error;
      fs::remove(env_path, remove_error);
      if (remove_error) {
        return absl::InternalError(absl::StrCat("delivered, but cannot remove ", env_path.string(),
                                                ": ", remove_error.message(),
                                                " (it will be delivered again)"));
      }
      fs::remove(eml_path, remove_error);
      return absl::OkStatus();
    }();
    if (status.ok()) {
      if (report != nullptr) report->delivered.push_back(id);
      continue;
    }
    if (report != nullptr) report->failed.push_back(id);
    if (first_error.ok()) first_error = status;
    failures.push_back(absl::StrCat(id, ": ", status.message()));
  }
  if (failures.empty()) return absl::OkStatus();
  return absl::Status(first_error.code(), absl::StrCat(failures.size(), " of ", ids.size(),
                                                       " outbound messages not delivered: ",
                                                       absl::StrJoin(failures, "; ")));
}

}  // namespace smtpgate
