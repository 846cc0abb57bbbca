#!/usr/bin/env bash
# Session 34, call 4: where masked calls' time goes (bench/mask_profile.py):
# wall vs GPU time per call and the kernels, flashgen vs FlexAttention, for
# the rows furthest below FlexAttention in call 3 (blocks 5% at 2k, forward
# and backward; local+global and documents backward at 16k).
#   FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack;
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s34/scripts/call4.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
export PYTHONUNBUFFERED=1
bash scripts/install-python.sh --library .carry/libflashgen.so > "$O/install.txt" 2>&1 || { tail "$O/install.txt"; exit 1; }
timeout $(( 400 - ($(date +%s) - t0) )) python3 bench/mask_profile.py --out "$O" > "$O/profile.txt" 2>&1
echo "profile rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat "$O/times.txt"; grep -A40 "^| case" "$O/profile.txt" || tail -30 "$O/profile.txt"
