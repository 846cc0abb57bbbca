#!/usr/bin/env bash
# Session 32, call 2: the decode table for GQA 64/8 (FlexAttention, fp8,
# paged pools with q/o in bhsd), the last 32/8 row call 1's limit cut, and
# flashgen's fp8 forward against cuDNN's (fp8_vs_cudnn.py).
# Built: FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack; run
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s32/scripts/call2.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
S=bench/results/2026-12-02-h200-s32/scripts
stamp() { echo "$1 $(( $(date +%s) - t0 )) s" >> "$O/times.txt"; }
bash scripts/install-python.sh --library .carry/libflashgen.so > "$O/install.txt" 2>&1
stamp "install rc=$?"
PYTHONUNBUFFERED=1 timeout 90 python3 $S/fp8_vs_cudnn.py > "$O/fp8-vs-cudnn.txt" 2>&1
stamp "fp8-vs-cudnn rc=$?"
left=$(( 500 - ($(date +%s) - t0) ))
PYTHONUNBUFFERED=1 timeout $left python3 bench/decode_bench.py --lean --fp8 --flex \
  --paged 16,256 --groups 64/8 > "$O/decode-64-8.txt" 2>&1
stamp "decode 64/8 rc=$?"
left=$(( 570 - ($(date +%s) - t0) )); [[ $left -lt 20 ]] && left=20
PYTHONUNBUFFERED=1 timeout $left python3 bench/decode_bench.py --lean --fp8 --flex \
  --paged 16,256 --groups 32/8 --batches 64 --nk 131072 --nq 16 > "$O/decode-32-8-last.txt" 2>&1
stamp "decode 32/8 last rc=$?"
cat "$O/times.txt"; cat "$O/fp8-vs-cudnn.txt" | grep -v Warn; cat "$O/decode-64-8.txt" "$O/decode-32-8-last.txt"
