// The state of one transcript run: steps (runner.cc), outcome checks and liveness
// (outcomes.cc). Internal to the conformance library.
#ifndef SMTPGATE_HARNESS_CONFORMANCE_RUNNER_INTERNAL_H_
#define SMTPGATE_HARNESS_CONFORMANCE_RUNNER_INTERNAL_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/conformance/oracle_clock.h"
#include "harness/conformance/runner.h"
#include "harness/conformance/target.h"
#include "harness/conformance/transcript.h"
#include "harness/conformance/verdict.h"

namespace smtpgate::conformance {

class TranscriptRunner {
 public:
  // With a `clock`, negative oracle checks on a target whose oracle must be waited for are
  // not decided in RunSteps() but kept pending until Finish(), at the clock's deadline
  // (oracle_clock.h); positive controls are decided at once and calibrate the clock.
  TranscriptRunner(const Transcript& transcript, Target& target, const Capabilities& capabilities,
                   OracleClock* clock = nullptr);
  TestResult Run() {
    RunSteps();
    return Finish();
  }
  // The steps and every outcome that can be decided now.
  void RunSteps();
  // Oracle checks waiting for the clock's deadline.
  bool pending() const { return !pending_.empty(); }
  // Decides the pending checks (call once the clock's deadline has passed) and the verdict.
  TestResult Finish();

 private:
  using Clock = std::chrono::steady_clock;

  // Steps (runner.cc). Each returns false when the steps must stop.
  bool CheckRequirements();
  bool ExpandAll();
  bool Execute(size_t index);
  bool Send(size_t index, const std::string& bytes, std::string shown);
  bool ExpectReply(size_t index, const ReplyStep& step);
  bool DoStartTls(size_t index);
  bool Reconnect(size_t index);
  bool CheckPositional(size_t index, const ExpectStep& expect);
  bool EnsureConnected(size_t index);
  // A reply that arrived although every expected one was read → FAIL (false).
  bool CheckUnsolicited(std::string_view before, std::chrono::milliseconds wait);
  void EndConnection(bool check_extra);
  ReadResult ReadNext(std::chrono::milliseconds timeout, bool poll);
  bool CheckEhloRequirements(const Reply& reply);
  // AUTH only inside TLS: STARTTLS, the handshake and the same EHLO again, after the first
  // EHLO of a connection (runner_replies.cc).
  bool InsertStartTls(size_t index);
  // ALT: reads the reply, picks the branch whose first S: step accepts it.
  bool ChooseBranch(size_t index, const AltStep& alt);

  // Outcomes and liveness (outcomes.cc).
  void CheckDeferred(const ExpectStep& expect);
  void CheckOracle(const ExpectStep& expect);
  void CheckAlive(bool automatic);
  // New lines in the server's crash log → FAIL (evidence crash log). `daemon_down`: the
  // service itself was found dead (so the crash is not a per-connection one).
  void CheckCrashLog(bool daemon_down);
  // The index of the server's reply to the last RCPT that carried `needle`; -1: none.
  int ReplyToRcptWith(std::string_view needle) const;
  absl::StatusOr<std::vector<OracleMessage>> OracleMessages(
      const std::function<bool(const OracleMessage&)>& done);

  // ON name: parks the current connection's state and makes `name` current (new: fresh).
  void SwitchTo(const std::string& name);
  // Closes every connection, the current one last (end of the steps).
  void EndAllConnections();

  // Reporting.
  void Add(Verdict verdict, Evidence evidence, std::string reason);
  void Record(ExchangeEntry::Direction direction, std::string data, int64_t elapsed_ms);
  int64_t NowMs() const;
  std::string Where(size_t index) const;  // "line 12"
  std::chrono::milliseconds ReplyTimeout() const;

  const Transcript& transcript_;
  Target& target_;
  const Capabilities& capabilities_;
  TestResult result_;
  Variables variables_;
  std::unique_ptr<TargetRun> run_;
  std::unique_ptr<Connection> connection_;
  std::vector<std::vector<std::string>> payloads_;  // per step: expanded send parts / argument
  std::vector<std::optional<std::chrono::milliseconds>> within_;  // per S: step: `within D`
  std::vector<std::optional<ReadResult>> replies_;                // per S: step: what it read
  std::vector<int> step_exchange_;  // per step: the last exchange entry when it ran (-1: did not)
  int current_step_ = -1;           // the step findings are about (-1: the test as a whole)
  size_t next_step_ = 0;            // the step to run after the current one (ALT jumps)
  std::vector<bool> skipped_;       // steps of ALT branches not taken
  std::optional<ReadResult> chosen_read_;  // the reply an ALT read for its branch's first S:
  int pinned_exchange_ = -1;  // when >= 0: the entry findings point at (deferred outcomes)
  Clock::time_point start_;
  Clock::time_point oracle_deadline_;
  OracleClock* clock_ = nullptr;
  Clock::time_point steps_end_;            // the session(s) ended: oracle latencies count from here
  std::vector<size_t> pending_;            // EXPECT steps left for Finish()
  size_t pending_at_ = 0;                  // where their findings belong in result_.findings
  std::string shared_deadline_;            // while Finish() decides them: the clock's description
  std::chrono::milliseconds duration_{0};  // the test's own time (not the shared wait)
  int64_t simulated_ms_ = 0;
  int connections_ = 0;
  bool awaiting_ = false;    // a reply may still be owed (banner, or after a send)
  bool peer_gone_ = false;   // this connection was closed or reset by the server
  int announced_close_ = 0;  // 221 or 421 received on this connection
  bool quit_sent_ = false;
  bool last_sent_ehlo_ = false;  // the last send was a C: EHLO line
  std::string last_ehlo_;        // ...its bytes
  bool insert_tls_ = false;      // this transcript's AUTH needs the runner's STARTTLS
  bool tls_inserted_ = false;    // ...and this connection has had it
  bool tls_active_ = false;      // this connection is inside TLS
  bool ehlo_checked_ = false;
  bool steps_failed_ = false;
  bool service_down_reported_ = false;
  bool suspect_crash_ = false;  // a dropped connection or failed liveness: wait for the process
  int replies_checked_ = 0;
  // For reasons: the last command line (or chunk) sent; none since the connection opened.
  std::optional<std::string> last_sent_;
  Clock::time_point last_activity_;  // the last send or reply on this connection (timing)

  // Named connections (ON): the per-connection fields above of each connection that is not
  // the current one.
  struct Parked {
    std::unique_ptr<Connection> connection;
    bool awaiting = false;
    bool peer_gone = false;
    int announced_close = 0;
    bool quit_sent = false;
    bool last_sent_ehlo = false;
    std::string last_ehlo;
    bool tls_inserted = false;
    bool tls_active = false;
    std::optional<std::string> last_sent;
    Clock::time_point last_activity;
  };
  std::map<std::string, Parked, std::less<>> parked_;
  std::string current_name_ = "main";
  bool named_ = false;    // an ON step ran: connection events name their connection
  bool stopped_ = false;  // STOP ran: replies still owed are not checked at the close
};

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_RUNNER_INTERNAL_H_
