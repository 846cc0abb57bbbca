#!/usr/bin/env bash
#===- scripts/run-fuzzers.sh - build and run the libFuzzer targets ---------===#
#
# Builds tests/fuzz/ with clang (libFuzzer + ASan + UBSan on flashgen's own
# code) in $FLASHGEN_FUZZ_BUILD_DIR (default build-fuzz/) and runs each
# target for RUNS executions (default 1000000), seeded from examples/*.attn
# and the lit tests' .attn inputs (spec fuzzer) or nothing (argument fuzzer).
#   scripts/run-fuzzers.sh [RUNS] [spec|launch-args|unit-tests ...]
# `unit-tests` builds the frontend, dialect and runtime GoogleTest suites
# the same way and runs them under the sanitizers (the runtime's NVRTC
# tests excluded: NVRTC is not instrumented and takes minutes).
# A crash stops that target, leaves its input as
# $build/artifacts/<target>/crash-*, and the script exits 1. The corpora
# grow in $build/corpus/<target> and are reused by the next run. Inputs that
# found bugs are kept as regression tests (tests/lit/Fuzz/, the unit tests).
#
#===------------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FLASHGEN_FUZZ_BUILD_DIR:-$root/build-fuzz}
runs=${1:-1000000}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(spec launch-args)

bash "$root/scripts/setup.sh"
if ! command -v clang++-14 >/dev/null || ! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "run-fuzzers: installing clang-14 and its runtimes (libFuzzer, sanitizers)"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    clang-14 libclang-rt-14-dev >/dev/null
fi
if [[ ! -f "$build/build.ninja" ]]; then
  san="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DFLASHGEN_FUZZ=ON \
    "-DCMAKE_C_FLAGS=$san" "-DCMAKE_CXX_FLAGS=$san -fno-omit-frame-pointer" \
    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined"
fi
binaries=()
for t in "${targets[@]}"; do
  if [[ $t == unit-tests ]]; then
    binaries+=(flashgen-frontend-tests flashgen-dialect-tests flashgen-runtime-tests)
  else
    binaries+=("flashgen-$t-fuzzer")
  fi
done
ninja -C "$build" -j"$(nproc)" "${binaries[@]}"

# LLVM's allocators poison and unpoison memory by hand in code inlined from
# its headers; with Debian's uninstrumented LLVM/MLIR libraries that gives
# false use-after-poison reports, so manual poisoning is ignored (ASan's own
# redzones, use-after-free and leak checks stay on).
export ASAN_OPTIONS=detect_leaks=1:allow_user_poisoning=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
rc=0
for t in "${targets[@]}"; do
  if [[ $t == unit-tests ]]; then
    for suite in frontend dialect runtime; do
      filter=""
      [[ $suite == runtime ]] && filter="--gtest_filter=-*Nvrtc*:*TunerCandidates*"
      echo "run-fuzzers: flashgen-$suite-tests under ASan + UBSan"
      "$build/bin/flashgen-$suite-tests" $filter > "$build/$suite-tests.log" 2>&1 ||
        { echo "run-fuzzers: $suite tests FAILED (see $build/$suite-tests.log)"; rc=1; }
      grep -E "^\[  (PASSED|FAILED)" "$build/$suite-tests.log" || true
    done
    continue
  fi
  corpus=$build/corpus/$t
  art=$build/artifacts/$t/
  mkdir -p "$corpus" "$art"
  extra=()
  if [[ $t == spec ]]; then
    seeds=$build/seeds/spec
    mkdir -p "$seeds"
    cp "$root"/examples/*.attn "$seeds"/
    find "$root/tests/lit" -name '*.attn' -exec cp {} "$seeds"/ \;
    extra=("-dict=$root/tests/fuzz/attn.dict" "$seeds")
  fi
  echo "run-fuzzers: $t, $runs runs"
  status=0
  "$build/bin/flashgen-$t-fuzzer" -runs="$runs" -max_len=4096 -timeout=20 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$art" \
    "$corpus" "${extra[@]}" > "$build/$t.log" 2>&1 || status=$?
  grep -E "^Done|ERROR|SUMMARY|stat::" "$build/$t.log" || true
  ((status == 0)) || { echo "run-fuzzers: $t FAILED (see $build/$t.log, $art)"; rc=1; }
done
exit $rc
