#!/usr/bin/env bash
# Session 17 call 5: the whole GPU suite with split-KV on (auto) after the
# mask-unroll and read-only lookup changes; then forced splits on decode
# shapes (GQA 32/8, d128, causal bottom-right) to fit the split rule.
set -u
O=$OUT; c=.carry
mkdir -p $O/suite
t0=$(date +%s)
FLASHGEN_FWD_KV_SPLITS=auto GPU_TEST_TIMEOUT=420 OUT=$O/suite bash bench/device-run.sh tests-all > $O/suite-run.txt 2>&1
echo "suite $(( $(date +%s) - t0 )) s" > $O/times.txt
printf 'attention decode {\n  dtype = bf16;\n  head_dim = 128;\n  heads = 32;\n  kv_heads = 8;\n  mask = causal(bottom_right);\n}\n' > /tmp/decode.attn
export FLASHGEN_CACHE_DIR=/tmp/c-dec
$c/flashgen run /tmp/decode.attn --no-check --reps 2 --shape 1,32,1,4096 > /dev/null 2>&1
{ for b in 1 8 32; do for nq in 1 16; do for nk in 4096 32768 131072; do
  line="B=$b Nq=$nq Nk=$nk"
  for s in 1 2 4 8 16 32; do
    t=$(FLASHGEN_FWD_KV_SPLITS=$s timeout 60 $c/flashgen run /tmp/decode.attn --no-check --reps 30 --shape $b,32,$nq,$nk 2>&1 | grep -o 'kv_splits=[0-9]*\|time=[0-9.]*' | tr '\n' ' ')
    line="$line | s$s: $t"
  done
  echo "$line"
  [[ $(( $(date +%s) - t0 )) -gt 560 ]] && break 3
done; done; done; } > $O/split-sweep.txt 2>&1
echo "sweep $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
