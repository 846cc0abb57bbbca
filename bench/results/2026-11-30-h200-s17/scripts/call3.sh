#!/usr/bin/env bash
# Session 17 call 3: lookups through the read-only path with the checked
# build's record inline; kernel times under ncu (clocks locked), same seed.
set -u
O=$OUT; c=.carry
( FLASHGEN_GPU_REPORT=$O/gtest-cases.txt timeout 300 $c/flashgen-gpu-tests --gtest_filter='GpuMerge.*:GpuForward.ChecksLookupsWhenAsked' > $O/gtest.log 2>&1; echo "gtest rc=$?" >> $O/gtest.log ) &
{ for e in document_mask relative_bias alibi; do for f in "" --check-lookups; do
    echo "== $e $f"; $c/flashgen run examples/$e.attn --backward $f --shape 2,4,1000,1000 2>&1 | grep -i "rel_err\|error\|fail\|pass" | head -6; done; done; } > $O/checks.txt 2>&1
wait
for sh in 2,16,8192,8192 8,16,2048,2048; do
  for v in "$c/flashgen|plain|" "$c/flashgen|checked|--check-lookups" "bench/tmp/flashgen-noguard|noguard|"; do b=${v%%|*}; r=${v#*|}; t=${r%%|*}; f=${r##*|}
    FLASHGEN_CACHE_DIR=/tmp/c-$t $b run examples/document_mask.attn --backward --no-check $f --reps 2 --shape $sh > /dev/null 2>&1
    FLASHGEN_CACHE_DIR=/tmp/c-$t timeout 200 ncu --metrics gpu__time_duration.sum --csv --kernel-name regex:flashgen_ \
      $b run examples/document_mask.attn --backward --no-check --seed 7 $f --reps 15 --shape $sh > $O/ncu-$t-${sh//,/x}.csv 2> $O/ncu-$t-${sh//,/x}.err
  done
done
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
