#!/usr/bin/env bash
# Session 21 call 5: final main (unrolled keep, row packing on, split cap
# for short walks): the decode quick table and the forward GPU tests.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
export FLASHGEN_CACHE_DIR=/tmp/c-s21
timeout 80 python3 bench/decode_bench.py --flashgen $c/flashgen --quick > $O/decode-quick.md 2>&1
echo "decode $(( $(date +%s) - t0 )) s" >> $O/times.txt
FLASHGEN_GPU_REPORT=$O/cases.txt timeout $(( 560 - ($(date +%s) - t0) )) $c/flashgen-gpu-tests \
  --gtest_filter='GpuForward.SplitsKeysAtDecodeShapes:GpuForward.CombineLaunchedEarly:GpuForward.PacksGqaQueryHeads:GpuForward.PerEntryKeyLengths:GpuForward.PagedKvCache:GpuForward.RuntimeBlockMasks:GpuForward.EveryExampleAtOddSizes' > $O/gtest.log 2>&1
echo "gtest rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
grep -E "^\[ +(OK|FAILED) |PASSED|FAILED" $O/gtest.log | tail -12; cat $O/times.txt $O/decode-quick.md
gzip $O/cases.txt
