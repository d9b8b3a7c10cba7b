// Crash evidence from the server's log (harness/conformance/crash_log.h, [server] in the
// target file): the pattern, reading only what was appended, and the runner charging a
// per-connection crash to the test whose connection died, against a real forking server
// (tests/testdata/crash/forking_server.py) whose child crashes while the daemon lives on.
#include "harness/conformance/crash_log.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/conformance/server_process.h"
#include "harness/conformance/suite.h"
#include "harness/conformance/target_file.h"
#include "harness/conformance/tcp_target.h"
#include "tests/source_dir.h"
#include "tests/suite_runs.h"

namespace smtpgate::conformance {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "smtpgate-crashlog-XXXXXX").string();
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~ScratchDir() {
    std::error_code error;
    if (!path_.empty()) fs::remove_all(path_, error);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void Append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << text;
}

CrashPattern Default() {
  absl::StatusOr<CrashPattern> pattern = CrashPattern::Compile(kDefaultCrashPattern);
  EXPECT_TRUE(pattern.ok()) << pattern.status();
  return *pattern;
}

TEST(CrashPattern, TheDefaultMatchesTheUsualCrashLinesOnly) {
  const CrashPattern pattern = Default();
  for (const char* line :
       {"postfix/master[1]: warning: process /usr/lib/postfix/sbin/smtpd pid 7 killed by signal 11",
        "postfix/smtpd[7]: panic: myfree: corrupt or unallocated memory block",
        "postfix/smtpd[7]: fatal: out of memory", "kernel: smtpd[7]: segfault at 0 ip 0",
        "exim[9]: Segmentation fault (core dumped)", "PANIC LOG"}) {
    EXPECT_TRUE(pattern.Matches(line)) << line;
  }
  for (const char* line :
       {"postfix/smtpd[7]: connect from localhost[127.0.0.1]",
        "postfix/smtpd[7]: lost connection after DATA from localhost[127.0.0.1]",
        "postfix/smtpd[7]: warning: non-SMTP command from localhost[127.0.0.1]: RCPT"}) {
    EXPECT_FALSE(pattern.Matches(line)) << line;
  }
  const absl::StatusOr<CrashPattern> bad = CrashPattern::Compile("(unclosed");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("not a valid regular expression"));
}

TEST(CrashLog, ReportsOnlyCompleteLinesAppendedSinceTheStart) {
  ScratchDir dir;
  const std::string log = dir / "mail.log";
  Append(log, "old: fatal: before the test\n");
  CrashLog crash_log({log, dir / "appears-later.log"}, Default());
  absl::StatusOr<std::vector<std::string>> lines = crash_log.NewMatches();
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_THAT(*lines, IsEmpty());

  Append(log, "smtpd[2]: connect from localhost\nmaster: pid 2 killed by signal 11\nsmtpd[3]: pan");
  lines = crash_log.NewMatches();
  ASSERT_TRUE(lines.ok());
  EXPECT_THAT(*lines, ElementsAre(log + ": master: pid 2 killed by signal 11"));
  // The half-written line is read once it is complete; nothing is reported twice.
  Append(log, "ic: bad\r\n");
  Append(dir / "appears-later.log", "FATAL error\n");
  lines = crash_log.NewMatches();
  ASSERT_TRUE(lines.ok());
  EXPECT_THAT(*lines, ElementsAre(log + ": smtpd[3]: panic: bad",
                                  dir / "appears-later.log" + ": FATAL error"));
  lines = crash_log.NewMatches();
  ASSERT_TRUE(lines.ok());
  EXPECT_THAT(*lines, IsEmpty());
  // Rotated: the new, shorter file is read from its start.
  fs::remove(log);
  Append(log, "segfault\n");
  lines = crash_log.NewMatches();
  ASSERT_TRUE(lines.ok());
  EXPECT_THAT(*lines, ElementsAre(log + ": segfault"));
}

TEST(CrashLog, TargetFileKeys) {
  const std::string base = "port = 25\nlocal_domain = \"d\"\nlocal_user = \"u\"\n";
  const absl::StatusOr<TargetConfig> config = ParseTargetFile(
      base + "[server]\ncrash_log = [\"log/mail.log\", \"/var/log/x\"]\n", "targets/t.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->crash_log.files, ElementsAre("targets/log/mail.log", "/var/log/x"));
  EXPECT_EQ(config->crash_log.pattern, kDefaultCrashPattern);
  auto error = [&](const std::string& text) {
    const absl::StatusOr<TargetConfig> bad = ParseTargetFile(base + text, "t.toml");
    EXPECT_FALSE(bad.ok()) << text;
    return std::string(bad.status().message());
  };
  EXPECT_THAT(error("[server]\ncrash_log = [\"l\"]\ncrash_pattern = \"(x\"\n"),
              HasSubstr("t.toml:6:17: key 'server.crash_pattern': not a valid regular expression"));
  EXPECT_THAT(error("[server]\ncrash_pattern = \"x\"\n"),
              HasSubstr("key 'server.crash_pattern': crash_pattern without crash_log files"));
  EXPECT_THAT(error("[server]\ncrash_log = \"l\"\n"),
              HasSubstr("t.toml:5:13: key 'server.crash_log': expected an array of strings"));
  EXPECT_THAT(error("[server]\npid_file = \"x\"\n"),
              HasSubstr("t.toml:5:1: key 'server.pid_file': unknown key"));
}

uint16_t FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

TEST(CrashLog, APerConnectionCrashIsNamedAndProvenByTheLog) {
  ScratchDir dir;
  const std::string log = dir / "server.log";
  const uint16_t port = FreePort();
  const std::string data = SourceDir() + "/tests/testdata/crash";
  absl::StatusOr<std::unique_ptr<ServerProcess>> process = ServerProcess::Start(
      "exec /usr/bin/python3 " + data + "/forking_server.py " + std::to_string(port) + " " + log,
      "127.0.0.1", port, std::chrono::seconds(10));
  ASSERT_TRUE(process.ok()) << process.status();
  TargetConfig config = DemoTarget("127.0.0.1", port);
  config.tls = TlsMode::kNone;
  config.grace = std::chrono::milliseconds(50);
  config.crash_log.files = {log};
  TcpTarget target(config, nullptr, process->get());
  const Suite suite = LoadSuite({data}, UsableNames(config.variables));
  ASSERT_THAT(suite.errors, IsEmpty());
  const std::map<std::string, TestResult> results = RunSuiteById(suite, target);

  const TestResult& crash = results.at("crash/rset-crashes");
  EXPECT_EQ(crash.verdict, Verdict::kFail);
  EXPECT_THAT(crash.reason, HasSubstr("connection dropped without a reply to 'RSET'"));
  EXPECT_THAT(crash.reason,
              HasSubstr("per-connection crash: the connection was dropped and the crash log "
                        "has: " +
                        log + ": "));
  EXPECT_THAT(crash.reason, HasSubstr("killed by signal 11"));
  EXPECT_THAT(crash.evidence, Contains("crash log"));
  // The daemon lives on: the automatic liveness check passes, no process-status finding.
  bool alive = false;
  for (const Finding& finding : crash.findings) {
    alive = alive || (finding.evidence == Evidence::kLiveness && finding.verdict == Verdict::kPass);
    EXPECT_NE(finding.evidence, Evidence::kProcessStatus) << finding.reason;
  }
  EXPECT_TRUE(alive);

  const TestResult& fine = results.at("crash/noop-is-fine");
  EXPECT_EQ(fine.verdict, Verdict::kPass) << fine.reason;
  EXPECT_THAT(fine.evidence, Not(Contains("crash log")));
}

}  // namespace
}  // namespace smtpgate::conformance
