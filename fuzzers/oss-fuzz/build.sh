#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build: $CC, $CXX, $CXXFLAGS and $LIB_FUZZING_ENGINE come from
# the environment; CMakeLists.txt switches to them when LIB_FUZZING_ENGINE is set.
cmake -S "$SRC/smtpgate" -B "$WORK/build" -G Ninja \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_BUILD_TYPE=Release
cmake --build "$WORK/build"
for target in "$WORK"/build/fuzzers/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  cp "$target" "$OUT/"
  cp "$SRC/smtpgate/fuzzers/smtp.dict" "$OUT/$name.dict"
  cp "$SRC/smtpgate/fuzzers/smtp.dict" "$OUT/smtp.dict"
  [ -f "$SRC/smtpgate/fuzzers/$name.options" ] && cp "$SRC/smtpgate/fuzzers/$name.options" "$OUT/"
  (cd "$SRC/smtpgate/corpus/$name" && zip -q -r "$OUT/${name}_seed_corpus.zip" .)
done
