#!/usr/bin/env bash
# Session 33 call 4: does the tuner's space hold faster forwards for the
# mask rows below 1.3x FlexAttention (issue 15) and the short dense rows
# (issue 16)? flashgen tune per spec and shape bucket, forward pass.
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s33/scripts/call4.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
S=bench/results/2026-12-02-h200-s33/scripts/specs
export FLASHGEN_TUNING_DB=$O/tuning.sqlite
tune() { # spec shapes budget
  local n=$(basename "$1" .attn)
  timeout $(( $3 + 60 )) .carry/flashgen tune "$1" --shapes "$2" --budget "$3" --json "$O/$n.json" \
    > "$O/$n.txt" 2>&1
  echo "$n rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
  grep -E "TFLOP/s vs|wrong|discard" "$O/$n.txt" | tr '\r' '\n' | grep -v "timed, best" | tail -8
}
.carry/flashgen tune --calibrate 2>&1 | tail -1
tune $S/docs_d128.attn "8,16,2048,2048;1,16,16384,16384" 60
tune $S/docs_d64.attn "8,16,2048,2048;1,16,16384,16384" 60
tune $S/window_d64.attn "1,16,16384,16384" 40
tune $S/dilated_d64.attn "8,16,2048,2048;1,16,16384,16384" 60
tune bench/specs/d128_none.attn "32,16,512,512;16,16,1024,1024" 50
tune bench/specs/d128_causal.attn "32,16,512,512;16,16,1024,1024" 50
cat "$O/times.txt"
