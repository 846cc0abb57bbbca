#!/usr/bin/env bash
# Session 35, call 4 (main after the merge of s35-candidate, with the
# prefix-LM planner rule): is the rule the tuner's best at 2k-16k, is the
# 192-row forward right on prefix-LM at odd sizes, then issue 15's table
# with 8k rows: every mask of bench/mask_bench.py, d128 and d64, 2k, 8k
# and 16k, forward and backward, against FlexAttention in the same run.
#   FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack;
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s35/scripts/call4.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O/t"; t0=$(date +%s)
export PYTHONUNBUFFERED=1
S=bench/results/2026-12-02-h200-s34/scripts/specs
export FLASHGEN_TUNING_DB=$O/t/tuning.sqlite
timeout 120 .carry/flashgen tune $S/prefix_d64.attn \
  --shapes "8,16,2048,2048;4,16,4096,4096;2,16,8192,8192;1,16,16384,16384" --budget 60 \
  --json "$O/t/prefix_d64.json" > "$O/tune.txt" 2>&1
echo "tune rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
unset FLASHGEN_TUNING_DB
for s in 1,16,4097,4097 2,16,1000,1000 1,16,17,17; do
  timeout 60 .carry/flashgen run $S/prefix_d64.attn --shape $s >> "$O/run-prefix.txt" 2>&1
  echo "run $s rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
done
bash scripts/install-python.sh --library .carry/libflashgen.so > "$O/t/install.txt" 2>&1 || { tail "$O/t/install.txt"; exit 1; }
timeout $(( 575 - ($(date +%s) - t0) )) python3 bench/mask_bench.py --dims 128,64 \
  --seqlens 2048,8192,16384 --no-ab-builder --out "$O" > "$O/masks.txt" 2>&1
echo "masks rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat "$O/times.txt"; grep -E "TFLOP/s vs|wrong" "$O/tune.txt" | tr '\r' '\n' | grep -v "timed, best"
grep -E "^B=|ok:|error" "$O/run-prefix.txt" | cut -c1-200
grep -A80 "^| mask" "$O/masks.txt"
cd "$O" && tar czf t.tgz t && rm -rf t
