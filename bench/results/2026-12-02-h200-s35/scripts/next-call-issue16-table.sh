#!/usr/bin/env bash
# For the next session (written in session 35, not run): issue 16's table
# in one run: flashgen-bench (C++, kernel time) and bench/torch_bench.py
# (SDPA cuDNN and flash, FlexAttention compiled) at d64 and d128, causal and
# not, N 512-16k, forward and backward; then GQA 32/8 and MLA 192/128
# (bench/variant_bench.py) in the time left. d256 is the next script.
#   FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack;
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s35/scripts/next-call-issue16-table.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
export PYTHONUNBUFFERED=1
OUT=$O/b timeout 420 bash bench/device-run.sh bench > "$O/bench.txt" 2>&1
echo "bench rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
timeout $(( 575 - ($(date +%s) - t0) )) python3 bench/variant_bench.py --flashgen .carry/flashgen \
  > "$O/variants.txt" 2>&1
echo "variants rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat "$O/times.txt"; tail -40 "$O/bench.txt"; grep "^|" "$O/variants.txt"
cd "$O" && tar czf b.tgz b && rm -rf b
