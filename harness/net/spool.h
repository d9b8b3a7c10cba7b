// The durable spool of the reference server: "250 after DATA" means "on disk".
//
// Layout under the spool directory:
//   lock                      flock()ed by the process that has the spool open
//   tmp/<id>.eml, <id>.env    being written; removed when Open() finds them (never visible)
//   queue/<id>.eml + <id>.env committed, not yet fanned out (a crash between commit and
//                             fan-out is completed by the next Open())
//   maildir/<user>/{tmp,new,cur}/  local recipients: new/<id>, one hard link per local user
//   outbound/<id>.eml + <id>.env   relayed recipients, for the relay agent
//   bounces/<id>.eml + <id>.env    recipients that get a non-delivery report (kNdr)
//
// Message files (.eml and maildir files) hold the message octets exactly as received (DATA
// dot-unstuffed, BDAT as sent): no Received: or Return-Path: header is added, so tests can
// compare bytes. The envelope is a JSON sidecar <id>.env (see ReadSpooledEnvelope):
//   {"version":1, "id":"...", "received":"2024-05-01T12:00:00Z", "size":N,
//    "sender":"a@b" ("" for <>), "sender_path":"<a@b>",
//    "parameters":{"body":"8BITMIME","smtputf8":false,"size":N,"envid":"...","ret":"FULL"},
//    "client":{"address":"127.0.0.1","helo":"...","authenticated_as":"...","tls":false},
//    "recipients":[{"address":"x@y","path":"<x@y>","routing_domain":"y",
//                   "disposition":"relay","reason":"..."}]}
// "disposition" is "deliver-local" (with "user": the maildir name), "relay" or "ndr"
// (DispositionName); rejected recipients are not listed. In outbound/ and bounces/ the
// "recipients" are only those of that destination. A consumer
// of outbound/ treats <id>.env as the "ready" marker (the .eml is linked in first) and
// removes <id>.env before <id>.eml when done.
//
// Crash safety: the body is written to tmp/, fsync()ed, renamed with its envelope into
// queue/ and the directory fsync()ed (the commit point), then hard-linked into each
// destination (directories fsync()ed) and the queue entry removed. A crash at any point
// leaves, outside tmp/, only complete files; Open() finishes or drops what it finds.
#ifndef SMTPGATE_HARNESS_NET_SPOOL_H_
#define SMTPGATE_HARNESS_NET_SPOOL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/core/session_output.h"

namespace smtpgate {

// Who handed the message in; recorded in the envelope sidecar.
struct SpoolProvenance {
  std::string client_address;
  std::string helo;
  std::string authenticated_as;
  bool tls = false;
};

class SpoolWriter;

class Spool {
 public:
  // What Open() found from an earlier run.
  struct Recovery {
    int temp_files_removed = 0;       // tmp/: messages that were never committed
    int queue_entries_completed = 0;  // queue/: committed, fan-out finished now
    int queue_files_removed = 0;      // queue/: halves of an uncommitted entry
  };

  // Creates the layout if needed, takes the lock (one process per spool) and recovers.
  static absl::StatusOr<Spool> Open(const std::string& dir);

  // A new message. Thread-safe.
  absl::StatusOr<std::unique_ptr<SpoolWriter>> Begin();

  const std::string& dir() const;
  const Recovery& recovery() const;

  // The maildir directory name of a local recipient: the local part (quotes removed),
  // lower-cased, with anything but [a-z0-9._+-] replaced by '_' ("postmaster" for
  // <Postmaster>).
  static std::string MaildirUser(const Path& path);

  struct State;

 private:
  explicit Spool(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

class SpoolWriter {
 public:
  ~SpoolWriter();  // not committed: the temporary file is removed
  SpoolWriter(const SpoolWriter&) = delete;
  SpoolWriter& operator=(const SpoolWriter&) = delete;

  absl::Status Append(std::string_view bytes);
  // Makes the message durable and delivers it to its destinations by disposition (local →
  // maildir, relay → outbound, NDR → bounces; rejected recipients are ignored). Returns the
  // queue id. On failure nothing is visible and the writer is spent. Once the commit point
  // is passed the id is returned even if the fan-out fails (disk full half way): the entry
  // then stays in queue/ and the next Open() finishes it.
  absl::StatusOr<std::string> Commit(const Envelope& envelope,
                                     const SpoolProvenance& provenance = {});
  // Drops the message now (MessageDiscarded).
  void Discard();

  const std::string& id() const { return id_; }
  uint64_t size() const { return size_; }

 private:
  friend class Spool;
  SpoolWriter(std::shared_ptr<Spool::State> state, std::string id, int fd);

  std::shared_ptr<Spool::State> state_;
  std::string id_;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool done_ = false;
  absl::Status error_;  // a failed Append makes Commit fail
};

// A parsed envelope sidecar (for the relay agent, the oracle and tests).
struct SpooledRecipient {
  std::string address;  // "x@y" (mailbox as sent, no source route), "Postmaster"
  std::string path;     // "<x@y>" as sent
  std::string routing_domain;
  std::string disposition;  // "deliver-local" | "relay" | "ndr"
  std::string reason;
};
struct SpooledEnvelope {
  std::string id;
  std::string sender;       // "" for the null sender
  std::string sender_path;  // "<a@b>", "<>"
  uint64_t size = 0;
  std::string received;  // RFC 3339, UTC
  std::string client_address;
  std::string authenticated_as;
  std::vector<SpooledRecipient> recipients;
};
absl::StatusOr<SpooledEnvelope> ReadSpooledEnvelope(const std::string& env_path);

// The complete messages in `spool_dir`/`area` ("outbound" or "bounces"): ids whose <id>.env
// exists, sorted.
absl::StatusOr<std::vector<std::string>> ListSpooled(const std::string& spool_dir,
                                                     std::string_view area);

}  // namespace smtpgate

#endif  // SMTPGATE_HARNESS_NET_SPOOL_H_
