#include "harness/conformance/runner.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "harness/conformance/runner_internal.h"
#include "harness/conformance/step_parser.h"
#include "harness/core/smtp_status.h"

namespace smtpgate::conformance {
namespace {

// A send as the exchange records it: escaped, and for a bulk send (a 10 MB BDAT chunk)
// only its head and the octet count, so results stay readable and small.
constexpr size_t kMaxRecordedSend = 64 * 1024;
constexpr size_t kRecordedHead = 4096;
std::string RecordedSend(std::string_view bytes) {
  if (bytes.size() <= kMaxRecordedSend) return EscapeBytes(bytes);
  return absl::StrCat(EscapeBytes(bytes.substr(0, kRecordedHead)), "... [", bytes.size(),
                      " octets sent; the last ", bytes.size() - kRecordedHead,
                      " are not recorded]");
}

constexpr auto kProcessExitWait = std::chrono::seconds(3);

constexpr std::string_view kEhloCapabilities[] = {
    "auth",       "auth-plain", "auth-login", "starttls", "chunking", "binarymime",
    "pipelining", "smtputf8",   "8bitmime",   "size",     "dsn",      "enhancedstatuscodes"};

std::string Shorten(std::string text, size_t limit = 80) {
  if (text.size() > limit) {
    text.resize(limit);
    text.append("...");
  }
  return text;
}

}  // namespace

bool IsEhloCapability(std::string_view word) {
  for (std::string_view w : kEhloCapabilities) {
    if (w == word) return true;
  }
  return false;
}

NameSet EhloCapabilities(const Reply& ehlo) {
  NameSet words;
  for (size_t i = 1; i < ehlo.lines.size(); ++i) {
    std::vector<std::string> parts = absl::StrSplit(ehlo.lines[i], ' ', absl::SkipEmpty());
    if (parts.empty()) continue;
    std::string keyword = absl::AsciiStrToUpper(parts[0]);
    if (absl::StartsWith(keyword, "AUTH=")) {  // obsolete "AUTH=PLAIN LOGIN" form
      parts.push_back(keyword.substr(5));
      keyword = "AUTH";
    }
    if (keyword == "AUTH") {
      words.insert("auth");
      for (size_t p = 1; p < parts.size(); ++p) {
        const std::string mechanism = absl::AsciiStrToUpper(parts[p]);
        if (mechanism == "PLAIN") words.insert("auth-plain");
        if (mechanism == "LOGIN") words.insert("auth-login");
      }
      continue;
    }
    const std::string word = absl::AsciiStrToLower(keyword);
    if (IsEhloCapability(word)) words.insert(word);
  }
  return words;
}

absl::StatusOr<Capabilities> ProbeCapabilities(Target& target) {
  const TargetConfig& config = target.config();
  std::unique_ptr<TargetRun> run = target.Begin();
  absl::StatusOr<std::unique_ptr<Connection>> connection = run->Connect();
  if (!connection.ok()) return connection.status();
  Capabilities capabilities;
  const ReadResult banner = (*connection)->Read(config.reply_timeout);
  if (banner.kind != ReadResult::Kind::kReply) {
    return absl::UnavailableError(
        banner.kind == ReadResult::Kind::kTimeout
            ? absl::StrCat("no banner within ", config.reply_timeout.count(), " ms")
            : absl::StrCat("no banner: ", banner.detail));
  }
  if (banner.reply.code == 220) {
    const auto helo = config.variables.find("helo");
    (void)(*connection)
        ->Send(absl::StrCat("EHLO ", helo == config.variables.end() ? "client.test" : helo->second,
                            "\r\n"));
    const ReadResult ehlo = (*connection)->Read(config.reply_timeout);
    if (ehlo.kind == ReadResult::Kind::kReply) {
      capabilities.ehlo =
          absl::StrCat(ehlo.reply.code, " ",
                       absl::StrJoin(ehlo.reply.lines.begin() + (ehlo.reply.lines.empty() ? 0 : 1),
                                     ehlo.reply.lines.end(), ", "));
      if (ehlo.reply.code == 250) capabilities.present = EhloCapabilities(ehlo.reply);
    }
    // AUTH only inside TLS? Look at the EHLO reply after STARTTLS too.
    const auto tls_auth = [](const NameSet& words) { return words.contains("auth"); };
    if (capabilities.present.contains("starttls") && !tls_auth(capabilities.present) &&
        target.tls_possible() && config.tls == TlsMode::kStartTls) {
      (void)(*connection)->Send("STARTTLS\r\n");
      const ReadResult ready = (*connection)->Read(config.reply_timeout);
      if (ready.kind == ReadResult::Kind::kReply && ready.reply.code == 220 &&
          (*connection)->StartTls().ok()) {
        (void)(*connection)
            ->Send(absl::StrCat(
                "EHLO ", helo == config.variables.end() ? "client.test" : helo->second, "\r\n"));
        const ReadResult inside = (*connection)->Read(config.reply_timeout);
        if (inside.kind == ReadResult::Kind::kReply && inside.reply.code == 250) {
          const NameSet words = EhloCapabilities(inside.reply);
          if (tls_auth(words)) {
            capabilities.auth_after_starttls = true;
            for (std::string_view w : {"auth", "auth-plain", "auth-login"}) {
              if (words.contains(w)) capabilities.present.insert(std::string(w));
            }
            absl::StrAppend(&capabilities.ehlo, "; inside TLS: AUTH ",
                            words.contains("auth-plain") ? "PLAIN " : "",
                            words.contains("auth-login") ? "LOGIN" : "");
          }
        }
      }
    }
    (void)(*connection)->Send("QUIT\r\n");
    (void)(*connection)->Read(std::min(config.reply_timeout, std::chrono::milliseconds(2000)));
  }
  (*connection)->Close();
  for (std::string_view word : kEhloCapabilities) {
    if (!capabilities.present.contains(word)) {
      capabilities.missing[std::string(word)] = "not in the target's EHLO reply";
    }
  }
  if (config.auth_over_starttls && capabilities.present.contains("starttls")) {
    capabilities.auth_after_starttls = true;  // the target file says so
  }
  if (!target.tls_possible() || config.tls != TlsMode::kStartTls) {
    capabilities.auth_after_starttls = false;
    capabilities.present.erase("starttls");
    capabilities.missing["starttls"] = absl::StrCat(
        "STARTTLS not used with this target (tls = ", AsAbsl(TlsModeName(config.tls)), ")");
  }
  const OracleView oracle = run->oracle();
  auto set = [&](std::string_view word, bool present, std::string_view why) {
    if (present) {
      capabilities.present.insert(std::string(word));
    } else {
      capabilities.missing[std::string(word)] = std::string(why);
    }
  };
  set("tarpit", config.tarpit_seconds > 0, "the target file's tarpit_seconds is 0");
  set("idle-timeout", config.idle_timeout_seconds > 0,
      "the target file's idle_timeout_seconds is 0");
  set("oracle", oracle.sees_relay, "no delivery oracle");
  set("local-oracle", oracle.sees_local, "the oracle does not see local deliveries");
  // A server mode: AUTH offered only inside TLS (smtpd_tls_auth_only and the like).
  set("tls-before-auth", capabilities.auth_after_starttls,
      "AUTH is offered before STARTTLS, or not at all");
  for (const auto& [word, present] : config.capabilities) {
    if (present) {
      capabilities.present.insert(word);
      capabilities.missing.erase(word);
    } else {
      capabilities.present.erase(word);
      capabilities.missing[word] = "disabled by the target file ([capabilities] or no [accounts])";
    }
  }
  return capabilities;
}

absl::Status CheckExpansions(const Transcript& transcript, const Variables& variables) {
  const Variables with_token = WithToken(variables, "sgtok-00000000");
  auto check = [&](const Template& value) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::string> expanded = Expand(value, with_token);
    if (!expanded.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(transcript.path, ":", expanded.status().message()));
    }
    return expanded;
  };
  for (const Step& step : transcript.steps) {
    if (const auto* send = std::get_if<SendStep>(&step.body)) {
      if (absl::StatusOr<std::string> s = check(send->bytes); !s.ok()) return s.status();
    } else if (const auto* pipeline = std::get_if<PipelineStep>(&step.body)) {
      for (const SendStep& part : pipeline->parts) {
        if (absl::StatusOr<std::string> s = check(part.bytes); !s.ok()) return s.status();
      }
    } else if (const auto* expect = std::get_if<ExpectStep>(&step.body)) {
      absl::StatusOr<std::string> s = check(expect->argument);
      if (!s.ok()) return s.status();
      if ((expect->kind == OutcomeKind::kDelayAtLeast ||
           expect->kind == OutcomeKind::kDelayBelow) &&
          !ParseDuration(*s, false)) {
        return absl::InvalidArgumentError(
            absl::StrCat(transcript.path, ":", step.location.line, ":", step.location.column,
                         ": expected a duration like 2s or 300ms, got '", *s, "' after expanding '",
                         expect->text, "'"));
      }
    }
  }
  return absl::OkStatus();
}

TestResult RunTranscript(const Transcript& transcript, Target& target,
                         const Capabilities& capabilities, std::string id, std::string area) {
  TranscriptRunner runner(transcript, target, capabilities);
  TestResult result = runner.Run();
  result.id = std::move(id);
  result.area = std::move(area);
  return result;
}

TranscriptRunner::TranscriptRunner(const Transcript& transcript, Target& target,
                                   const Capabilities& capabilities, OracleClock* clock)
    : transcript_(transcript), target_(target), capabilities_(capabilities), clock_(clock) {}

TestResult TranscriptRunner::Finish() {
  if (!pending_.empty()) {
    const Clock::time_point begin = Clock::now();
    oracle_deadline_ = clock_->Deadline();
    shared_deadline_ = clock_->Describe();
    const size_t before = result_.findings.size();
    for (const size_t i : pending_) {
      current_step_ = static_cast<int>(i);
      pinned_exchange_ = step_exchange_[i];
      CheckOracle(std::get<ExpectStep>(transcript_.steps[i].body));
    }
    current_step_ = -1;
    pinned_exchange_ = -1;
    pending_.clear();
    // Their findings go where they would have been had they been decided at once (before
    // the liveness and crash-log findings): reports list findings in step order.
    const size_t decided = before;
    std::rotate(result_.findings.begin() + static_cast<std::ptrdiff_t>(pending_at_),
                result_.findings.begin() + static_cast<std::ptrdiff_t>(decided),
                result_.findings.end());
    duration_ += std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin);
  }
  result_.duration = duration_;
  result_.Decide();
  return std::move(result_);
}

void TranscriptRunner::RunSteps() {
  start_ = Clock::now();
  result_.path = transcript_.path;
  result_.name = transcript_.name;
  result_.title = transcript_.title;
  result_.source = transcript_.source;
  result_.tags = transcript_.tags;
  result_.severity = transcript_.severity;
  result_.token = MakeToken();
  variables_ = WithToken(target_.config().variables, result_.token);
  auto finish = [&] {
    duration_ = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_);
  };
  if (!CheckRequirements() || !ExpandAll()) {
    finish();
    return;
  }
  if (capabilities_.auth_after_starttls) {
    // A transcript that needs AUTH runs it inside TLS, unless it is about AUTH before TLS.
    bool needs_auth = false;
    bool before_tls = false;
    for (const std::string& word : transcript_.requirements) {
      needs_auth = needs_auth || absl::StartsWith(word, "auth");
      before_tls = before_tls || word == "tls-before-auth";
    }
    needs_auth = needs_auth && !before_tls;
    bool own_tls = false;
    for (const Step& step : transcript_.steps) {
      own_tls = own_tls || std::holds_alternative<StartTlsStep>(step.body);
    }
    insert_tls_ = needs_auth && !own_tls;
    if (insert_tls_) {
      Add(Verdict::kPass, Evidence::kHarness,
          "AUTH is offered only after STARTTLS: the runner inserted STARTTLS and the same EHLO "
          "after the first EHLO of each connection");
    }
  }
  run_ = target_.Begin();
  replies_.resize(transcript_.steps.size());
  step_exchange_.assign(transcript_.steps.size(), -1);
  skipped_.assign(transcript_.steps.size(), false);
  for (size_t i = 0; i < transcript_.steps.size();) {
    current_step_ = static_cast<int>(i);
    next_step_ = i + 1;
    const bool go_on = Execute(i);
    step_exchange_[i] = static_cast<int>(result_.exchange.size()) - 1;
    if (!go_on) break;
    i = next_step_;
  }
  current_step_ = -1;
  bool harness_error = false;  // nothing meaningful was tested: no outcome checks
  for (const Finding& finding : result_.findings) {
    if (finding.verdict == Verdict::kSkip) {
      finish();
      return;
    }
    harness_error = harness_error || finding.verdict == Verdict::kError;
  }
  EndAllConnections();
  if (!steps_failed_) {
    Add(Verdict::kPass, Evidence::kReplySequence,
        absl::StrCat(replies_checked_, " replies as expected"));
  }
  steps_end_ = Clock::now();
  oracle_deadline_ = steps_end_ + target_.config().oracle_wait;
  const bool share = clock_ != nullptr && !run_->oracle().settled;
  for (size_t i = 0; i < transcript_.steps.size(); ++i) {
    const auto* expect = std::get_if<ExpectStep>(&transcript_.steps[i].body);
    if (expect != nullptr && IsDeferredOutcome(expect->kind) && !harness_error && !skipped_[i]) {
      if (share && expect->kind != OutcomeKind::kAlive && !IsPositiveOutcome(expect->kind)) {
        if (pending_.empty()) pending_at_ = result_.findings.size();
        pending_.push_back(i);  // decided at the shared deadline
        continue;
      }
      // An oracle finding is about what happened up to where the EXPECT is written (the
      // reply that accepted a relay, say), not about the end of the exchange.
      current_step_ = static_cast<int>(i);
      pinned_exchange_ = expect->kind == OutcomeKind::kAlive ? -1 : step_exchange_[i];
      CheckDeferred(*expect);
    }
  }
  current_step_ = -1;
  pinned_exchange_ = -1;
  if ((transcript_.HasTag("malformed") || transcript_.HasTag("dos")) &&
      !transcript_.HasOutcome(OutcomeKind::kAlive)) {
    CheckAlive(/*automatic=*/true);
  }
  bool daemon_down = service_down_reported_;
  if (!service_down_reported_) {
    std::optional<std::string> down = run_->ServiceDown();
    // A watched process may take a moment to exit after dropping the connection: give it
    // that moment, so the crash is charged to this test and not to the next one.
    const auto deadline = Clock::now() + kProcessExitWait;
    while (!down && suspect_crash_ && run_->ServiceDownIsProcessStatus() &&
           Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      down = run_->ServiceDown();
    }
    if (down) {
      daemon_down = true;
      Add(Verdict::kFail,
          run_->ServiceDownIsProcessStatus() ? Evidence::kProcessStatus : Evidence::kLiveness,
          *down);
    }
  }
  CheckCrashLog(daemon_down);
  if (!pending_.empty()) clock_->SessionEnded(steps_end_);
  finish();
}

bool TranscriptRunner::CheckRequirements() {
  for (const std::string& word : transcript_.requirements) {
    if (word[0] == '!') {
      const std::string bare = word.substr(1);
      if (!capabilities_.present.contains(bare)) continue;
      Add(Verdict::kSkip, Evidence::kHarness,
          absl::StrCat("requires ", word, ": ", bare, " is offered (or set by the target file)"));
      return false;
    }
    if (capabilities_.present.contains(word)) continue;
    const auto why = capabilities_.missing.find(word);
    Add(Verdict::kSkip, Evidence::kHarness,
        absl::StrCat("requires ", word, ": ",
                     why == capabilities_.missing.end() ? "not offered" : why->second));
    return false;
  }
  return true;
}

bool TranscriptRunner::ExpandAll() {
  payloads_.resize(transcript_.steps.size());
  for (size_t i = 0; i < transcript_.steps.size(); ++i) {
    const Step& step = transcript_.steps[i];
    std::vector<const Template*> templates;
    std::vector<bool> crlf;
    if (const auto* send = std::get_if<SendStep>(&step.body)) {
      templates.push_back(&send->bytes);
      crlf.push_back(!send->raw);
    } else if (const auto* pipeline = std::get_if<PipelineStep>(&step.body)) {
      for (const SendStep& part : pipeline->parts) {
        templates.push_back(&part.bytes);
        crlf.push_back(!part.raw);
      }
    } else if (const auto* expect = std::get_if<ExpectStep>(&step.body)) {
      templates.push_back(&expect->argument);
      crlf.push_back(false);
    } else if (const auto* reply = std::get_if<ReplyStep>(&step.body); reply && reply->within) {
      templates.push_back(&*reply->within);
      crlf.push_back(false);
    }
    for (size_t t = 0; t < templates.size(); ++t) {
      absl::StatusOr<std::string> expanded = Expand(*templates[t], variables_);
      if (!expanded.ok()) {
        Add(Verdict::kError, Evidence::kHarness,
            absl::StrCat(transcript_.path, ":", expanded.status().message()));
        return false;
      }
      if (crlf[t]) expanded->append("\r\n");
      payloads_[i].push_back(*std::move(expanded));
    }
    if (const auto* reply = std::get_if<ReplyStep>(&step.body); reply && reply->within) {
      const std::optional<std::chrono::milliseconds> within =
          ParseDuration(payloads_[i][0], /*bare_is_ms=*/false);
      if (!within) {
        Add(Verdict::kError, Evidence::kHarness,
            absl::StrCat(transcript_.path, ":", step.location.line, ": within ", payloads_[i][0],
                         ": expected a duration like 30s"));
        return false;
      }
      within_.resize(transcript_.steps.size());
      within_[i] = *within;
    }
  }
  return true;
}

bool TranscriptRunner::Execute(size_t index) {
  const Step& step = transcript_.steps[index];
  if (const auto* send = std::get_if<SendStep>(&step.body)) {
    const std::string& bytes = payloads_[index][0];
    std::string shown =
        send->raw ? Shorten(EscapeBytes(bytes)) : Shorten(bytes.substr(0, bytes.size() - 2));
    const bool ehlo = !send->raw && absl::StartsWithIgnoreCase(AsAbsl(bytes), "EHLO");
    const bool quit = !send->raw && absl::StartsWithIgnoreCase(AsAbsl(bytes), "QUIT");
    if (!Send(index, bytes, std::move(shown))) return false;
    last_sent_ehlo_ = ehlo;
    if (ehlo) last_ehlo_ = bytes;
    quit_sent_ = quit_sent_ || quit;
    return true;
  }
  if (std::holds_alternative<PipelineStep>(step.body)) {
    std::string bytes;
    for (const std::string& part : payloads_[index]) bytes.append(part);
    last_sent_ehlo_ = false;
    return Send(index, bytes, absl::StrCat("PIPELINE ", Shorten(EscapeBytes(bytes))));
  }
  if (const auto* reply = std::get_if<ReplyStep>(&step.body)) return ExpectReply(index, *reply);
  if (std::holds_alternative<StartTlsStep>(step.body)) return DoStartTls(index);
  if (const auto* sleep = std::get_if<SleepStep>(&step.body)) {
    if (target_.simulated_time()) {
      simulated_ms_ += sleep->duration.count();
      Record(ExchangeEntry::Direction::kEvent,
             absl::StrCat("sleep ", sleep->duration.count(), " ms (simulated)"), NowMs());
    } else {
      Record(ExchangeEntry::Direction::kEvent,
             absl::StrCat("sleep ", sleep->duration.count(), " ms"), NowMs());
      std::this_thread::sleep_for(sleep->duration);
    }
    return true;
  }
  if (std::holds_alternative<ReconnectStep>(step.body)) return Reconnect(index);
  if (const auto* on = std::get_if<OnStep>(&step.body)) {
    Record(ExchangeEntry::Direction::kEvent, absl::StrCat("ON ", on->name, " (", Where(index), ")"),
           NowMs());
    SwitchTo(on->name);
    return true;
  }
  if (std::holds_alternative<StopStep>(step.body)) {
    // The replies still owed are not read: no unsolicited-reply check at the close.
    awaiting_ = true;
    stopped_ = true;
    Record(ExchangeEntry::Direction::kEvent,
           absl::StrCat("STOP (", Where(index), "): the exchange ends here"), NowMs());
    return false;
  }
  if (const auto* alt = std::get_if<AltStep>(&step.body)) return ChooseBranch(index, *alt);
  if (const auto* end = std::get_if<BranchEndStep>(&step.body)) {
    next_step_ = static_cast<size_t>(
        std::get<AltStep>(transcript_.steps[static_cast<size_t>(end->alt)].body).end);
    return true;
  }
  const auto& expect = std::get<ExpectStep>(step.body);
  if (IsDeferredOutcome(expect.kind)) return true;
  return CheckPositional(index, expect);
}

bool TranscriptRunner::EnsureConnected(size_t index) {
  if (connection_ != nullptr) return true;
  absl::StatusOr<std::unique_ptr<Connection>> connection = run_->Connect();
  if (!connection.ok()) {
    steps_failed_ = true;
    if (std::optional<std::string> down = run_->ServiceDown()) {
      service_down_reported_ = true;
      Add(Verdict::kFail,
          run_->ServiceDownIsProcessStatus() ? Evidence::kProcessStatus : Evidence::kLiveness,
          absl::StrCat(Where(index), ": cannot connect: ", *down));
    } else if (connections_ == 0) {
      Add(Verdict::kError, Evidence::kHarness,
          absl::StrCat("cannot connect to the target: ", connection.status().message()));
    } else {
      suspect_crash_ = true;
      Add(Verdict::kFail, Evidence::kLiveness,
          absl::StrCat(Where(index), ": cannot reconnect: ", connection.status().message()));
    }
    return false;
  }
  connection_ = *std::move(connection);
  Record(ExchangeEntry::Direction::kEvent,
         absl::StrCat(connections_ == 0 ? "connect" : "reconnect",
                      named_ ? absl::StrCat(" (", current_name_, ")") : ""),
         NowMs());
  last_activity_ = Clock::now();
  ++connections_;
  awaiting_ = true;  // the banner
  peer_gone_ = false;
  announced_close_ = 0;
  quit_sent_ = false;
  tls_inserted_ = false;
  tls_active_ = target_.config().tls == TlsMode::kImplicit;
  last_sent_.reset();
  return true;
}

bool TranscriptRunner::Send(size_t index, const std::string& bytes, std::string shown) {
  if (!EnsureConnected(index)) return false;
  const auto poll =
      target_.simulated_time() ? std::chrono::milliseconds(0) : std::chrono::milliseconds(5);
  if (!awaiting_ && !CheckUnsolicited(absl::StrCat("before ", Where(index)), poll)) return false;
  Record(ExchangeEntry::Direction::kClient, RecordedSend(bytes), NowMs());
  const absl::Status sent = connection_->Send(bytes);
  if (!sent.ok()) {
    Record(ExchangeEntry::Direction::kEvent, absl::StrCat("send failed: ", sent.message()),
           NowMs());
  }
  awaiting_ = true;
  last_sent_ = std::move(shown);
  last_activity_ = Clock::now();
  return true;
}

void TranscriptRunner::SwitchTo(const std::string& name) {
  named_ = true;
  if (name == current_name_) return;
  Parked& park = parked_[current_name_];
  park.connection = std::move(connection_);
  park.awaiting = awaiting_;
  park.peer_gone = peer_gone_;
  park.announced_close = announced_close_;
  park.quit_sent = quit_sent_;
  park.last_sent_ehlo = last_sent_ehlo_;
  park.last_ehlo = std::move(last_ehlo_);
  park.tls_inserted = tls_inserted_;
  park.tls_active = tls_active_;
  park.last_sent = std::move(last_sent_);
  park.last_activity = last_activity_;
  Parked next;  // a connection not seen yet: opened by its first step that needs it
  if (auto it = parked_.find(name); it != parked_.end()) {
    next = std::move(it->second);
    parked_.erase(it);
  }
  connection_ = std::move(next.connection);
  awaiting_ = next.awaiting;
  peer_gone_ = next.peer_gone;
  announced_close_ = next.announced_close;
  quit_sent_ = next.quit_sent;
  last_sent_ehlo_ = next.last_sent_ehlo;
  last_ehlo_ = std::move(next.last_ehlo);
  tls_inserted_ = next.tls_inserted;
  tls_active_ = next.tls_active;
  last_sent_ = std::move(next.last_sent);
  last_activity_ = next.last_activity;
  current_name_ = name;
}

void TranscriptRunner::EndAllConnections() {
  const std::string last = current_name_;
  std::vector<std::string> others;
  for (const auto& [name, park] : parked_) {
    if (park.connection != nullptr) others.push_back(name);
  }
  for (const std::string& name : others) {
    SwitchTo(name);
    EndConnection(/*check_extra=*/!stopped_);
  }
  if (!others.empty()) SwitchTo(last);
  EndConnection(/*check_extra=*/!stopped_);
}

}  // namespace smtpgate::conformance
