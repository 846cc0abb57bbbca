#!/usr/bin/env bash
#===- scripts/ab-build.sh - flashgen binaries of several git refs -----------===#
#
# For kernel A/B experiments on the lent GPU: builds `flashgen` at each git
# ref (incrementally, in the one build directory) and strips it into
# .carry-ab/flashgen-<ref with / replaced by _>. The working tree must be
# clean; the current branch is checked out again at the end. Then carry
# ".carry-ab" and run bench/ab-run.sh there.
#   scripts/ab-build.sh main wip/bwd-wgmma-descriptors
#
#===------------------------------------------------------------------------===#
set -euo pipefail
# Checking out a ref may remove this very file (refs older than it): run
# from a copy.
if [[ -z ${AB_BUILD_ROOT:-} ]]; then
  AB_BUILD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  copy=$(mktemp)
  cp "${BASH_SOURCE[0]}" "$copy"
  AB_BUILD_ROOT=$AB_BUILD_ROOT exec bash "$copy" "$@"
fi
root=$AB_BUILD_ROOT
build=${FLASHGEN_BUILD_DIR:-$root/build}
cd "$root"
if [[ $# -eq 0 ]]; then
  echo "usage: scripts/ab-build.sh REF [REF...]" >&2
  exit 2
fi
if [[ -n $(git status --porcelain --untracked-files=no) ]]; then
  echo "error: the working tree has changes; commit or stash them first" >&2
  exit 1
fi
start=$(git rev-parse --abbrev-ref HEAD)
[[ $start == HEAD ]] && start=$(git rev-parse HEAD)
trap 'git checkout -q "$start" && ninja -C "$build" flashgen >/dev/null' EXIT
mkdir -p .carry-ab
# --git-path: in a linked worktree .git is a file, not a directory.
exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
grep -qx "/.carry-ab/" "$exclude" 2>/dev/null || echo "/.carry-ab/" >> "$exclude"
for ref in "$@"; do
  git checkout -q --detach "$ref"
  ninja -C "$build" flashgen >/dev/null
  out=.carry-ab/flashgen-${ref//\//_}
  strip -o "$out" "$build/bin/flashgen"
  echo "$out <- $ref ($(git rev-parse --short HEAD))"
done
du -sh .carry-ab
