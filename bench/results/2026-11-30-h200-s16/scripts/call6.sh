#!/usr/bin/env bash
# Session 16 call 6: racecheck with one empty-barrier arrival per consumer
# thread (bench/tmp/flashgen-arrive) vs per warp (.carry/flashgen), and the
# backward's speed A/B of the two.
set -u
O=$OUT
run_rc() { # bin tag spec shape
  FLASHGEN_CACHE_DIR=/tmp/cache-$2 compute-sanitizer --tool racecheck --error-exitcode 99 $1 run $3 --backward --shape $4 > $O/rc-$2-$(basename $3 .attn).log 2>&1
  echo "$2 $(basename $3) rc=$? $(grep -o 'RACECHECK SUMMARY.*' $O/rc-$2-$(basename $3 .attn).log)"
}
for t in base arrive; do b=.carry/flashgen; [[ $t == arrive ]] && b=bench/tmp/flashgen-arrive
  for s in examples/mha_bf16.attn:1,16,300,300 examples/causal.attn:2,3,257,257; do FLASHGEN_CACHE_DIR=/tmp/cache-$t $b run ${s%%:*} --backward --shape ${s##*:} > /dev/null 2>&1; done
done
{ run_rc .carry/flashgen base examples/mha_bf16.attn 1,16,300,300 &
  run_rc bench/tmp/flashgen-arrive arrive examples/mha_bf16.attn 1,16,300,300 &
  run_rc bench/tmp/flashgen-arrive arrive examples/causal.attn 2,3,257,257 &
  wait; } > $O/racecheck.txt
{ for rep in 1 2; do for t in base arrive; do b=.carry/flashgen; [[ $t == arrive ]] && b=bench/tmp/flashgen-arrive
  for s in examples/mha_bf16.attn:4,16,4096,4096 examples/causal.attn:8,16,2048,2048 bench/tmp/specs/gqa328c.attn:4,32,2048,2048; do
    echo "$t rep$rep ${s} $(FLASHGEN_CACHE_DIR=/tmp/cache-$t $b run ${s%%:*} --backward --no-check --reps 30 --shape ${s##*:} 2>&1 | grep -o 'bwd=[0-9.]* ms [0-9.]* TFLOP/s' | head -1)"
  done; done; done; } > $O/ab.txt 2>&1
cat $O/racecheck.txt $O/ab.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
