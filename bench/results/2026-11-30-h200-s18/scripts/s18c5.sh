#!/usr/bin/env bash
# Session 18 call 5: sequence-proven lookups read under a predicate (no
# clamp) vs float64 (examples fwd/bwd, checked lookups, score gradients),
# and the guard's kernel time under ncu vs a build without any guard.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
for sh in 2,16,8192,8192 8,16,2048,2048; do
  for v in "$c/flashgen|plain" "bench/tmp/flashgen-noguard|noguard"; do b=${v%%|*}; t=${v##*|}
    FLASHGEN_CACHE_DIR=/tmp/c-$t $b run examples/document_mask.attn --backward --no-check --seed 7 --reps 2 --shape $sh > /dev/null 2>&1
    FLASHGEN_CACHE_DIR=/tmp/c-$t timeout 100 ncu --metrics gpu__time_duration.sum --csv --kernel-name regex:flashgen_ \
      $b run examples/document_mask.attn --backward --no-check --seed 7 --reps 15 --shape $sh > $O/ncu-$t-${sh//,/x}.csv 2> $O/ncu-$t-${sh//,/x}.err
  done
done
python3 bench/results/2026-11-30-h200-s17/scripts/ncu_ab.py $O noguard plain > $O/guard-ab.txt 2>&1
echo "ncu $(( $(date +%s) - t0 )) s" > $O/times.txt
FLASHGEN_GPU_REPORT=$O/cases.txt timeout 400 $c/flashgen-gpu-tests \
    --gtest_filter='GpuForward.EveryExampleAtOddSizes:GpuForward.ChecksLookupsWhenAsked:GpuBackward.EveryExampleAtOddSizes:GpuBackward.ScoreExpressionsGetTheirGradients' > $O/gtest.log 2>&1; echo "gtest rc=$?" >> $O/gtest.log
echo "tests $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
