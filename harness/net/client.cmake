# smtpgate_client: the blocking Asio SMTP client (STARTTLS), the sink (delivery oracle) and
# its `smtpgate sink` command, and the outbound relay agent (spool → loopback smarthost).
add_library(smtpgate_client
  relay_agent.cc
  sink.cc
  sink_command.cc
  smtp_client.cc
)
target_link_libraries(smtpgate_client PUBLIC smtpgate_core smtpgate_asio absl::time
                                             nlohmann_json::nlohmann_json)
smtpgate_warnings(smtpgate_client)
