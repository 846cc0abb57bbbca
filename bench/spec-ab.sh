#!/usr/bin/env bash
#===- bench/spec-ab.sh - time kernel choices of one spec side by side ------===#
#
# On the GPU machine (after scripts/device-prep.sh, .carry carried): each
# property set is put at the top of the spec's variant (`bwd_warp_specialized
# = true;`, `block_m = 64; ...`), and every (shape, set) is timed twice,
# interleaved, so that the sets share the machine's state:
#   bash bench/spec-ab.sh [--backward] SPEC.attn "PROPS" ["PROPS" ...] -- B,H,N [B,H,N ...]
# An empty set ("") is the planner's own choice. Prints one line per (round,
# shape, set): the median of 20 launches and its TFLOP/s as `flashgen run`
# counts them (dense: halve for causal masks). AB_TIMEOUT (seconds, default
# 120) bounds each run.
#
#===------------------------------------------------------------------------===#
set -uo pipefail
mode=()
if [[ ${1:-} == --backward ]]; then
  mode=(--backward)
  shift
fi
spec=${1:-}
shift || true
sets=()
while [[ $# -gt 0 && $1 != -- ]]; do
  sets+=("$1")
  shift
done
shift || true
if [[ -z $spec || ${#sets[@]} -eq 0 || $# -eq 0 ]]; then
  echo "usage: bench/spec-ab.sh [--backward] SPEC.attn \"PROPS\" [\"PROPS\" ...] -- B,H,N [...]" >&2
  exit 2
fi
if [[ ! -f $spec ]]; then
  echo "error: no spec file '$spec'" >&2
  exit 2
fi
bin=${FLASHGEN:-.carry/flashgen}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# One spec file per set: the properties after the first `{`.
for i in "${!sets[@]}"; do
  awk -v props="${sets[$i]}" '!done && /\{/ { sub(/\{/, "{ " props); done = 1 } { print }' \
    "$spec" > "$dir/set$i.attn"
done
what=$([[ ${#mode[@]} -gt 0 ]] && echo 'bwd' || echo 'time')
for round in 1 2; do
  for shape in "$@"; do
    for i in "${!sets[@]}"; do
      r=$(timeout "${AB_TIMEOUT:-120}" "$bin" run "$dir/set$i.attn" "${mode[@]}" --no-check \
            --reps 20 --shape "$shape" 2>&1 | grep -o "$what=[0-9.]* ms [0-9.]* TFLOP/s")
      echo "round $round  $shape  [${sets[$i]:-planner}]  ${r:-failed}"
    done
  done
done
