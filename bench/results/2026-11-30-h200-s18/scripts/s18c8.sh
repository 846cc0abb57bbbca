#!/usr/bin/env bash
# Session 18 call 8: the packing cost model and few-row split rule: decode
# tests vs float64, then the full decode table (issue 17).
set -u
O=$OUT; c=.carry; t0=$(date +%s)
FLASHGEN_GPU_REPORT=$O/cases.txt timeout 150 $c/flashgen-gpu-tests \
    --gtest_filter='GpuForward.SplitsKeysAtDecodeShapes:GpuForward.PerEntryKeyLengths' > $O/gtest.log 2>&1; echo "gtest rc=$?" >> $O/gtest.log
echo "tests $(( $(date +%s) - t0 )) s" > $O/times.txt
timeout 200 python3 bench/decode_bench.py --flashgen $c/flashgen > $O/decode-full.md 2>&1
echo "decode $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
