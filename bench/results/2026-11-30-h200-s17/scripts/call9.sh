#!/usr/bin/env bash
# Session 17 call 9: packing only where its grid keeps the SMs busy
# (ForwardGrid::packedGridKeepsSMsBusy): decode tests, the sweep again,
# decode_bench --quick.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
FLASHGEN_GPU_REPORT=$O/cases.txt timeout 200 $c/flashgen-gpu-tests \
    --gtest_filter='GpuForward.SplitsKeysAtDecodeShapes:GpuBackward.AfterASplitForward:GpuForward.RejectsBadArguments' > $O/gtest.log 2>&1; echo "gtest rc=$?" >> $O/gtest.log
printf 'attention decode {\n  dtype = bf16;\n  head_dim = 128;\n  heads = 32;\n  kv_heads = 8;\n  mask = causal(bottom_right);\n}\n' > /tmp/decode.attn
export FLASHGEN_CACHE_DIR=/tmp/c-dec
$c/flashgen run /tmp/decode.attn --no-check --reps 2 --shape 1,32,1,4096 > /dev/null 2>&1
{ for sh in 1,32,1,4096 1,32,1,32768 8,32,1,4096 8,32,1,32768 1,32,1,2048 4,32,1,4096; do
  line="$sh"
  for m in 0 1; do
    t=$(FLASHGEN_PACK_GQA=$m timeout 60 $c/flashgen run /tmp/decode.attn --no-check --reps 50 --shape $sh 2>&1 | grep -o 'packed_heads=[0-9]*\|kv_splits=[0-9]*\|time=[0-9.]*' | tr '\n' ' ')
    line="$line | pack=$m: $t"
  done
  echo "$line"
done; } > $O/pack-sweep.txt 2>&1
timeout 120 python3 bench/decode_bench.py --flashgen $c/flashgen --quick > $O/decode-quick.md 2>&1
echo "all $(( $(date +%s) - t0 )) s" >> $O/times.txt
