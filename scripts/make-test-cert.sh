#!/bin/sh
# make-test-cert.sh DIR [CN]
# A self-signed certificate and key for the reference server's TLS tests:
# DIR/cert.pem and DIR/key.pem, EC P-256, CN and subjectAltName mx.example.test (or CN),
# valid for 30 days. Non-interactive; needs the openssl command.
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 DIR [COMMON_NAME]" >&2
  exit 2
fi
dir=$1
cn=${2:-mx.example.test}
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 -nodes \
  -days 30 -subj "/CN=$cn" -addext "subjectAltName=DNS:$cn" \
  -addext "basicConstraints=critical,CA:FALSE" \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
echo "$dir/cert.pem"
echo "$dir/key.pem"
