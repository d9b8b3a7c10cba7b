#include "harness/conformance/variables.h"

#include <random>
#include <utility>

#include "absl/strings/str_format.h"

namespace smtpgate::conformance {

const NameSet& StandardVariableNames() {
  static const auto* const names = new NameSet{
      "helo",
      "server_name",
      "server_ip_literal",
      "local_domain",
      "local_user",
      "remote_domain",
      "relay_domain",
      "authorized_user",
      "authorized_password",
      "unauthorized_user",
      "unauthorized_password",
      "tarpit_seconds",
      "idle_timeout_seconds",
  };
  return *names;
}

Variables DemoVariables(int tarpit_seconds) {
  return Variables{
      {"helo", "client.test"},
      {"server_name", "mx.example.test"},
      {"server_ip_literal", "[127.0.0.1]"},
      {"local_domain", "example.test"},
      {"local_user", "alice"},
      {"remote_domain", "remote.invalid"},
      {"relay_domain", "remote.invalid"},
      {"authorized_user", "relayer"},
      {"authorized_password", "relayer-pass"},
      {"unauthorized_user", "guest"},
      {"unauthorized_password", "guest-pass"},
      {"tarpit_seconds", std::to_string(tarpit_seconds)},
      {"idle_timeout_seconds", "0"},
  };
}

std::string MakeToken() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  const uint32_t value = static_cast<uint32_t>(generator());
  return absl::StrFormat("sgtok-%08x", value);
}

Variables WithToken(Variables variables, std::string_view token) {
  variables["token"] = std::string(token);
  return variables;
}

NameSet UsableNames(const Variables& variables) {
  NameSet names;
  for (const auto& [name, value] : variables) names.insert(name);
  names.insert("token");
  return names;
}

}  // namespace smtpgate::conformance
