// The local-delivery oracle for real servers ([oracle] maildir / mbox in the target file):
// the messages a server delivered to local mailboxes while a test ran, read from the
// Maildirs and mbox files themselves. A message "carries the token" when the token is
// anywhere in its file; its envelope comes from the headers the delivery agent prepends
// (Return-Path; X-Original-To, Delivered-To, Envelope-To) or the mbox "From " line.
#ifndef SMTPGATE_HARNESS_CONFORMANCE_MAILBOX_ORACLE_H_
#define SMTPGATE_HARNESS_CONFORMANCE_MAILBOX_ORACLE_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/conformance/target.h"

namespace smtpgate::conformance {

// One delivered message as the oracle reports it (local = true): `text` is the whole
// message as stored (a Maildir file, or an mbox entry without its "From " line); the
// body is that text without the headers the delivery agent prepended, in SMTP form (a
// file stored with LF line ends gets CRLF back). `from_line_sender` is the sender of an
// mbox "From " line ("" when there is none). `where` names the file for reasons.
OracleMessage ParseDeliveredMessage(std::string_view text, std::string_view from_line_sender,
                                    std::string where);

struct MboxEntry {
  std::string from_line_sender;  // "MAILER-DAEMON" in the From_ line: the null sender ("")
  std::string text;              // the message, ">From " lines unquoted, separator removed
};
// Splits mbox text (starting at a "From " line) into its messages.
std::vector<MboxEntry> SplitMbox(std::string_view text);

// The Maildirs under `root`: root itself when it has new/ or cur/, else every directory
// up to three levels below that has (Postfix: base/example.test/alice/). Sorted.
std::vector<std::string> FindMaildirs(const std::string& root);

// Copies of one message count once: a local copy with the same body as another message
// (delivered to several mailboxes, or delivered and relayed) is merged into it (recipients
// joined). Two relayed messages are never merged.
void MergeLocalCopies(std::vector<OracleMessage>& messages);

class MailboxOracle {
 public:
  // Takes the snapshot: every Maildir message present now, and where each mbox ends now,
  // is never reported. A Maildir root must exist (else Messages reports it); an mbox file
  // may appear later.
  MailboxOracle(std::vector<std::string> maildir_roots, std::vector<std::string> mboxes);

  // Messages delivered since the snapshot whose file contains `token`.
  absl::StatusOr<std::vector<OracleMessage>> MessagesWithToken(std::string_view token);

  // "1 Maildir root", "2 Maildir roots and 1 mbox".
  std::string Describe() const;

 private:
  std::vector<std::string> roots_;
  std::vector<std::string> mboxes_;
  absl::Status snapshot_error_;
  std::set<std::string> before_;                 // Maildir messages at the snapshot
  std::map<std::string, uint64_t> mbox_start_;   // per mbox: its size at the snapshot
  std::map<std::string, std::string> contents_;  // Maildir files read so far (immutable)
};

}  // namespace smtpgate::conformance

#endif  // SMTPGATE_HARNESS_CONFORMANCE_MAILBOX_ORACLE_H_
