#!/usr/bin/env bash
#===- scripts/device-prep.sh - binaries for the lent GPU machine ------------===#
#
# The GPU machine has CUDA and PyTorch but no LLVM/MLIR: build here, strip the
# binaries into .carry/ (ignored by git; add "/.carry/" to .git/info/exclude)
# and pass `carry: [".carry"]` to the device tool. Then run there:
#   bash bench/device-run.sh [tests|bench|all]
# The carry limit is 64 MiB with the tree (~11 MB): .carry is ~62 MB, so
# FLASHGEN_CARRY_PACK=1 also packs it, with .carry-ab if present, into
# .carry-pack/bins.tar.xz (xz: ~10 MB for .carry, ~25 MB with three A/B
# binaries); carry ".carry-pack" and start the command there with
#   tar xJf .carry-pack/bins.tar.xz && ...
#
#===------------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FLASHGEN_BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh"
mkdir -p "$root/.carry"
# --git-path: in a linked worktree .git is a file, not a directory.
exclude=$(git -C "$root" rev-parse --git-path info/exclude)
[[ $exclude == /* ]] || exclude=$root/$exclude
mkdir -p "$(dirname "$exclude")"
grep -qx "/.carry/" "$exclude" 2>/dev/null || echo "/.carry/" >> "$exclude"
for b in flashgen flashgen-bench flashgen-gpu-tests flashgen-jit-example flashgen-capi-test; do
  strip -o "$root/.carry/$b" "$build/bin/$b"
done
# The C API library the Python package loads (scripts/install-python.sh
# --library .carry/libflashgen.so there).
strip -o "$root/.carry/libflashgen.so" "$build/lib/libflashgen.so"
du -sh "$root/.carry"
if [[ ${FLASHGEN_CARRY_PACK:-0} == 1 ]]; then
  mkdir -p "$root/.carry-pack"
  grep -qx "/.carry-pack/" "$exclude" 2>/dev/null || echo "/.carry-pack/" >> "$exclude"
  packed=(.carry)
  [[ -d $root/.carry-ab ]] && packed+=(.carry-ab)
  tar -C "$root" -cf - "${packed[@]}" | xz -T2 -6 > "$root/.carry-pack/bins.tar.xz"
  du -sh "$root/.carry-pack/bins.tar.xz"
fi
