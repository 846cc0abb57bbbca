#!/usr/bin/env bash
# Session 18 call 7 (lookups through asm again): lookups proven by sequence bounds, clamped only off
# interior tiles (kInSequence): guard cost under ncu vs no guard; checks of
# lookup variants fwd+bwd vs float64; checked-lookup and score-gradient tests.
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
{ for s in document_mask relative_bias alibi key_padding sparse_runtime; do for sh in 2,4,1000,1000 1,4,17,4097 3,4,333,129; do
  echo "$s $sh: $(timeout 60 $c/flashgen run examples/$s.attn --backward --shape $sh 2>&1 | grep -o 'rel_err=[^ ]*\|bound=[^ ]*\|lse_bad=[0-9]*\|nan=[0-9]*\|err_d[qkv]=[^ ]*\|PASS\|FAIL' | tr '\n' ' ')"
done; done; } > $O/checks.txt 2>&1
echo "checks $(( $(date +%s) - t0 )) s" >> $O/times.txt
FLASHGEN_GPU_REPORT=$O/cases.txt timeout 200 $c/flashgen-gpu-tests \
    --gtest_filter='GpuForward.ChecksLookupsWhenAsked:GpuBackward.ScoreExpressionsGetTheirGradients:GpuForward.PerEntryKeyLengths' > $O/gtest.log 2>&1; echo "gtest rc=$?" >> $O/gtest.log
echo "tests $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
