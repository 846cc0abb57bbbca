#!/usr/bin/env bash
# Session 19 call 4: the split combine with its loads in flight, and a
# packed single-query causal mask without a tile-class builder: decode and
# merge tests, Python kvcache tests, then a split sweep (GPU time under ncu
# per kernel, clocks free) to refit the split rule, and the decode table.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
echo "tests $(( $(date +%s) - t0 )) s" > $O/times.txt
printf 'attention d32 {\n  dtype = bf16;\n  head_dim = 128;\n  heads = 32;\n  kv_heads = 8;\n  mask = causal(bottom_right);\n}\n' > /tmp/d32.attn
export FLASHGEN_CACHE_DIR=/tmp/c-dec
$c/flashgen run /tmp/d32.attn --no-check --reps 2 --shape 1,32,1,4096 > /dev/null 2>&1
FLASHGEN_PACK_GQA=always $c/flashgen run /tmp/d32.attn --no-check --reps 2 --shape 1,32,1,4096 > /dev/null 2>&1
gpu_us() { # env...: the flashgen kernels' median times (us) and their sum
  timeout 60 env "$@" ncu --clock-control none --metrics gpu__time_duration.sum --csv --kernel-name regex:flashgen_ \
    $c/flashgen run /tmp/d32.attn --no-check --reps 5 --shape $sh 2>/dev/null | python3 bench/tmp/ncu_sum.py
}
{ for b in 1 8; do for nk in 1024 4096 8192 32768 131072; do sh=$b,32,1,$nk
  echo "== $sh auto: $(gpu_us X=1) | $( $c/flashgen run /tmp/d32.attn --no-check --reps 30 --shape $sh 2>&1 | grep -o 'packed_heads=[0-9]*\|kv_splits=[0-9]*\|time=[0-9.]*' | tr '\n' ' ')"
  for s in 2 4 8 16 32; do echo "   packed s$s: $(gpu_us FLASHGEN_PACK_GQA=always FLASHGEN_FWD_KV_SPLITS=$s)"; done
done; done; } > $O/sweep.txt 2>&1
echo "sweep $(( $(date +%s) - t0 )) s" >> $O/times.txt
timeout $(( 575 - ($(date +%s) - t0) )) python3 bench/decode_bench.py --flashgen $c/flashgen --quick --paged 16 > $O/decode-quick.md 2>&1
echo "decode $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
