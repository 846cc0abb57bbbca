#!/usr/bin/env bash
# Session 17 call 6: flashgen's own memory pool for stream-ordered
# temporaries, split-KV on by default: split tests, kvcache tests, decode
# sweep (forced splits vs the default), a small prefill, docs mask bench.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
( FLASHGEN_GPU_REPORT=$O/split-cases.txt timeout 300 $c/flashgen-gpu-tests \
    --gtest_filter='GpuForward.SplitsKeysAtDecodeShapes:GpuBackward.AfterASplitForward:GpuMerge.*:GpuForward.RejectsBadArguments' > $O/gtest.log 2>&1; echo "gtest rc=$?" >> $O/gtest.log ) &
( bash scripts/install-python.sh --library $c/libflashgen.so > $O/install.txt 2>&1
  cd python && PYTHONUNBUFFERED=1 timeout 300 python3 -m pytest -q tests/gpu/test_kvcache_gpu.py tests/gpu/test_flash_attn_api.py > $O/pytest.txt 2>&1; echo "pytest rc=$?" >> $O/pytest.txt ) &
wait
echo "tests $(( $(date +%s) - t0 )) s" > $O/times.txt
printf 'attention decode {\n  dtype = bf16;\n  head_dim = 128;\n  heads = 32;\n  kv_heads = 8;\n  mask = causal(bottom_right);\n}\n' > /tmp/decode.attn
export FLASHGEN_CACHE_DIR=/tmp/c-dec
$c/flashgen run /tmp/decode.attn --no-check --reps 2 --shape 1,32,1,4096 > /dev/null 2>&1
{ for sh in 1,32,1,4096 1,32,1,32768 1,32,1,131072 1,32,16,32768 8,32,1,4096 8,32,1,32768; do
  line="$sh"
  for s in 1 2 4 8 default; do
    if [[ $s == default ]]; then e=""; else e="FLASHGEN_FWD_KV_SPLITS=$s"; fi
    t=$(env $e timeout 60 $c/flashgen run /tmp/decode.attn --no-check --reps 50 --shape $sh 2>&1 | grep -o 'kv_splits=[0-9]*\|time=[0-9.]*' | tr '\n' ' ')
    line="$line | $s: $t"
  done
  echo "$line"
done
for sh in 1,4,2048,2048 1,8,1000,1000 2,16,512,512; do for s in 1 default; do
    if [[ $s == default ]]; then e=""; else e="FLASHGEN_FWD_KV_SPLITS=$s"; fi
    echo "prefill mha_bf16 $sh $s: $(env $e $c/flashgen run examples/mha_bf16.attn --no-check --reps 50 --shape $sh 2>&1 | grep -o 'kv_splits=[0-9]*\|time=[0-9.]*' | tr '\n' ' ')"
done; done; } > $O/split-sweep.txt 2>&1
echo "sweep $(( $(date +%s) - t0 )) s" >> $O/times.txt
timeout 150 python3 bench/decode_bench.py --flashgen $c/flashgen --quick > $O/decode-quick.md 2>&1
echo "decode $(( $(date +%s) - t0 )) s" >> $O/times.txt
PYTHONUNBUFFERED=1 timeout 150 python3 bench/mask_bench.py --out $O --masks docs_tensor,docs_arith --seqlens 2048,8192 > $O/mask-bench.txt 2>&1
echo "masks $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
