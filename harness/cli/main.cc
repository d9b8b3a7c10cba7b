// The `smtpgate` command: serve | sink | conform | report | version.
//
// Flags are absl flags; `--long-name` is accepted for `--long_name` (absl's spelling), so
// the command line reads as documented in the README.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#ifndef SMTPGATE_BUILD_TYPE
#define SMTPGATE_BUILD_TYPE "unknown"
#endif

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "harness/conformance/conform_command.h"
#include "harness/conformance/fuzz_transcript_command.h"
#include "harness/conformance/probe_command.h"
#include "harness/net/serve_command.h"
#include "harness/net/sink_command.h"
#include "harness/report/report_command.h"

// serve
ABSL_FLAG(std::string, config, "", "serve: TOML configuration file (default: the built-in demo)");
ABSL_FLAG(std::vector<std::string>, listen, {},
          "serve/sink: ADDR:PORT to listen on, comma-separated (loopback only)");
ABSL_FLAG(std::string, profile, "",
          "serve/conform/fuzz-to-transcript --embedded: emulation profile: secure, open-relay, "
          "auth-implies-relay, "
          "ms02-012, bare-lf-eod, null-session-auth, per-connection-crash, strict");
ABSL_FLAG(std::string, spool, "", "serve: spool directory (default: a temporary directory)");
ABSL_FLAG(std::string, relay_host, "",
          "serve: loopback ADDR:PORT that relayed mail is handed to (e.g. a `smtpgate sink`)");
// sink
ABSL_FLAG(std::string, record, "", "sink: append every received message to this JSON-lines file");
// conform
ABSL_FLAG(bool, embedded, false, "conform: run against the in-process reference server");
ABSL_FLAG(std::string, target, "", "conform: HOST:PORT of the server under test");
ABSL_FLAG(std::string, target_file, "", "conform: TOML target file describing the server");
ABSL_FLAG(std::vector<std::string>, suite, {},
          "conform: transcript directories or files, comma-separated (default: conformance)");
ABSL_FLAG(std::vector<std::string>, tags, {}, "conform: run only transcripts with these tags");
ABSL_FLAG(int, jobs, 0,
          "conform: transcripts run in parallel (default: 2 embedded, 16 over TCP; 1 for exact "
          "crash attribution with --server-cmd)");
ABSL_FLAG(std::string, json, "", "conform/report: write results JSON here");
ABSL_FLAG(std::string, junit, "", "conform/report: write JUnit XML here");
ABSL_FLAG(std::string, sarif, "", "conform/report: write SARIF 2.1.0 here");
ABSL_FLAG(std::string, html, "", "conform/report: write an HTML report here");
ABSL_FLAG(std::string, baseline, "",
          "conform/report: compare with this baseline; exit 1 only on regressions");
ABSL_FLAG(bool, write_baseline, false, "conform/report: record the results as the new --baseline");
ABSL_FLAG(std::string, server_cmd, "",
          "conform: shell command that starts the server under test (watched for crashes)");
ABSL_FLAG(bool, strict, false, "conform/report: WARN also counts as a failure");
ABSL_FLAG(bool, verbose, false, "conform: print every exchange");
// probe
ABSL_FLAG(
    std::string, out, "",
    "probe/fuzz-to-transcript: probe: write the target file here (default: stdout); "
    "fuzz-to-transcript: the directory for the transcripts (default: conformance/regressions)");
// fuzz-to-transcript
ABSL_FLAG(std::string, name, "", "fuzz-to-transcript: @name of the transcript (one input only)");
ABSL_FLAG(bool, force, false,
          "fuzz-to-transcript: write the transcript even when it does not PASS secure and FAIL "
          "the profile");
ABSL_FLAG(std::string, local_domain, "",
          "probe: a domain the server is final destination for (default: the banner host "
          "without its first label)");
ABSL_FLAG(std::string, local_user, "postmaster", "probe: an existing mailbox of --local-domain");
ABSL_FLAG(std::string, remote_domain, "remote.invalid",
          "probe: a domain the server must not relay to (.invalid or .test)");
ABSL_FLAG(std::string, helo, "client.test", "probe: the EHLO name");
ABSL_FLAG(std::string, authorized, "", "probe: USER:PASS of an account that may relay");
ABSL_FLAG(std::string, unauthorized, "",
          "probe: USER:PASS of an account that can authenticate but must not relay");
ABSL_FLAG(std::string, sink, "",
          "probe: HOST:PORT where conform runs the sink the server relays to ([oracle] sink)");
ABSL_FLAG(std::vector<std::string>, maildir, {},
          "probe: the server's Maildir roots, comma-separated or repeated ([oracle] maildir)");
ABSL_FLAG(int, timeout, 10, "probe: seconds for the connect and each reply");

namespace {

constexpr char kUsage[] =
    "smtpgate — SMTP fuzzing and conformance harness\n"
    "\n"
    "  smtpgate serve   [--config F] [--listen ADDR:PORT] [--profile P] [--spool DIR]\n"
    "                   [--relay-host ADDR:PORT]\n"
    "  smtpgate sink    [--listen ADDR:PORT] [--record FILE]\n"
    "  smtpgate conform (--embedded [--profile P] | --target HOST:PORT | --target-file F)\n"
    "                   [--suite DIR,...] [--tags T,...] [--jobs N] [--json F] [--junit F]\n"
    "                   [--sarif F] [--html F] [--baseline F [--write-baseline]]\n"
    "                   [--server-cmd CMD] [--strict]\n"
    "  smtpgate probe   HOST:PORT [--out F] [--local-domain D] [--local-user U]\n"
    "                   [--remote-domain D] [--helo H] [--authorized USER:PASS]\n"
    "                   [--unauthorized USER:PASS] [--sink HOST:PORT] [--maildir DIR,...]\n"
    "                   [--timeout S]\n"
    "  smtpgate fuzz-to-transcript INPUT... [--profile P] [--out DIR] [--name N] [--force]\n"
    "  smtpgate report  RESULTS.json... [--json F] [--junit F] [--sarif F] [--html F]\n"
    "                   [--baseline F [--write-baseline]] [--strict]\n"
    "  smtpgate version\n"
    "\n"
    "Exit codes (conform): 0 no FAIL, 1 FAIL, 2 usage or input error, 3 target unreachable.\n"
    "With --baseline (conform, report): 0 no regression, 1 a test regressed.\n";

// "--relay-host=x" → "--relay_host=x": absl flag names cannot contain '-'.
std::vector<std::string> NormalizeFlagNames(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string& a = args[i];
    if (a == "--") break;
    if (a.rfind("--", 0) != 0) continue;
    const size_t end = a.find('=') == std::string::npos ? a.size() : a.find('=');
    for (size_t j = 2; j < end; ++j) {
      if (a[j] == '-') a[j] = '_';
    }
  }
  return args;
}

// The commands a flag belongs to, from its help text ("conform/report: ..." → conform,
// report; "serve/conform --embedded: ..." → serve, conform).
bool FlagIsFor(absl::string_view help, absl::string_view command) {
  const size_t colon = help.find(':');
  if (colon == absl::string_view::npos) return false;
  for (absl::string_view part : absl::StrSplit(help.substr(0, colon), absl::ByAnyChar("/ "))) {
    if (part == command) return true;
  }
  return false;
}

// `smtpgate [COMMAND] --help`: the usage, then every flag COMMAND takes (all of them without
// a command), each with its help text.
int PrintHelp(const std::string& command) {
  std::fputs(kUsage, stdout);
  std::vector<std::pair<std::string, std::string>> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string help = flag->Help();
    if (!absl::StrContains(flag->Filename(), "harness/cli/main.cc")) continue;
    if (!command.empty() && !FlagIsFor(help, command)) continue;
    std::string spelled(name);
    for (char& c : spelled) {
      if (c == '_') c = '-';
    }
    flags.emplace_back(spelled, help);
  }
  std::sort(flags.begin(), flags.end());
  std::printf("\nFlags%s:\n", command.empty() ? "" : (" of " + command).c_str());
  for (const auto& [name, help] : flags) {
    std::printf("  --%-16s %s\n", name.c_str(), help.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // --help and --version are answered here, per command, not by absl's generic handlers.
  std::string help_command;
  bool help = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h" || a == "--helpfull" || a == "help") {
      help = true;
    } else if (a == "--version") {
      std::printf("smtpgate %s (%s build)\n", SMTPGATE_VERSION, SMTPGATE_BUILD_TYPE);
      return 0;
    } else if (help_command.empty() && !a.empty() && a[0] != '-') {
      help_command = std::string(a);
    }
  }
  if (help) return PrintHelp(help_command == "help" ? "" : help_command);
  absl::SetProgramUsageMessage(kUsage);
  std::vector<std::string> normalized = NormalizeFlagNames(argc, argv);
  std::vector<char*> args;
  for (std::string& a : normalized) args.push_back(a.data());
  const std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(args.size()), args.data());

  if (positional.size() < 2) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const std::string command = positional[1];
  if (command == "report") {
    smtpgate::ReportCommandOptions options;
    options.inputs.assign(positional.begin() + 2, positional.end());
    options.outputs.json_path = absl::GetFlag(FLAGS_json);
    options.outputs.junit_path = absl::GetFlag(FLAGS_junit);
    options.outputs.sarif_path = absl::GetFlag(FLAGS_sarif);
    options.outputs.html_path = absl::GetFlag(FLAGS_html);
    options.outputs.baseline_path = absl::GetFlag(FLAGS_baseline);
    options.outputs.write_baseline = absl::GetFlag(FLAGS_write_baseline);
    options.outputs.strict = absl::GetFlag(FLAGS_strict);
    return smtpgate::RunReport(options);
  }
  if (command == "probe") {
    smtpgate::ProbeCommandOptions options;
    if (positional.size() != 3) {
      std::fprintf(stderr, "smtpgate probe: give the server as one HOST:PORT\n\n%s", kUsage);
      return smtpgate::kProbeUsage;
    }
    options.target = positional[2];
    options.out_path = absl::GetFlag(FLAGS_out);
    options.local_domain = absl::GetFlag(FLAGS_local_domain);
    options.local_user = absl::GetFlag(FLAGS_local_user);
    options.remote_domain = absl::GetFlag(FLAGS_remote_domain);
    options.helo = absl::GetFlag(FLAGS_helo);
    options.authorized = absl::GetFlag(FLAGS_authorized);
    options.unauthorized = absl::GetFlag(FLAGS_unauthorized);
    options.sink = absl::GetFlag(FLAGS_sink);
    // --maildir may be repeated (absl keeps only the last one): collect every occurrence.
    for (size_t i = 1; i < normalized.size() && normalized[i] != "--"; ++i) {
      const std::string& a = normalized[i];
      if (a.rfind("--maildir=", 0) == 0) {
        options.maildirs.push_back(a.substr(10));
      } else if (a == "--maildir" && i + 1 < normalized.size()) {
        options.maildirs.push_back(normalized[++i]);
      }
    }
    options.timeout_seconds = absl::GetFlag(FLAGS_timeout);
    return smtpgate::RunProbe(options);
  }
  if (command == "fuzz-to-transcript") {
    smtpgate::FuzzTranscriptCommandOptions options;
    options.inputs.assign(positional.begin() + 2, positional.end());
    options.profile = absl::GetFlag(FLAGS_profile);
    if (!absl::GetFlag(FLAGS_out).empty()) options.out_dir = absl::GetFlag(FLAGS_out);
    options.name = absl::GetFlag(FLAGS_name);
    options.force = absl::GetFlag(FLAGS_force);
    return smtpgate::RunFuzzToTranscript(options);
  }
  if (positional.size() != 2) {
    std::fprintf(stderr, "smtpgate %s: unexpected argument '%s'\n\n%s", command.c_str(),
                 positional[2], kUsage);
    return 2;
  }

  if (command == "serve") {
    smtpgate::ServeOptions options;
    options.config_path = absl::GetFlag(FLAGS_config);
    options.listen = absl::GetFlag(FLAGS_listen);
    options.profile = absl::GetFlag(FLAGS_profile);
    options.spool_dir = absl::GetFlag(FLAGS_spool);
    options.relay_host = absl::GetFlag(FLAGS_relay_host);
    return smtpgate::RunServe(options);
  }
  if (command == "sink") {
    smtpgate::SinkOptions options;
    const std::vector<std::string> listen = absl::GetFlag(FLAGS_listen);
    if (listen.size() > 1) {
      std::fputs("smtpgate sink: --listen takes one ADDR:PORT\n", stderr);
      return 2;
    }
    if (!listen.empty()) options.listen = listen[0];
    options.record_path = absl::GetFlag(FLAGS_record);
    return smtpgate::RunSink(options);
  }
  if (command == "conform") {
    smtpgate::ConformOptions options;
    options.embedded = absl::GetFlag(FLAGS_embedded);
    const std::string profile = absl::GetFlag(FLAGS_profile);
    if (!profile.empty()) options.profile = profile;
    options.target = absl::GetFlag(FLAGS_target);
    options.target_file = absl::GetFlag(FLAGS_target_file);
    options.suites = absl::GetFlag(FLAGS_suite);
    options.tags = absl::GetFlag(FLAGS_tags);
    options.jobs = absl::GetFlag(FLAGS_jobs);
    options.json_path = absl::GetFlag(FLAGS_json);
    options.junit_path = absl::GetFlag(FLAGS_junit);
    options.sarif_path = absl::GetFlag(FLAGS_sarif);
    options.html_path = absl::GetFlag(FLAGS_html);
    options.baseline_path = absl::GetFlag(FLAGS_baseline);
    options.write_baseline = absl::GetFlag(FLAGS_write_baseline);
    options.server_cmd = absl::GetFlag(FLAGS_server_cmd);
    options.strict = absl::GetFlag(FLAGS_strict);
    options.verbose = absl::GetFlag(FLAGS_verbose);
    return smtpgate::RunConform(options);
  }
  if (command == "version") {
    std::printf("smtpgate %s (%s build)\n", SMTPGATE_VERSION, SMTPGATE_BUILD_TYPE);
    return 0;
  }
  std::fprintf(stderr, "smtpgate: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
