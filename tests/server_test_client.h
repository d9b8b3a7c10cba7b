// A tiny blocking SMTP client for the server tests (independent of harness/net/smtp_client):
// its own io_context, every operation an async op run with a deadline. Replies are framed
// by the core's ReplyReader. Also: a temporary directory and file helpers.
#ifndef SMTPGATE_TESTS_SERVER_TEST_CLIENT_H_
#define SMTPGATE_TESTS_SERVER_TEST_CLIENT_H_

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "asio/connect.hpp"
#include "asio/io_context.hpp"
#include "asio/ip/tcp.hpp"
#include "asio/ssl/context.hpp"
#include "asio/ssl/stream.hpp"
#include "asio/write.hpp"
#include "harness/core/reply.h"
#include "harness/core/sasl.h"

namespace smtpgate::testing {

using std::chrono::milliseconds;

class TestClient {
 public:
  static std::unique_ptr<TestClient> Connect(const asio::ip::tcp::endpoint& endpoint,
                                             milliseconds timeout = milliseconds(5000)) {
    auto client = std::unique_ptr<TestClient>(new TestClient());
    asio::error_code result = asio::error::would_block;
    client->socket_.async_connect(endpoint, [&](const asio::error_code& ec) { result = ec; });
    if (!client->RunUntil(timeout, [&] { return result != asio::error::would_block; }) || result) {
      return nullptr;
    }
    return client;
  }

  // The next complete reply; nullopt on timeout, close or a malformed reply.
  std::optional<Reply> Read(milliseconds timeout = milliseconds(10000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (std::optional<absl::StatusOr<Reply>> next = reader_.Next()) {
        if (!next->ok()) return std::nullopt;
        return **next;
      }
      if (closed_) return std::nullopt;
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !ReadSome(left)) return std::nullopt;
    }
  }
  int Code(milliseconds timeout = milliseconds(10000)) {
    std::optional<Reply> reply = Read(timeout);
    return reply ? reply->code : 0;
  }

  bool Send(std::string_view bytes, milliseconds timeout = milliseconds(10000)) {
    asio::error_code result = asio::error::would_block;
    auto done = [&](const asio::error_code& ec, size_t) { result = ec; };
    if (tls_) {
      asio::async_write(*tls_, asio::buffer(bytes.data(), bytes.size()), done);
    } else {
      asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), done);
    }
    return RunUntil(timeout, [&] { return result != asio::error::would_block; }) && !result;
  }
  bool Line(std::string_view line) { return Send(std::string(line) + "\r\n"); }
  // Sends a line and returns the code of its one reply.
  int Cmd(std::string_view line) { return Line(line) ? Code() : 0; }

  bool StartTls(milliseconds timeout = milliseconds(10000)) {
    tls_context_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    tls_context_->set_verify_mode(asio::ssl::verify_none);
    tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_context_);
    asio::error_code result = asio::error::would_block;
    tls_->async_handshake(asio::ssl::stream_base::client,
                          [&](const asio::error_code& ec) { result = ec; });
    return RunUntil(timeout, [&] { return result != asio::error::would_block; }) && !result;
  }

  // True once the server has closed the connection (waits up to `wait` for it).
  bool Closed(milliseconds wait = milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (!closed_) {
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !ReadSome(left)) break;
    }
    return closed_;
  }

  void Close() {
    asio::error_code ec;
    socket_.close(ec);
  }
  asio::ip::tcp::socket& socket() { return socket_; }

  static std::string PlainAuth(std::string_view user, std::string_view password) {
    std::string message;
    message.push_back('\0');
    message.append(user);
    message.push_back('\0');
    message.append(password);
    return "AUTH PLAIN " + EncodeBase64(message);
  }

 private:
  TestClient() : socket_(io_), reader_(ReplyReaderOptions{ReadMode::kStrict, 4096, 256}) {}

  template <typename Done>
  bool RunUntil(milliseconds timeout, Done done) {
    io_.restart();
    io_.run_for(timeout);
    if (done()) return true;
    asio::error_code ec;
    socket_.cancel(ec);  // the operation completes with operation_aborted
    io_.restart();
    io_.run();
    return false;
  }

  // One read; false on timeout. EOF/reset set closed_.
  bool ReadSome(milliseconds timeout) {
    char buffer[16384];
    asio::error_code result = asio::error::would_block;
    size_t got = 0;
    auto done = [&](const asio::error_code& ec, size_t n) {
      result = ec;
      got = n;
    };
    if (tls_) {
      tls_->async_read_some(asio::buffer(buffer), done);
    } else {
      socket_.async_read_some(asio::buffer(buffer), done);
    }
    if (!RunUntil(timeout, [&] { return result != asio::error::would_block; })) return false;
    if (got > 0) reader_.Feed(std::string_view(buffer, got));
    if (result) closed_ = true;
    return true;
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  std::unique_ptr<asio::ssl::context> tls_context_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  ReplyReader reader_;
  bool closed_ = false;
};

// A temporary directory, removed (recursively) at the end of the scope.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TEST_TMPDIR");
    if (base == nullptr || *base == '\0') base = std::getenv("TMPDIR");
    path_ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/smtpgate-test-XXXXXX";
    if (mkdtemp(path_.data()) == nullptr) path_.clear();
  }
  ~TempDir() {
    if (!path_.empty()) RemoveTree(path_);
  }
  const std::string& path() const { return path_; }
  std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }

  static void RemoveTree(const std::string& path) {
    if (DIR* dir = opendir(path.c_str())) {
      while (const dirent* entry = readdir(dir)) {
        const std::string name = entry->d_name;
        if (name == "." || name == "..") continue;
        const std::string child = path + "/" + name;
        struct stat st;
        if (lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
          RemoveTree(child);
        } else {
          unlink(child.c_str());
        }
      }
      closedir(dir);
    }
    rmdir(path.c_str());
  }

 private:
  std::string path_;
};

inline std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline bool WriteFile(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return static_cast<bool>(out);
}

// Names in a directory, sorted (empty if it does not exist).
inline std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> names;
  if (DIR* dir = opendir(path.c_str())) {
    while (const dirent* entry = readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Every regular file under `path`, as paths relative to it.
inline void ListFilesRecursive(const std::string& root, const std::string& relative,
                               std::vector<std::string>* out) {
  const std::string path = relative.empty() ? root : root + "/" + relative;
  for (const std::string& name : ListDir(path)) {
    const std::string child = relative.empty() ? name : relative + "/" + name;
    struct stat st;
    if (lstat((root + "/" + child).c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      ListFilesRecursive(root, child, out);
    } else {
      out->push_back(child);
    }
  }
}

// DATA dot-stuffing of a body that ends with CRLF (or is empty), plus the end mark.
inline std::string DotStuff(std::string_view body) {
  std::string out;
  bool line_start = true;
  for (char c : body) {
    if (line_start && c == '.') out.push_back('.');
    out.push_back(c);
    line_start = c == '\n';
  }
  out += ".\r\n";
  return out;
}

}  // namespace smtpgate::testing

#endif  // SMTPGATE_TESTS_SERVER_TEST_CLIENT_H_
