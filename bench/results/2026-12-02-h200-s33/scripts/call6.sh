#!/usr/bin/env bash
# Session 33 call 6: masks with run-time tile classes vs FlexAttention,
# forward, with and without the builder's row bounds (same run, --ab-bounds).
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s33/scripts/call6.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"
export PYTHONUNBUFFERED=1
bash scripts/install-python.sh --library .carry/libflashgen.so > "$O/install.txt" 2>&1 || { tail "$O/install.txt"; exit 1; }
timeout 400 python3 bench/mask_bench.py --no-backward --ab-bounds --dims 128,64 --seqlens 2048,16384 \
  --masks docs_tensor,docs_arith,blocks05,local_global --out "$O" > "$O/masks.txt" 2>&1
echo "masks rc=$?"; grep -A30 "^| mask" "$O/masks.txt"; tail -3 "$O/masks.txt"
