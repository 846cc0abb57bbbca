#!/usr/bin/env bash
# Session 33 call 7: with the row bounds (rows of more than 32 tiles), the
# masks with run-time tile classes at 16k against FlexAttention again (A/B
# --ab-bounds), then the tuner on the mask specs (do other tilings win now
# that a row's walk no longer scans its band?).
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s33/scripts/call7.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
export PYTHONUNBUFFERED=1
S=bench/results/2026-12-02-h200-s33/scripts/specs
bash scripts/install-python.sh --library .carry/libflashgen.so > "$O/install.txt" 2>&1 || { tail "$O/install.txt"; exit 1; }
timeout 150 python3 bench/mask_bench.py --no-backward --ab-bounds --dims 128,64 --seqlens 16384 \
  --masks docs_tensor,docs_arith,blocks05,blocks20,local_global --out "$O" > "$O/masks.txt" 2>&1
echo "masks rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
export FLASHGEN_TUNING_DB=$O/tuning.sqlite
for spec in docs_d128 docs_d64; do
  timeout 90 .carry/flashgen tune $S/$spec.attn --shapes "8,16,2048,2048;2,16,8192,8192;1,16,16384,16384" \
    --budget 40 > "$O/tune-$spec.txt" 2>&1
  echo "tune $spec rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
done
timeout 80 .carry/flashgen tune $S/dilated_d64.attn --shapes "8,16,2048,2048;4,16,4096,4096" \
  --budget 30 > "$O/tune-dilated_d64.txt" 2>&1
echo "tune dilated rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat "$O/times.txt"; grep -A14 "^| mask" "$O/masks.txt"; grep -h "TFLOP/s vs" "$O"/tune-*.txt
