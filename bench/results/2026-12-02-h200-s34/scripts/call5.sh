#!/usr/bin/env bash
# Session 34, call 5: the Python host time of a small masked call
# (scripts/host-profile.py under cProfile), blocks 5% and documents at 2k.
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"
S=bench/results/2026-12-02-h200-s34/scripts
bash scripts/install-python.sh --library .carry/libflashgen.so > "$O/install.txt" 2>&1 || { tail "$O/install.txt"; exit 1; }
for m in blocks05 docs_tensor; do
  timeout 60 python3 $S/host-profile.py $m > "$O/host-$m.txt" 2>&1; echo "$m rc=$?"
  grep -A30 "^==" "$O/host-$m.txt" | grep -v "^$" | head -60
done
