# smtpgate_server: `smtpgate serve` (the Asio reference server), its TOML config, the durable
# spool and the server-side TLS context.
add_library(smtpgate_server
  connection.cc
  serve_command.cc
  server.cc
  server_config.cc
  spool.cc
  tls_server_context.cc
)
target_link_libraries(smtpgate_server PUBLIC smtpgate_session smtpgate_client smtpgate_asio
                                             smtpgate_toml_reader
                                             nlohmann_json::nlohmann_json)
smtpgate_warnings(smtpgate_server)

# bench/serve_bench.cc (globbed by bench/CMakeLists.txt) measures the server: link it here,
# once every directory has been processed.
function(_smtpgate_link_serve_bench)
  if(TARGET serve_bench)
    target_link_libraries(serve_bench PRIVATE smtpgate_server)
  endif()
endfunction()
cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL _smtpgate_link_serve_bench)
