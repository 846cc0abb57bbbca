#!/usr/bin/env bash
# Session 15, call 2: the split GQA/MQA backward (BwdParams::kvSplit).
cd "$(dirname "$0")/../.."
start=$(date +%s)
GPU_TEST_TIMEOUT=380 bash bench/device-run.sh tests-all 'GpuBackward.*' > "$OUT/tests-log.txt" 2>&1
echo "tests: $(( $(date +%s) - start )) s" >> "$OUT/tests-log.txt"
{
  for s in 1000 4097; do
    .carry/flashgen run examples/mqa.attn --backward --shape 1,16,$s 2>&1 | tail -2
    .carry/flashgen run examples/mqa.attn --backward --deterministic --shape 1,16,$s 2>&1 | tail -2
  done
} > "$OUT/cli-mqa.txt"
timeout 100 python3 bench/variant_bench.py --flashgen .carry/flashgen --short > "$OUT/short-split.txt" 2>&1
FLASHGEN_BWD_MAX_KV_SPLIT=1 timeout 100 python3 bench/variant_bench.py --flashgen .carry/flashgen --short > "$OUT/short-nosplit.txt" 2>&1
echo "total: $(( $(date +%s) - start )) s" >> "$OUT/tests-log.txt"
