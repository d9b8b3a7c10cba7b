#!/usr/bin/env bash
# Runs fuzzers/oss-fuzz/build.sh in a simulated OSS-Fuzz build environment on this machine
# and then checks $OUT the way OSS-Fuzz's check_build does, for libFuzzer + ASan and
# libFuzzer + UBSan:
#   - $SRC, $OUT, $WORK, $CC, $CXX, $CFLAGS, $CXXFLAGS, $LIB_FUZZING_ENGINE, $SANITIZER,
#     $FUZZING_ENGINE, $ARCHITECTURE set as OSS-Fuzz's base-builder sets them (the flags are
#     its SANITIZER_FLAGS_<sanitizer> plus -fsanitize=fuzzer-no-link), build.sh run with
#     `bash -eux` from $SRC/smtpgate;
#   - every fuzz target in $OUT is an executable with its .options, the .dict its options
#     name, and a _seed_corpus.zip; it carries the sanitizer's runtime (ASan: __asan_init;
#     UBSan: __ubsan_handle_*, no ASan); it runs every input of its seed corpus without a
#     crash, and fuzzes for a few seconds without a finding.
# Differences from the real thing: Debian's clang-14 and libstdc++ (OSS-Fuzz uses its own
# clang with libc++, which Debian's abseil is not built for), Debian's abseil instead of the
# source build, and no Docker (the Dockerfiles are not built here).
#   scripts/oss-fuzz-check.sh [address|undefined|all]     (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

which=${1:-all}
case "$which" in
  address) sanitizers=(address) ;;
  undefined) sanitizers=(undefined) ;;
  all) sanitizers=(address undefined) ;;
  *) echo "oss-fuzz-check.sh: the sanitizer is address, undefined or all, not '$which'" >&2; exit 2 ;;
esac
bash scripts/bootstrap.sh >/dev/null
. scripts/lib/apt.sh
ensure_packages oss-fuzz-check zip unzip binutils >/dev/null

common="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
flags_address="-fsanitize=address -fsanitize-address-use-after-scope"
ubsan_checks="array-bounds,bool,builtin,enum,float-divide-by-zero,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr"
flags_undefined="-fsanitize=${ubsan_checks},unsigned-integer-overflow -fno-sanitize-recover=${ubsan_checks}"

status=0
for sanitizer in "${sanitizers[@]}"; do
  base=$repo/build/oss-fuzz-check/$sanitizer
  rm -rf "$base"
  mkdir -p "$base/src" "$base/out" "$base/work"
  # A copy of the tree as OSS-Fuzz's image has it (COPY . $SRC/smtpgate), builds left out.
  mkdir -p "$base/src/smtpgate"
  tar -C "$repo" --exclude=./build --exclude=./.git --exclude=./reports/out -cf - . |
    tar -C "$base/src/smtpgate" -xf -
  cp fuzzers/oss-fuzz/build.sh "$base/src/build.sh"
  flags_var=flags_$sanitizer
  start=$SECONDS
  if ! (cd "$base/src/smtpgate" &&
        env SRC="$base/src" OUT="$base/out" WORK="$base/work" CC=clang-14 CXX=clang++-14 \
          SANITIZER="$sanitizer" FUZZING_ENGINE=libfuzzer ARCHITECTURE=x86_64 \
          CFLAGS="$common ${!flags_var} -fsanitize=fuzzer-no-link" \
          CXXFLAGS="$common ${!flags_var} -fsanitize=fuzzer-no-link" \
          LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
          bash -eux "$base/src/build.sh") >"$base/build.log" 2>&1; then
    echo "oss-fuzz-check ($sanitizer): build.sh failed; the end of $base/build.log:" >&2
    tail -n 20 "$base/build.log" >&2
    status=1
    continue
  fi
  echo "oss-fuzz-check ($sanitizer): build.sh in $((SECONDS - start)) s; checking $base/out"
  # As OSS-Fuzz's runner: halt on the first report, unsigned overflow is not one.
  export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:allocator_may_return_null=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:silence_unsigned_overflow=1
  printf '  %-14s %-8s %-8s %-9s %7s %-9s %s\n' target options dict runtime seeds "fuzz 5 s" result
  targets=0
  for source in fuzzers/fuzz_*.cc; do
    name=$(basename "$source" .cc)
    bin=$base/out/$name
    targets=$((targets + 1))
    problems=()
    [ -x "$bin" ] || problems+=("no executable")
    options=missing; dict=missing
    if [ -f "$bin.options" ]; then
      options=ok
      named=$(sed -n 's/^dict *= *//p' "$bin.options")
      [ -n "$named" ] && [ -s "$base/out/$named" ] && dict=ok
    fi
    [ "$options" = ok ] || problems+=("no $name.options")
    [ "$dict" = ok ] || problems+=("the dictionary its options name is not in \$OUT")
    runtime=-
    if [ -x "$bin" ]; then
      symbols=$(nm "$bin" 2>/dev/null || true)
      has_asan=$(grep -c ' __asan_init' <<<"$symbols" || true)
      has_ubsan=$(grep -c ' __ubsan_handle_' <<<"$symbols" || true)
      if [ "$sanitizer" = address ]; then
        [ "$has_asan" -gt 0 ] && runtime=asan || problems+=("no ASan runtime")
      else
        [ "$has_ubsan" -gt 0 ] && [ "$has_asan" -eq 0 ] && runtime=ubsan || problems+=("not a UBSan-only build")
      fi
    fi
    seeds=-
    fuzz=-
    if [ -f "$base/out/${name}_seed_corpus.zip" ] && [ -x "$bin" ]; then
      corpus=$base/work/corpus-$name
      rm -rf "$corpus"; mkdir -p "$corpus"
      unzip -q "$base/out/${name}_seed_corpus.zip" -d "$corpus"
      seeds=$(find "$corpus" -type f | wc -l)
      if ! (cd "$base/out" && "$bin" -runs=0 "$corpus") >"$base/work/$name-seeds.log" 2>&1; then
        problems+=("a seed crashes (see $base/work/$name-seeds.log)")
      fi
      mkdir -p "$base/work/fuzz-$name"
      if (cd "$base/out" && "$bin" -max_total_time=5 -dict="$name.dict" -max_len=4096 \
            -artifact_prefix="$base/work/$name-" "$base/work/fuzz-$name" "$corpus") \
            >"$base/work/$name-fuzz.log" 2>&1; then
        fuzz=ok
      else
        fuzz=FINDING
        problems+=("a finding in 5 s (see $base/work/$name-fuzz.log)")
      fi
    else
      problems+=("no ${name}_seed_corpus.zip")
    fi
    result=ok
    if [ ${#problems[@]} -gt 0 ]; then
      result=$(IFS=';'; echo "FAIL: ${problems[*]}")
      status=1
    fi
    printf '  %-14s %-8s %-8s %-9s %7s %-9s %s\n' "$name" "$options" "$dict" "$runtime" "$seeds" "$fuzz" "$result"
  done
  extra=$(find "$base/out" -maxdepth 1 -type f -perm -u+x -name 'fuzz_*' | wc -l)
  [ "$extra" -eq "$targets" ] || { echo "  \$OUT has $extra fuzz executables, the tree $targets" >&2; status=1; }
done
exit $status
