#!/usr/bin/env bash
#===- scripts/install-python.sh - install the flashgen Python package -------===#
#
# Builds libflashgen.so (scripts/build.sh) unless --library PATH names one
# (the GPU machine has no LLVM: carry a library built here), packs it with
# python/flashgen into a wheel (scripts/make-wheel.py) and pip-installs that
# into the python3 on PATH (or $PYTHON) without dependencies: nothing is
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
"$python" -m pip --version >/dev/null 2>&1 ||
  { echo "install-python: $python has no pip (Debian: apt-get install python3-pip)" >&2; exit 1; }
# The source tree's package gets the library too, so that it works in place
# (PYTHONPATH=python, or tests run from python/).
mkdir -p "$root/python/flashgen/_lib"
cp "$lib" "$root/python/flashgen/_lib/libflashgen.so"
# A wheel made here (scripts/make-wheel.py: stdlib only) needs nothing but
# pip to install: no setuptools, no wheel package, no network.
dist=$(mktemp -d)
trap 'rm -rf "$dist"' EXIT
whl=$("$python" "$root/scripts/make-wheel.py" --library "$lib" --out "$dist")
"$python" -m pip install --no-deps --no-index --force-reinstall --disable-pip-version-check \
  -q "$@" "$whl"
cd /tmp && "$python" -c "import flashgen, sys; print('flashgen', flashgen.__version__, 'installed for', sys.executable, 'from', flashgen.__file__)"
