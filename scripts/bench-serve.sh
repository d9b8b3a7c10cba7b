#!/bin/sh
# bench-serve.sh [benchmark flags...]
# Builds bench/serve_bench with the release preset and compares the reference server's I/O
# models (one io_context per thread vs one shared io_context with strands): SMTP round trips
# per second over loopback, median and stddev of 5 runs. Figures are in harness/net/server.cc.
set -eu
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target serve_bench -j"${JOBS:-2}"
exec build/release/bench/serve_bench --benchmark_min_time=1 --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true "$@"
