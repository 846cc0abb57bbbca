#!/usr/bin/env bash
# Session 18 call 1: per-entry key lengths (seqUsedK) and GQA packing with
# several rows vs float64; Python kvcache tests (NaN past lengths); the
# full decode table (issue 17) and the kvcache path's timing.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
( FLASHGEN_GPU_REPORT=$O/cases.txt timeout 330 $c/flashgen-gpu-tests \
    --gtest_filter='GpuForward.PerEntryKeyLengths:GpuForward.PacksGqaQueryHeads:GpuForward.SplitsKeysAtDecodeShapes' > $O/gtest.log 2>&1; echo "gtest rc=$?" >> $O/gtest.log ) &
( bash scripts/install-python.sh --library $c/libflashgen.so > $O/install.txt 2>&1
  cd python && PYTHONUNBUFFERED=1 timeout 300 python3 -m pytest -q tests/gpu/test_kvcache_gpu.py > $O/pytest.txt 2>&1; echo "pytest rc=$?" >> $O/pytest.txt ) &
wait
echo "tests $(( $(date +%s) - t0 )) s" > $O/times.txt
timeout 100 python3 bench/tmp/kv_bench.py > $O/kv-bench.md 2>&1
echo "kv $(( $(date +%s) - t0 )) s" >> $O/times.txt
timeout $(( 570 - ($(date +%s) - t0) )) python3 bench/decode_bench.py --flashgen $c/flashgen > $O/decode-full.md 2>&1
echo "decode $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
