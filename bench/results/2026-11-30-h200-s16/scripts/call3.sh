#!/usr/bin/env bash
# Session 16 call 3: the simulated split rule (sweep shapes, rule only), the
# backward GPU tests, variant_bench --short (vs cuDNN), the JIT line with --no-cache.
set -u
O=$OUT
export FLASHGEN_CACHE_DIR=$(mktemp -d)
{
for spec in mqa16c gqa328c gqa328n; do
  H=16; [[ $spec != mqa16c ]] && H=32
  for B in 1 4 16; do for N in 1000 2048 4096; do
    line=$(timeout 60 .carry/flashgen run bench/tmp/specs/$spec.attn --backward --no-check --reps 20 --shape $B,$H,$N 2>&1 | tr '\n' ' ')
    echo "$spec B=$B N=$N rule $(echo "$line" | grep -o "kv_split=[0-9]*" | head -1) $(echo "$line" | grep -o "bwd=[0-9.]* ms" | head -1)"
  done; done
done
} > $O/split-rule.txt 2>&1
GPU_TEST_TIMEOUT=230 bash bench/device-run.sh tests-all 'GpuBackward.*' > $O/bwd-tests.txt 2>&1
mkdir -p $O/t && mv $O/gpu-log.txt $O/gpu-fwd.txt $O/t/ 2>/dev/null
timeout 150 python3 bench/variant_bench.py --flashgen .carry/flashgen --short > $O/variant-short.txt 2>&1
timeout 100 bash bench/device-run.sh jit 3 8 > $O/jit-run.txt 2>&1
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
