#!/usr/bin/env bash
# Session 17 call 4: mask decisions unrolled over columns for small masks
# with lookups; ncu A/B (plain, checked, no guard, the rolled build of
# call 3), correctness, and the masks bench on documents.
set -u
O=$OUT; c=.carry
{ for e in document_mask relative_bias alibi key_padding; do for f in "" --check-lookups; do
    echo "== $e $f"; $c/flashgen run examples/$e.attn --backward $f --shape 2,4,1000,1000 2>&1 | grep -i "rel_err\|error\|fail" | head -6; done; done; } > $O/checks.txt 2>&1
for sh in 2,16,8192,8192 8,16,2048,2048; do
  for v in "$c/flashgen|plain|" "$c/flashgen|checked|--check-lookups" "bench/tmp/flashgen-noguard|noguard|" "bench/tmp/flashgen-rolled|rolled|"; do b=${v%%|*}; r=${v#*|}; t=${r%%|*}; f=${r##*|}
    FLASHGEN_CACHE_DIR=/tmp/c-$t $b run examples/document_mask.attn --backward --no-check $f --reps 2 --shape $sh > /dev/null 2>&1
    FLASHGEN_CACHE_DIR=/tmp/c-$t timeout 200 ncu --metrics gpu__time_duration.sum --csv --kernel-name regex:flashgen_ \
      $b run examples/document_mask.attn --backward --no-check --seed 7 $f --reps 15 --shape $sh > $O/ncu-$t-${sh//,/x}.csv 2> $O/ncu-$t-${sh//,/x}.err
  done
done
mkdir -p $O/masks
MASK_BENCH_TIMEOUT=300 OUT=$O/masks bash bench/device-run.sh masks --masks docs_tensor,docs_arith,blocks20 --seqlens 2048,8192,16384 > $O/masks-run.txt 2>&1
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
