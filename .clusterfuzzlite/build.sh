#!/bin/bash -eu
# ClusterFuzzLite uses the OSS-Fuzz build unchanged.
exec bash "$SRC/smtpgate/fuzzers/oss-fuzz/build.sh"
