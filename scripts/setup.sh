#!/usr/bin/env bash
#===- scripts/setup.sh - install what flashgen needs to build --------------===#
#
# Installs the Debian packages flashgen builds against (LLVM/MLIR 22 static
# libraries, lit/FileCheck, fmt, GoogleTest, zstd for the static link) when
# they are missing. Safe to run any number of times: it only calls apt-get
# when a package is absent. The CUDA toolkit (NVRTC headers and library) is
# expected at /usr/local/cuda, as on the build machines; CUDA_HOME overrides.
#
#===------------------------------------------------------------------------===#
set -euo pipefail

PACKAGES=(
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libfmt-dev libzstd-dev zlib1g-dev googletest libgtest-dev libsqlite3-dev
  cmake ninja-build g++ python3
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all packages present"
fi

# pytest for the Python package's tests, into the python3 that CMake finds
# (the one on PATH), from PyPI when it lacks it.
if ! python3 -c "import pytest" 2>/dev/null; then
  echo "setup: installing pytest for $(command -v python3)"
  python3 -m pip install -q --disable-pip-version-check pytest
fi

CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
if [[ ! -f "$CUDA_HOME/include/nvrtc.h" ]]; then
  echo "setup: warning: no CUDA toolkit at $CUDA_HOME (nvrtc.h missing);" \
       "the runtime needs NVRTC — set CUDA_HOME" >&2
fi
