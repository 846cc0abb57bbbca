#!/usr/bin/env bash
#===- bench/ab-smoke.sh - check carried flashgen binaries before timing them -===#
#
# On the GPU machine, with .carry-ab from scripts/ab-build.sh carried: each
# binary runs `flashgen run` (random inputs, checked against the float64
# reference) on a few example specs and odd shapes, each bounded by a
# timeout, so that a new kernel that is wrong or hangs shows up in seconds,
# before bench/ab-run.sh spends the device call timing it.
#   AB_BINS="wip_x" bash bench/ab-smoke.sh [SPEC.attn ...]
# Prints one line per (binary, spec, shape): ok, FAILED (the error) or
# TIMEOUT. Exit status 1 if any case did not pass.
#
#===------------------------------------------------------------------------===#
set -uo pipefail
specs=("$@")
[[ ${#specs[@]} -eq 0 ]] &&
  specs=(examples/mha_bf16.attn examples/causal_bottom_right.attn examples/varlen.attn
         examples/alibi.attn examples/mqa.attn examples/sliding_window.attn)
bins=(.carry-ab/flashgen-*)
if [[ -n ${AB_BINS:-} ]]; then
  bins=()
  for name in $AB_BINS; do bins+=(".carry-ab/flashgen-$name"); done
fi
status=0
for bin in "${bins[@]}"; do
  for spec in "${specs[@]}"; do
    # Shapes: odd lengths, unequal Nq/Nk, and one past a tile boundary.
    for shape in 2,16,1000 1,16,17,333 1,16,4097; do
      out=$(timeout "${AB_TIMEOUT:-30}" "$bin" run "$spec" --shape "$shape" 2>&1)
      rc=$?
      if [[ $rc == 124 ]]; then
        verdict=TIMEOUT
      elif [[ $rc == 0 ]]; then
        verdict="ok $(grep -o 'rel_err=[0-9.e+-]*' <<< "$out" | head -1)"
      else
        verdict="FAILED $(tail -1 <<< "$out")"
      fi
      [[ $verdict == ok* ]] || status=1
      echo "${bin#.carry-ab/flashgen-}  $(basename "$spec")  $shape  $verdict"
    done
  done
done
exit $status
