#!/usr/bin/env bash
#===- scripts/run-tests.sh - set up, build and run every test ---------------===#
#
# Unit tests (GoogleTest), lit/FileCheck tests and the mutation test, through
# ctest. GPU tests skip where no GPU is present; the summary says how many.
#
#===------------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FLASHGEN_BUILD_DIR:-$root/build}

bash "$root/scripts/build.sh"
cd "$build"
ctest --output-on-failure -j"$(nproc)"
