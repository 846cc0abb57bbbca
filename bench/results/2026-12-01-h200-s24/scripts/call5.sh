#!/usr/bin/env bash
# Session 24 call 5: masks against FlexAttention on main with p-allkept +
# desc-add (carry .carry/libflashgen.so), forward and backward.
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
bash scripts/install-python.sh --library .carry/libflashgen.so > $O/install.txt 2>&1
PYTHONUNBUFFERED=1 timeout 230 python3 bench/mask_bench.py --masks causal,docs_tensor,dilated,window \
  --dims 64,128 --seqlens 2048,16384 --out $O > $O/masks.txt 2>&1
echo "masks rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
grep '^|' $O/masks.txt; cat $O/times.txt
