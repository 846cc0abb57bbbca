#!/usr/bin/env bash
#===- scripts/build.sh - set up, configure and build flashgen ---------------===#
#
# Installs missing packages (scripts/setup.sh), configures with CMake + Ninja
# into $FLASHGEN_BUILD_DIR (default: build/) and builds everything.
#
#===------------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FLASHGEN_BUILD_DIR:-$root/build}

bash "$root/scripts/setup.sh"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
ninja -C "$build" -j"$(nproc)"
