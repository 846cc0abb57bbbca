#!/usr/bin/env bash
# Session 34, call 3: issue 15's table on main after the merge of
# s34-candidate (forward next-kept links, backward column bounds): every
# mask of bench/mask_bench.py, d128 and d64, 2k and 16k, forward and
# backward, against FlexAttention in the same run.
#   FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack;
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s34/scripts/call3.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
export PYTHONUNBUFFERED=1
bash scripts/install-python.sh --library .carry/libflashgen.so > "$O/install.txt" 2>&1 || { tail "$O/install.txt"; exit 1; }
timeout $(( 570 - ($(date +%s) - t0) )) python3 bench/mask_bench.py --dims 128,64 --seqlens 2048,16384 \
  --out "$O" > "$O/masks.txt" 2>&1
echo "masks rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat "$O/times.txt"; grep -A80 "^| mask" "$O/masks.txt"
