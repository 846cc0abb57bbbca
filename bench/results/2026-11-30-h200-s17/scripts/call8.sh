#!/usr/bin/env bash
# Session 17 call 8: GQA packing (attn-pack-query-heads + PackedLaunch):
# decode/GQA tests vs float64, Python kvcache/flash-attn tests, then
# decode timings packed vs not (FLASHGEN_PACK_GQA=0) and vs SDPA.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
( FLASHGEN_GPU_REPORT=$O/cases.txt timeout 300 $c/flashgen-gpu-tests \
    --gtest_filter='GpuForward.SplitsKeysAtDecodeShapes:GpuForward.EveryExampleAtOddSizes:GpuBackward.AfterASplitForward' > $O/gtest.log 2>&1; echo "gtest rc=$?" >> $O/gtest.log ) &
( bash scripts/install-python.sh --library $c/libflashgen.so > $O/install.txt 2>&1
  cd python && PYTHONUNBUFFERED=1 timeout 300 python3 -m pytest -q tests/gpu/test_kvcache_gpu.py tests/gpu/test_flash_attn_api.py > $O/pytest.txt 2>&1; echo "pytest rc=$?" >> $O/pytest.txt ) &
wait
echo "tests $(( $(date +%s) - t0 )) s" > $O/times.txt
printf 'attention decode {\n  dtype = bf16;\n  head_dim = 128;\n  heads = 32;\n  kv_heads = 8;\n  mask = causal(bottom_right);\n}\n' > /tmp/decode.attn
export FLASHGEN_CACHE_DIR=/tmp/c-dec
$c/flashgen run /tmp/decode.attn --no-check --reps 2 --shape 1,32,1,4096 > /dev/null 2>&1
{ for sh in 1,32,1,4096 1,32,1,32768 1,32,1,131072 8,32,1,4096 8,32,1,32768 8,32,1,131072 1,32,16,32768 8,32,4,32768 64,32,1,4096; do
  line="$sh"
  for m in 0 1; do
    t=$(FLASHGEN_PACK_GQA=$m timeout 60 $c/flashgen run /tmp/decode.attn --no-check --reps 50 --shape $sh 2>&1 | grep -o 'packed_heads=[0-9]*\|kv_splits=[0-9]*\|time=[0-9.]*' | tr '\n' ' ')
    line="$line | pack=$m: $t"
  done
  echo "$line"
done
for sh in 1,32,1,1000 2,32,5,333; do echo "check $sh: $($c/flashgen run /tmp/decode.attn --shape $sh 2>&1 | grep -o 'rel_err=[^ ]*\|lse_bad=[0-9]*\|nan=[0-9]*\|packed_heads=[0-9]*\|kv_splits=[0-9]*' | tr '\n' ' ')"; done
} > $O/pack-sweep.txt 2>&1
echo "sweep $(( $(date +%s) - t0 )) s" >> $O/times.txt
timeout 150 python3 bench/decode_bench.py --flashgen $c/flashgen --quick > $O/decode-quick.md 2>&1
echo "decode $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
