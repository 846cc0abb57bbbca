#!/usr/bin/env bash
# Session 19 call 2: lookups of q of seq_k proven (tileInSequence) — ncu
# A/B vs session 18's guard and no guard; correctness at seq_q != seq_k,
# checked build; examples suites; document cases under compute-sanitizer;
# paged pools with a tile's page rows read together.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
run_ab() { # spec shape
  for v in "$c/flashgen|plain" "bench/tmp/flashgen-s18|s18" "bench/tmp/flashgen-noguard|noguard"; do b=${v%%|*}; t=${v##*|}
    FLASHGEN_CACHE_DIR=/tmp/c-$t $b run examples/$1.attn --backward --no-check --seed 7 --reps 2 --shape $2 > /dev/null 2>&1
    FLASHGEN_CACHE_DIR=/tmp/c-$t timeout 100 ncu --metrics gpu__time_duration.sum --csv --kernel-name regex:flashgen_ \
      $b run examples/$1.attn --backward --no-check --seed 7 --reps 15 --shape $2 > $O/ab/ncu-$t-$1-${2//,/x}.csv 2> $O/ab/ncu-$t-$1-${2//,/x}.err
  done
}
mkdir -p $O/ab
run_ab document_mask 2,16,8192,8192; run_ab document_mask 8,16,2048,2048
run_ab key_padding 4,16,4096,4096; run_ab relative_bias 4,16,4096,4096
for t in plain s18; do python3 bench/results/2026-11-30-h200-s17/scripts/ncu_ab.py $O/ab noguard $t > $O/guard-ab-$t.txt 2>&1; done
echo "ncu $(( $(date +%s) - t0 )) s" > $O/times.txt
{ for s in document_mask relative_bias alibi key_padding sparse_runtime; do for sh in 2,4,1000,1000 1,4,17,4097 1,4,4097,17 2,4,1000,600 2,4,600,1000 3,4,333,129; do
  echo "$s $sh: $(timeout 60 $c/flashgen run examples/$s.attn --backward --shape $sh 2>&1 | grep -o 'rel_err=[^ ]*\|bound=[^ ]*\|lse_bad=[0-9]*\|nan=[0-9]*\|err_d[qkv]=[^ ]*\|PASS\|FAIL\|rror.*' | tr '\n' ' ')"
done; done
  for sh in 2,4,1000,600 2,4,600,1000 2,4,1000,1000; do echo "checked document_mask $sh: $(timeout 60 $c/flashgen run examples/document_mask.attn --check-lookups --backward --shape $sh 2>&1 | tail -3 | tr '\n' ' ')"; done
} > $O/checks.txt 2>&1
echo "checks $(( $(date +%s) - t0 )) s" >> $O/times.txt
FLASHGEN_GPU_REPORT=$O/cases.txt timeout 240 $c/flashgen-gpu-tests --gtest_filter='*EveryExampleAtOddSizes:GpuForward.ChecksLookupsWhenAsked:GpuBackward.ScoreExpressionsGetTheirGradients:GpuForward.Paged*' > $O/gtest.log 2>&1; echo "gtest rc=$?" >> $O/gtest.log
echo "tests $(( $(date +%s) - t0 )) s" >> $O/times.txt
CASES=document TOOLS="memcheck initcheck" timeout 150 bash scripts/gpu-sanitize.sh $c/flashgen $O/sanitize > $O/sanitize.txt 2>&1; echo "sanitize rc=$?" >> $O/sanitize.txt
echo "sanitize $(( $(date +%s) - t0 )) s" >> $O/times.txt
timeout $(( 570 - ($(date +%s) - t0) )) python3 bench/decode_bench.py --flashgen $c/flashgen --quick --paged 16,256 > $O/decode-paged.md 2>&1
echo "decode $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
