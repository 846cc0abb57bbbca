#!/usr/bin/env bash
# Session 18 call 4: lookups proven by sequence bounds (q/k clamped into the
# sequence once) vs float64 (examples, checked lookups, score gradients);
# the guard's kernel time under ncu vs a build without any guard; Python
# kvcache tests and host overhead without the lengths' host read.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
( FLASHGEN_GPU_REPORT=$O/cases.txt timeout 420 $c/flashgen-gpu-tests \
    --gtest_filter='GpuForward.EveryExampleAtOddSizes:GpuForward.ChecksLookupsWhenAsked:GpuForward.RuntimeBlockMasks:GpuBackward.EveryExampleAtOddSizes:GpuBackward.ScoreExpressionsGetTheirGradients' > $O/gtest.log 2>&1; echo "gtest rc=$?" >> $O/gtest.log ) &
( bash scripts/install-python.sh --library $c/libflashgen.so > $O/install.txt 2>&1
  cd python && PYTHONUNBUFFERED=1 timeout 300 python3 -m pytest -q tests/gpu/test_kvcache_gpu.py > $O/pytest.txt 2>&1; echo "pytest rc=$?" >> $O/pytest.txt ) &
wait
echo "tests $(( $(date +%s) - t0 )) s" > $O/times.txt
for sh in 2,16,8192,8192 8,16,2048,2048; do
  for v in "$c/flashgen|plain" "bench/tmp/flashgen-noguard|noguard"; do b=${v%%|*}; t=${v##*|}
    FLASHGEN_CACHE_DIR=/tmp/c-$t $b run examples/document_mask.attn --backward --no-check --seed 7 --reps 2 --shape $sh > /dev/null 2>&1
    FLASHGEN_CACHE_DIR=/tmp/c-$t timeout 100 ncu --metrics gpu__time_duration.sum --csv --kernel-name regex:flashgen_ \
      $b run examples/document_mask.attn --backward --no-check --seed 7 --reps 15 --shape $sh > $O/ncu-$t-${sh//,/x}.csv 2> $O/ncu-$t-${sh//,/x}.err
  done
done
python3 bench/results/2026-11-30-h200-s17/scripts/ncu_ab.py $O noguard plain > $O/guard-ab.txt 2>&1
echo "ncu $(( $(date +%s) - t0 )) s" >> $O/times.txt
timeout 150 python3 bench/tmp/host_overhead.py > $O/host-overhead.md 2>&1
echo "host $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
