#!/usr/bin/env bash
# For the next session (written in session 34, main's build): does the
# tuner's space hold faster forwards for the mask rows below 1.3x
# FlexAttention in session 34's table (call 3)? prefix-LM (0.97x d64 2k,
# 1.13x d64 16k, 1.31-1.43x d128), causal d64 2k (1.14x), a block map at
# d128 (20% 2k 1.17x, 5% 16k 1.27x: tuned at those densities, --block-density).
# Forward pass; the planner's by-shape tiling is each shape's bar.
#   FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack;
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s34/scripts/next-call-tune-masks.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
S=bench/results/2026-12-02-h200-s34/scripts/specs
export FLASHGEN_TUNING_DB=$O/tuning.sqlite
tune() { # spec shapes budget [block density]
  local n=$(basename "$1" .attn)${4:+-$4}
  timeout $(( $3 + 60 )) .carry/flashgen tune "$1" --shapes "$2" --budget "$3" --json "$O/$n.json" \
    --block-density "${4:-0.5}" > "$O/$n.txt" 2>&1
  echo "$n rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
  grep -E "TFLOP/s vs|wrong|discard" "$O/$n.txt" | tr '\r' '\n' | grep -v "timed, best" | tail -8
}
.carry/flashgen tune --calibrate 2>&1 | tail -1
tune $S/prefix_d64.attn "8,16,2048,2048;1,16,16384,16384" 60
tune $S/prefix_d128.attn "8,16,2048,2048;1,16,16384,16384" 60
tune $S/causal_d64.attn "8,16,2048,2048" 40
tune $S/blocks_d128.attn "8,16,2048,2048" 40 0.2
tune $S/blocks_d128.attn "1,16,16384,16384" 40 0.05
cat "$O/times.txt"
