#!/usr/bin/env bash
#===- scripts/install-python.sh - install the flashgen Python package -------===#
#
# Builds libflashgen.so (scripts/build.sh) unless --library PATH names one
# (the GPU machine has no LLVM: carry a library built here), copies it into
# python/flashgen/_lib/ and pip-installs the package into the python3 on
# PATH (or $PYTHON), without build isolation or dependencies: nothing is
# downloaded. PyTorch, where present, is used as it is.
#   scripts/install-python.sh [--library PATH] [pip args, e.g. --user]
#
#===------------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FLASHGEN_BUILD_DIR:-$root/build}
python=${PYTHON:-python3}
lib=""
if [[ ${1:-} == --library ]]; then
  lib=$2
  shift 2
else
  bash "$root/scripts/build.sh"
  lib=$build/lib/libflashgen.so
fi
[[ -f $lib ]] || { echo "install-python: no library at $lib" >&2; exit 1; }
mkdir -p "$root/python/flashgen/_lib"
cp "$lib" "$root/python/flashgen/_lib/libflashgen.so"
"$python" -m pip install --no-build-isolation --no-deps --no-index --disable-pip-version-check \
  -q "$@" "$root/python"
cd /tmp && "$python" -c "import flashgen, sys; print('flashgen', flashgen.__version__, 'installed for', sys.executable)"
