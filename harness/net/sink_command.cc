#include "harness/net/sink_command.h"

#include <csignal>
#include <exception>
#include <iostream>
#include <memory>

#include "absl/status/status.h"
#include "asio.hpp"
#include "harness/net/sink.h"

namespace smtpgate {

int RunSink(const SinkOptions& options) {
  absl::StatusOr<std::unique_ptr<Sink>> sink = Sink::Start(options.listen, options.record_path);
  if (!sink.ok()) {
    std::cerr << "smtpgate sink: " << sink.status().message() << "\n";
    // Input errors (bad or non-loopback address, unusable record file) are usage errors.
    return absl::IsInvalidArgument(sink.status()) ? 2 : 1;
  }
  asio::io_context io;
  asio::signal_set signals(io);
  asio::error_code ec;
  signals.add(SIGINT, ec);
  if (!ec) signals.add(SIGTERM, ec);
  if (ec) {
    std::cerr << "smtpgate sink: cannot watch signals: " << ec.message() << "\n";
    return 1;
  }
  int received = 0;
  signals.async_wait([&](const asio::error_code& error, int signal) {
    if (!error) received = signal;
  });
  std::cout << "sink listening on " << (*sink)->address() << ", "
            << (options.record_path.empty() ? std::string("not recording")
                                            : "recording to " + options.record_path)
            << std::endl;
  try {
    io.run();
  } catch (const std::exception& e) {
    std::cerr << "smtpgate sink: " << e.what() << "\n";
  }
  (*sink)->Stop();
  std::cout << "sink stopped (signal " << received << "), " << (*sink)->count()
            << " message(s) received" << std::endl;
  return 0;
}

}  // namespace smtpgate
