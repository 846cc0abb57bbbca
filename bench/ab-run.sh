#!/usr/bin/env bash
#===- bench/ab-run.sh - time several flashgen binaries side by side ---------===#
#
# On the GPU machine, with .carry-ab from scripts/ab-build.sh carried. Each
# binary times each spec and shape twice, interleaved (machines differ by a
# few percent between calls, so only compare within one call):
#   bash bench/ab-run.sh [--backward] SPEC.attn B,H,N [B,H,N ...]
# Prints one line per (round, shape, binary): the median time. AB_BINS="main wip_x"
# limits the run to those binaries (names after flashgen-); AB_TIMEOUT (seconds,
# default 120) bounds each run, so that a hanging kernel costs little.
#
#===------------------------------------------------------------------------===#
set -uo pipefail
mode=()
if [[ ${1:-} == --backward ]]; then
  mode=(--backward)
  shift
fi
if [[ $# -lt 2 ]]; then
  echo "usage: bench/ab-run.sh [--backward] SPEC.attn B,H,N [B,H,N ...]" >&2
  exit 2
fi
spec=$1
shift
bins=(.carry-ab/flashgen-*)
if [[ -n ${AB_BINS:-} ]]; then
  bins=()
  for name in $AB_BINS; do bins+=(".carry-ab/flashgen-$name"); done
fi
for round in 1 2; do
  for shape in "$@"; do
    for bin in "${bins[@]}"; do
      t=$(timeout "${AB_TIMEOUT:-120}" "$bin" run "$spec" "${mode[@]}" --no-check --reps 20 --shape "$shape" 2>&1 |
            grep -o "$([[ ${#mode[@]} -gt 0 ]] && echo 'bwd=[0-9.]* ms' || echo 'time=[0-9.]* ms')")
      echo "round $round  $shape  ${bin#.carry-ab/flashgen-}  ${t:-failed}"
    done
  done
done
