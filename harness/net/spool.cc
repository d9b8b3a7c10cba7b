#include "harness/net/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "harness/core/smtp_status.h"
#include "nlohmann/json.hpp"

namespace smtpgate {

using json = nlohmann::json;

struct Spool::State {
  std::string dir;
  int lock_fd = -1;
  std::atomic<uint64_t> counter{0};
  Recovery recovery;

  ~State() {
    if (lock_fd >= 0) close(lock_fd);  // releases the flock
  }
};

namespace {

absl::Status ErrnoStatus(std::string_view what, const std::string& path, int error) {
  const std::string message = absl::StrCat(AsAbsl(what), " ", path, ": ", std::strerror(error));
  if (error == ENOSPC || error == EDQUOT) return absl::ResourceExhaustedError(message);
  if (error == ENOENT) return absl::NotFoundError(message);
  if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

absl::Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0750) == 0 || errno == EEXIST) return absl::OkStatus();
  return ErrnoStatus("mkdir", path, errno);
}

absl::Status FsyncPath(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECTORY);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  const int rc = fsync(fd);
  const int error = errno;
  close(fd);
  if (rc != 0) return ErrnoStatus("fsync", path, error);
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Writes `content` to a new file `path` and fsyncs it.
absl::Status WriteFileDurably(const std::string& path, std::string_view content) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoStatus("create", path, errno);
  absl::Status status = WriteAll(fd, content, path);
  if (status.ok() && fsync(fd) != 0) status = ErrnoStatus("fsync", path, errno);
  close(fd);
  if (!status.ok()) unlink(path.c_str());
  return status;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoStatus("open", path, errno);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Entries of a directory (no "." and ".."); empty when it does not exist.
std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return names;
  while (const dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

// link(2), where an existing target (a re-run after a crash) is fine.
absl::Status LinkOrExists(const std::string& from, const std::string& to) {
  if (link(from.c_str(), to.c_str()) == 0 || errno == EEXIST) return absl::OkStatus();
  return ErrnoStatus(absl::StrCat("link ", from, " to"), to, errno);
}

std::string Rfc3339Now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

json EnvelopeJson(const std::string& id, const Envelope& envelope, uint64_t size,
                  const SpoolProvenance& provenance) {
  json params = json::object();
  const MailParameters& p = envelope.parameters;
  if (p.size) params["size"] = *p.size;
  if (p.body) {
    params["body"] = *p.body == BodyType::k7Bit       ? "7BIT"
                     : *p.body == BodyType::k8BitMime ? "8BITMIME"
                                                      : "BINARYMIME";
  }
  params["smtputf8"] = p.smtputf8;
  if (p.auth) params["auth"] = *p.auth;
  if (p.ret) params["ret"] = *p.ret == DsnRet::kFull ? "FULL" : "HDRS";
  if (p.envid) params["envid"] = *p.envid;
  json recipients = json::array();
  for (const EnvelopeRecipient& r : envelope.recipients) {
    if (r.disposition == Disposition::kReject) continue;
    recipients.push_back({{"address", PathAddress(r.path)},
                          {"path", FormatPath(r.path)},
                          {"routing_domain", r.routing_domain},
                          {"disposition", std::string(DispositionName(r.disposition))},
                          {"reason", r.reason}});
  }
  return json{{"version", 1},
              {"id", id},
              {"received", Rfc3339Now()},
              {"size", size},
              {"sender", PathAddress(envelope.sender)},
              {"sender_path", FormatPath(envelope.sender)},
              {"parameters", std::move(params)},
              {"client",
               {{"address", provenance.client_address},
                {"helo", provenance.helo},
                {"authenticated_as", provenance.authenticated_as},
                {"tls", provenance.tls}}},
              {"recipients", std::move(recipients)}};
}

std::string Dump(const json& j) {
  // Paths may hold UTF-8 (SMTPUTF8); anything invalid is replaced rather than thrown on.
  return j.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

json WithRecipients(const json& record, std::string_view disposition) {
  json out = record;
  json recipients = json::array();
  for (const json& r : record.value("recipients", json::array())) {
    if (r.value("disposition", "") == disposition) recipients.push_back(r);
  }
  out["recipients"] = std::move(recipients);
  return out;
}

std::string SanitizeUser(std::string_view local_part) {
  std::string user = absl::AsciiStrToLower(AsAbsl(local_part));
  for (char& c : user) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                    c == '+' || c == '-';
    if (!ok) c = '_';
  }
  if (user.empty() || user == "." || user == "..") user = "_" + user;
  return user;
}

// Links the committed queue entry `id` into every destination its record names; then
// removes the queue entry. Idempotent (Open() re-runs it after a crash).
absl::Status FanOut(const std::string& dir, const std::string& id, const json& record) {
  const std::string eml = absl::StrCat(dir, "/queue/", id, ".eml");
  const std::string env = absl::StrCat(dir, "/queue/", id, ".env");
  std::set<std::string> users;
  bool relay = false;
  bool ndr = false;
  for (const json& r : record.value("recipients", json::array())) {
    const std::string disposition = r.value("disposition", "");
    if (disposition == DispositionName(Disposition::kDeliverLocal)) {
      users.insert(r.value("user", std::string("_")));
    } else if (disposition == DispositionName(Disposition::kRelay)) {
      relay = true;
    } else if (disposition == DispositionName(Disposition::kNdr)) {
      ndr = true;
    }
  }
  for (const std::string& user : users) {
    const std::string base = absl::StrCat(dir, "/maildir/", user);
    bool created = access(base.c_str(), F_OK) != 0;
    for (const std::string& sub : {base, base + "/tmp", base + "/new", base + "/cur"}) {
      if (absl::Status s = MakeDir(sub); !s.ok()) return s;
    }
    if (created) {
      if (absl::Status s = FsyncPath(absl::StrCat(dir, "/maildir")); !s.ok()) return s;
      if (absl::Status s = FsyncPath(base); !s.ok()) return s;
    }
    if (absl::Status s = LinkOrExists(eml, absl::StrCat(base, "/new/", id)); !s.ok()) return s;
    if (absl::Status s = FsyncPath(base + "/new"); !s.ok()) return s;
  }
  for (const auto& [wanted, area] : {std::pair<bool, const char*>{relay, "outbound"},
                                     std::pair<bool, const char*>{ndr, "bounces"}}) {
    if (!wanted) continue;
    const std::string target = absl::StrCat(dir, "/", area, "/", id);
    if (absl::Status s = LinkOrExists(eml, target + ".eml"); !s.ok()) return s;
    // The .env is the "ready" marker: written in tmp/, renamed in after the .eml.
    const std::string temp = absl::StrCat(dir, "/tmp/", id, ".", area, ".env");
    const std::string_view disposition = std::string_view(area) == "outbound"
                                             ? DispositionName(Disposition::kRelay)
                                             : DispositionName(Disposition::kNdr);
    if (absl::Status s = WriteFileDurably(temp, Dump(WithRecipients(record, disposition)));
        !s.ok()) {
      return s;
    }
    if (rename(temp.c_str(), (target + ".env").c_str()) != 0) {
      const int error = errno;
      unlink(temp.c_str());
      return ErrnoStatus("rename to", target + ".env", error);
    }
    if (absl::Status s = FsyncPath(absl::StrCat(dir, "/", area)); !s.ok()) return s;
  }
  // Done: the commit record goes first, so a half-removed entry is never re-delivered.
  unlink(env.c_str());
  unlink(eml.c_str());
  return FsyncPath(absl::StrCat(dir, "/queue"));
}

absl::Status Recover(const std::string& dir, Spool::Recovery& recovery) {
  for (const std::string& name : ListDir(dir + "/tmp")) {
    const std::string path = absl::StrCat(dir, "/tmp/", name);
    if (unlink(path.c_str()) == 0) ++recovery.temp_files_removed;
  }
  std::map<std::string, std::pair<bool, bool>> entries;  // id → (eml, env)
  for (const std::string& name : ListDir(dir + "/queue")) {
    const size_t dot = name.rfind('.');
    if (dot == std::string::npos) continue;
    const std::string id = name.substr(0, dot);
    const std::string ext = name.substr(dot + 1);
    if (ext == "eml") entries[id].first = true;
    if (ext == "env") entries[id].second = true;
  }
  for (const auto& [id, halves] : entries) {
    const std::string eml = absl::StrCat(dir, "/queue/", id, ".eml");
    const std::string env = absl::StrCat(dir, "/queue/", id, ".env");
    if (halves.first && halves.second) {
      absl::StatusOr<std::string> text = ReadFile(env);
      if (text.ok()) {
        json record = json::parse(*text, nullptr, /*allow_exceptions=*/false);
        if (!record.is_discarded() && record.is_object()) {
          if (absl::Status s = FanOut(dir, id, record); !s.ok()) return s;
          ++recovery.queue_entries_completed;
          continue;
        }
      }
    }
    // Not committed (the rename of the .env never happened) or unreadable: drop it.
    if (halves.first && unlink(eml.c_str()) == 0) ++recovery.queue_files_removed;
    if (halves.second && unlink(env.c_str()) == 0) ++recovery.queue_files_removed;
  }
  return FsyncPath(dir + "/queue");
}

}  // namespace

std::string Spool::MaildirUser(const Path& path) {
  if (path.kind == Path::Kind::kPostmaster) return "postmaster";
  return SanitizeUser(path.mailbox.LocalPartContent());
}

absl::StatusOr<Spool> Spool::Open(const std::string& dir_in) {
  std::string dir = dir_in;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir.empty()) return absl::InvalidArgumentError("spool: no directory given");
  for (const char* sub : {"", "/tmp", "/queue", "/maildir", "/outbound", "/bounces"}) {
    if (absl::Status s = MakeDir(dir + sub); !s.ok()) return s;
  }
  auto state = std::make_shared<State>();
  state->dir = dir;
  const std::string lock = dir + "/lock";
  state->lock_fd = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (state->lock_fd < 0) return ErrnoStatus("open", lock, errno);
  if (flock(state->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "spool ", dir, " is in use by another smtpgate server (", lock, " is locked)"));
    }
    return ErrnoStatus("flock", lock, errno);
  }
  if (absl::Status s = Recover(dir, state->recovery); !s.ok()) return s;
  return Spool(std::move(state));
}

const std::string& Spool::dir() const { return state_->dir; }
const Spool::Recovery& Spool::recovery() const { return state_->recovery; }

absl::StatusOr<std::unique_ptr<SpoolWriter>> Spool::Begin() {
  // Maildir-style unique names: <seconds>.M<microseconds>P<pid>Q<counter>.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
    const std::string id =
        absl::StrCat(micros / 1'000'000, ".M", micros % 1'000'000, "P", getpid(), "Q",
                     state_->counter.fetch_add(1, std::memory_order_relaxed));
    const std::string path = absl::StrCat(state_->dir, "/tmp/", id, ".eml");
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd >= 0) return std::unique_ptr<SpoolWriter>(new SpoolWriter(state_, id, fd));
    if (errno != EEXIST) return ErrnoStatus("create", path, errno);
  }
  return absl::InternalError("spool: could not find a unique message name");
}

SpoolWriter::SpoolWriter(std::shared_ptr<Spool::State> state, std::string id, int fd)
    : state_(std::move(state)), id_(std::move(id)), fd_(fd) {}

SpoolWriter::~SpoolWriter() { Discard(); }

void SpoolWriter::Discard() {
  if (done_) return;
  done_ = true;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  unlink(absl::StrCat(state_->dir, "/tmp/", id_, ".eml").c_str());
}

absl::Status SpoolWriter::Append(std::string_view bytes) {
  if (done_) return absl::FailedPreconditionError("spool: message already finished");
  if (!error_.ok()) return error_;
  error_ = WriteAll(fd_, bytes, absl::StrCat(state_->dir, "/tmp/", id_, ".eml"));
  if (error_.ok()) size_ += bytes.size();
  return error_;
}

absl::StatusOr<std::string> SpoolWriter::Commit(const Envelope& envelope,
                                                const SpoolProvenance& provenance) {
  if (done_) return absl::FailedPreconditionError("spool: message already finished");
  if (!error_.ok()) {
    absl::Status error = error_;
    Discard();
    return error;
  }
  const std::string& dir = state_->dir;
  const std::string tmp_eml = absl::StrCat(dir, "/tmp/", id_, ".eml");
  const std::string tmp_env = absl::StrCat(dir, "/tmp/", id_, ".env");
  const std::string queue_eml = absl::StrCat(dir, "/queue/", id_, ".eml");
  const std::string queue_env = absl::StrCat(dir, "/queue/", id_, ".env");
  const auto fail = [&](absl::Status status) -> absl::Status {
    Discard();
    unlink(tmp_env.c_str());
    unlink(queue_env.c_str());  // first: without it the .eml is not committed
    unlink(queue_eml.c_str());
    return status;
  };
  if (fsync(fd_) != 0) return fail(ErrnoStatus("fsync", tmp_eml, errno));
  close(fd_);
  fd_ = -1;
  json record = EnvelopeJson(id_, envelope, size_, provenance);
  // The maildir name of each local recipient is decided once, here.
  size_t index = 0;
  for (const EnvelopeRecipient& r : envelope.recipients) {
    if (r.disposition == Disposition::kReject) continue;
    if (r.disposition == Disposition::kDeliverLocal) {
      record["recipients"][index]["user"] = Spool::MaildirUser(r.path);
    }
    ++index;
  }
  if (absl::Status s = WriteFileDurably(tmp_env, Dump(record)); !s.ok()) return fail(s);
  if (rename(tmp_eml.c_str(), queue_eml.c_str()) != 0) {
    return fail(ErrnoStatus("rename to", queue_eml, errno));
  }
  if (rename(tmp_env.c_str(), queue_env.c_str()) != 0) {
    return fail(ErrnoStatus("rename to", queue_env, errno));
  }
  if (absl::Status s = FsyncPath(dir + "/queue"); !s.ok()) return fail(s);
  done_ = true;  // committed: from here on the message exists
  // Fan-out. If it fails half way, the queue entry stays and the next Open() completes it:
  // the message is safe, so the commit still succeeds.
  if (absl::Status s = FanOut(dir, id_, record); !s.ok()) {
    std::fprintf(stderr,
                 "smtpgate spool: message %s is stored but not yet delivered (%s); "
                 "the next start completes it\n",
                 id_.c_str(), std::string(s.message()).c_str());
  }
  return id_;
}

absl::StatusOr<SpooledEnvelope> ReadSpooledEnvelope(const std::string& env_path) {
  absl::StatusOr<std::string> text = ReadFile(env_path);
  if (!text.ok()) return text.status();
  const json record = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded() || !record.is_object()) {
    return absl::DataLossError(absl::StrCat(env_path, ": not a JSON object"));
  }
  SpooledEnvelope out;
  out.id = record.value("id", "");
  out.sender = record.value("sender", "");
  out.sender_path = record.value("sender_path", "");
  out.size = record.value("size", uint64_t{0});
  out.received = record.value("received", "");
  const json client = record.value("client", json::object());
  out.client_address = client.value("address", "");
  out.authenticated_as = client.value("authenticated_as", "");
  for (const json& r : record.value("recipients", json::array())) {
    if (!r.is_object()) continue;
    out.recipients.push_back(SpooledRecipient{r.value("address", ""), r.value("path", ""),
                                              r.value("routing_domain", ""),
                                              r.value("disposition", ""), r.value("reason", "")});
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ListSpooled(const std::string& spool_dir,
                                                     std::string_view area) {
  const std::string path = absl::StrCat(spool_dir, "/", AsAbsl(area));
  if (access(path.c_str(), F_OK) != 0) return ErrnoStatus("open", path, errno);
  std::vector<std::string> ids;
  for (const std::string& name : ListDir(path)) {
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".env") == 0) {
      ids.push_back(name.substr(0, name.size() - 4));
    }
  }
  return ids;
}

}  // namespace smtpgate
