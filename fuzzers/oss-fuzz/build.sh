#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build of the smtpgate fuzz targets (also run on a plain Debian
# machine by scripts/oss-fuzz-check.sh and scripts/afl-check.sh). $CC, $CXX, $CFLAGS,
# $CXXFLAGS and $LIB_FUZZING_ENGINE come from the environment, as OSS-Fuzz sets them;
# CMakeLists.txt switches to them when LIB_FUZZING_ENGINE is set (only the fuzz targets are
# built, linked with $LIB_FUZZING_ENGINE). For each fuzzers/fuzz_*.cc, $OUT gets the binary,
# <target>.options, <target>.dict and <target>_seed_corpus.zip.
src=$SRC/smtpgate
prefix=
if [ -d "$SRC/abseil-cpp" ]; then
  # The OSS-Fuzz image (Dockerfile): abseil from source, with this build's compiler and flags.
  prefix=$WORK/deps
  cmake -S "$SRC/abseil-cpp" -B "$WORK/abseil-build" -G Ninja \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_STANDARD=20 -DABSL_PROPAGATE_CXX_STD=ON -DABSL_BUILD_TESTING=OFF \
    -DCMAKE_INSTALL_PREFIX="$prefix"
  cmake --build "$WORK/abseil-build"
  cmake --install "$WORK/abseil-build" >/dev/null
fi
cmake -S "$src" -B "$WORK/build" -G Ninja \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_BUILD_TYPE=Release \
  ${prefix:+-DCMAKE_PREFIX_PATH="$prefix"}
cmake --build "$WORK/build" -j "$(nproc)"
for source in "$src"/fuzzers/fuzz_*.cc; do
  name=$(basename "$source" .cc)
  cp "$WORK/build/fuzzers/$name" "$OUT/"
  cp "$src/fuzzers/smtp.dict" "$OUT/$name.dict"
  # The options name the dictionary next to the binary.
  sed "s/^dict *= *.*/dict = $name.dict/" "$src/fuzzers/$name.options" >"$OUT/$name.options"
  rm -f "$OUT/${name}_seed_corpus.zip"
  (cd "$src/corpus/$name" && zip -q -r "$OUT/${name}_seed_corpus.zip" .)
done
