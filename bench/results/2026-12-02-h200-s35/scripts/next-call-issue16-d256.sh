#!/usr/bin/env bash
# For the next session (written in session 35, not run): issue 16's d256
# columns (H = 8, as the grid has it), forward and backward, flashgen-bench
# and torch_bench.py in one run, then ncu of two cells below cuDNN for the
# closing note's profile-backed reasons: the d128 causal backward at 16k
# and the d256 causal forward at 8k (SpeedOfLight, WarpStateStats).
#   FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack;
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s35/scripts/next-call-issue16-d256.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
export PYTHONUNBUFFERED=1
OUT=$O/b timeout 360 bash bench/device-run.sh bench --head-dim 256 > "$O/bench-d256.txt" 2>&1
echo "bench d256 rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
printf 'attention c { head_dim = 128; heads = 16; mask = causal; passes = forward, backward; }\n' > /tmp/c128.attn
printf 'attention c { head_dim = 256; heads = 8; mask = causal; }\n' > /tmp/c256.attn
timeout 90 ncu --kernel-name regex:bwd_fused --launch-count 1 --section SpeedOfLight --section WarpStateStats \
  .carry/flashgen run /tmp/c128.attn --backward --no-check --reps 1 --shape 1,16,16384,16384 > "$O/ncu-bwd-d128-causal.txt" 2>&1
echo "ncu bwd rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
timeout 90 ncu --kernel-name regex:fwd --launch-count 1 --section SpeedOfLight --section WarpStateStats \
  .carry/flashgen run /tmp/c256.attn --no-check --reps 1 --shape 2,8,8192,8192 > "$O/ncu-fwd-d256-causal.txt" 2>&1
echo "ncu fwd rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat "$O/times.txt"; tail -30 "$O/bench-d256.txt"
grep -E "Duration|Throughput|Cycles Per Issued" "$O"/ncu-*.txt
cd "$O" && tar czf b.tgz b && rm -rf b
