#!/usr/bin/env bash
# Session 17 call 2: the merge test again (lse tolerance), and the lookup
# guard's kernel time under ncu (clocks locked): plain (clamp), checked
# (clamp + report), no guard (a build without the clamp), document mask.
set -u
O=$OUT; c=.carry
( FLASHGEN_GPU_REPORT=$O/merge-cases.txt timeout 200 $c/flashgen-gpu-tests --gtest_filter='GpuMerge.*' > $O/merge-gtest.log 2>&1; echo "gtest rc=$?" >> $O/merge-gtest.log )
for sh in 2,16,8192,8192 8,16,2048,2048; do
  for v in "$c/flashgen|plain|" "$c/flashgen|checked|--check-lookups" "bench/tmp/flashgen-noguard|noguard|"; do b=${v%%|*}; r=${v#*|}; t=${r%%|*}; f=${r##*|}
    FLASHGEN_CACHE_DIR=/tmp/c-$t $b run examples/document_mask.attn --backward --no-check $f --reps 2 --shape $sh > /dev/null 2>&1
    FLASHGEN_CACHE_DIR=/tmp/c-$t timeout 200 ncu --metrics gpu__time_duration.sum --csv --kernel-name regex:flashgen_ \
      $b run examples/document_mask.attn --backward --no-check $f --reps 15 --shape $sh > $O/ncu-$t-${sh//,/x}.csv 2> $O/ncu-$t-${sh//,/x}.err
  done
done
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
