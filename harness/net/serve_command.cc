#include "harness/net/serve_command.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "asio/io_context.hpp"
#include "asio/post.hpp"
#include "asio/signal_set.hpp"
#include "harness/core/profile.h"
#include "harness/core/smtp_status.h"
#include "harness/net/server.h"
#include "harness/net/server_config.h"

namespace smtpgate {
namespace {

int Fail(int code, std::string_view message) {
  std::fprintf(stderr, "smtpgate serve: %.*s\n", static_cast<int>(message.size()), message.data());
  return code;
}

std::string ProfileNames() {
  std::vector<std::string> names;
  for (Profile p : kAllProfiles) names.emplace_back(ProfileName(p));
  return absl::StrJoin(names, ", ");
}

}  // namespace

int RunServe(const ServeOptions& options) {
  std::optional<Profile> profile;
  if (!options.profile.empty()) {
    profile = ParseProfile(options.profile);
    if (!profile) {
      return Fail(2, absl::StrCat("--profile: unknown profile \"", options.profile,
                                  "\" (expected one of: ", ProfileNames(), ")"));
    }
  }
  ServerConfig config;
  std::string made_spool;  // a temporary spool directory this command created
  if (options.config_path.empty()) {
    config = DemoServerConfig(profile.value_or(Profile::kSecure));
    made_spool = config.spool_dir;
  } else {
    absl::StatusOr<ServerConfig> loaded = LoadServerConfig(options.config_path);
    if (!loaded.ok()) return Fail(2, AsStd(loaded.status().message()));
    config = std::move(*loaded);
    if (profile) config.session.policy.profile = *profile;
    if (config.spool_dir.empty() && options.spool_dir.empty()) {
      // No spool configured: a temporary one, as the demo does.
      config.spool_dir = DemoServerConfig().spool_dir;
      made_spool = config.spool_dir;
    }
  }
  if (!options.listen.empty()) config.listen = options.listen;
  if (!options.spool_dir.empty()) config.spool_dir = options.spool_dir;
  // A temporary spool (the demo's, or one made because the file names none) is removed when
  // the server ends; an unused one (--spool) at once.
  if (!made_spool.empty()) config.temporary_dir = made_spool;
  if (!made_spool.empty() && config.spool_dir != made_spool) rmdir(made_spool.c_str());
  if (!options.relay_host.empty()) config.relay_host = options.relay_host;
  if (absl::Status s = ValidateServerConfig(config); !s.ok()) return Fail(2, AsStd(s.message()));

  Server::Options server_options;
  server_options.log_messages = true;
  absl::StatusOr<std::unique_ptr<Server>> created = Server::Create(config, server_options);
  if (!created.ok()) return Fail(1, AsStd(created.status().message()));
  Server& server = **created;

  if (options.print_config) {
    std::vector<std::string> bound;
    for (const asio::ip::tcp::endpoint& e : server.endpoints()) {
      bound.push_back(e.address().is_v6()
                          ? absl::StrCat("[", e.address().to_string(), "]:", e.port())
                          : absl::StrCat(e.address().to_string(), ":", e.port()));
    }
    std::printf(
        "smtpgate serve: listening on %s (%s)\n%s", absl::StrJoin(bound, ", ").c_str(),
        options.config_path.empty() ? "built-in demo configuration" : options.config_path.c_str(),
        DescribeServerConfig(server.config()).c_str());
    const Spool::Recovery& r = server.spool().recovery();
    if (r.temp_files_removed + r.queue_entries_completed + r.queue_files_removed > 0) {
      std::printf("  recovered    %d unfinished message(s) removed, %d committed completed\n",
                  r.temp_files_removed, r.queue_entries_completed);
    }
    std::fflush(stdout);
  }

  // SIGINT/SIGTERM → graceful stop, on a small context of its own.
  asio::io_context signal_context(1);
  asio::signal_set signals(signal_context);
  asio::error_code ec;
  signals.add(SIGINT, ec);
  if (!ec) signals.add(SIGTERM, ec);
  if (ec) return Fail(1, absl::StrCat("cannot install signal handlers: ", ec.message()));
  signals.async_wait([&server](const asio::error_code& wait_ec, int signal_number) {
    if (wait_ec) return;
    std::fprintf(stderr, "smtpgate serve: %s received, shutting down\n",
                 signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    server.Stop();
  });
  std::thread signal_thread([&signal_context] { signal_context.run(); });

  server.Run();

  asio::post(signal_context, [&signals] {
    asio::error_code cancel_ec;
    signals.cancel(cancel_ec);
  });
  signal_thread.join();

  if (server.service_stopped()) {
    return Fail(kServeExitServiceStopped,
                absl::StrCat("service stopped (emulation profile ",
                             AsAbsl(ProfileName(config.session.policy.profile)),
                             "): ", server.service_stopped_reason()));
  }
  std::fprintf(stderr, "smtpgate serve: stopped\n");
  return 0;
}

}  // namespace smtpgate
