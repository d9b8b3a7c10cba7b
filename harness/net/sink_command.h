// `smtpgate sink`: runs the delivery oracle (harness/net/sink.h) in the foreground until
// SIGINT or SIGTERM. Other processes (a conformance runner) learn what arrived by reading the
// record file with Sink::ReadRecord(): the file is the cross-process protocol, there is no
// query port.
#ifndef SMTPGATE_HARNESS_NET_SINK_COMMAND_H_
#define SMTPGATE_HARNESS_NET_SINK_COMMAND_H_

#include <string>

namespace smtpgate {

struct SinkOptions {
  std::string listen = "127.0.0.1:2526";  // loopback IP literal and port ("[::1]:2526")
  std::string record_path;                // JSON lines, one per message; "" = memory only
};

// Prints "sink listening on 127.0.0.1:PORT, recording to FILE" (or "..., not recording") on
// stdout, then serves until SIGINT/SIGTERM and returns 0. A bad or non-loopback listen
// address, or a record file that cannot be opened: a message on stderr and 2. A listen
// address that cannot be bound (in use): a message on stderr and 1.
int RunSink(const SinkOptions& options);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_NET_SINK_COMMAND_H_
