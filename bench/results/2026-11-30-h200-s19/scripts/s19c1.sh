#!/usr/bin/env bash
# Session 19 call 1: the paged KV cache, cache_batch_idx and per-entry
# lengths vs float64 (gtest), the Python kvcache tests (paged, rotary,
# cache_batch_idx in place), decoding cases under compute-sanitizer, the
# quick decode table with paged pools.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
( FLASHGEN_GPU_REPORT=$O/cases.txt timeout 300 $c/flashgen-gpu-tests \
    --gtest_filter='GpuForward.Paged*:GpuForward.ReadsKvEntriesThroughAnIndex:GpuForward.PerEntryKeyLengths' > $O/gtest.log 2>&1; echo "gtest rc=$?" >> $O/gtest.log ) &
( bash scripts/install-python.sh --library $c/libflashgen.so > $O/install.txt 2>&1
  cd python && PYTHONUNBUFFERED=1 timeout 300 python3 -m pytest -q tests/gpu/test_kvcache_gpu.py > $O/pytest.txt 2>&1; echo "pytest rc=$?" >> $O/pytest.txt ) &
wait
echo "tests $(( $(date +%s) - t0 )) s" > $O/times.txt
CASES=bottom timeout 150 bash scripts/gpu-sanitize.sh $c/flashgen $O/sanitize > $O/sanitize.txt 2>&1; echo "sanitize rc=$?" >> $O/sanitize.txt
echo "sanitize $(( $(date +%s) - t0 )) s" >> $O/times.txt
timeout $(( 570 - ($(date +%s) - t0) )) python3 bench/decode_bench.py --flashgen $c/flashgen --quick --paged 16,256 > $O/decode-paged.md 2>&1
echo "decode $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
