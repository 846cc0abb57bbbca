#!/usr/bin/env bash
# Session 17 call 1: split-KV + merge + kvcache GPU tests, sanitizer on the
# mma.sync kernels, lookup guard A/B, decode bench (quick).
set -u
O=$OUT; c=.carry
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $O/device.txt
t0=$(date +%s)
# A: correctness, side by side
( FLASHGEN_GPU_REPORT=$O/split-cases.txt timeout 400 $c/flashgen-gpu-tests \
    --gtest_filter='GpuForward.SplitsKeysAtDecodeShapes:GpuBackward.AfterASplitForward:GpuMerge.*' > $O/split-gtest.log 2>&1; echo "gtest rc=$?" >> $O/split-gtest.log ) &
( bash scripts/install-python.sh --library $c/libflashgen.so > $O/install.txt 2>&1
  cd python && PYTHONUNBUFFERED=1 timeout 400 python3 -m pytest -q -x tests/gpu/test_kvcache_gpu.py > $O/pytest-kvcache.txt 2>&1; echo "pytest rc=$?" >> $O/pytest-kvcache.txt ) &
( CASES=sync JOBS=4 SANITIZE_TIMEOUT=300 bash scripts/gpu-sanitize.sh $c/flashgen $O/sanitize > $O/sanitize.txt 2>&1; echo "sanitize rc=$?" >> $O/sanitize.txt ) &
wait
echo "phase A $(( $(date +%s) - t0 )) s" > $O/times.txt
# B: timing, one thing at a time
{ for b in $c/flashgen bench/tmp/flashgen-noguard; do for s in examples/document_mask.attn; do
    FLASHGEN_CACHE_DIR=/tmp/c-$(basename $b) $b run $s --backward --no-check --reps 2 --shape 2,16,8192,8192 > /dev/null 2>&1
    FLASHGEN_CACHE_DIR=/tmp/c-$(basename $b) $b run $s --backward --no-check --check-lookups --reps 2 --shape 2,16,8192,8192 > /dev/null 2>&1; done; done
  for rep in 1 2 3; do
    for v in "$c/flashgen|" "$c/flashgen|--check-lookups" "bench/tmp/flashgen-noguard|"; do b=${v%%|*}; f=${v##*|}
      for sh in 2,16,8192,8192 8,16,2048,2048; do
        r=$(FLASHGEN_CACHE_DIR=/tmp/c-$(basename $b) $b run examples/document_mask.attn --backward --no-check $f --reps 30 --shape $sh 2>&1 | grep -o '\(time\|bwd\)=[0-9.]* ms [0-9.]* TFLOP/s' | tr '\n' ' ')
        echo "rep$rep $(basename $b) ${f:-plain} $sh $r"
      done; done; done; } > $O/guard-ab.txt 2>&1
echo "guard $(( $(date +%s) - t0 )) s" >> $O/times.txt
FLASHGEN_CACHE_DIR=/tmp/c-decode timeout 200 python3 bench/decode_bench.py --flashgen $c/flashgen --quick > $O/decode-quick.md 2>&1
echo "decode $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
