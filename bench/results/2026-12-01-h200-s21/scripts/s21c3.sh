#!/usr/bin/env bash
# Session 21 call 3: GQA packing of several query rows on by default (bhsd):
# GPU tests (C++ packing/splits, Python decoding in SDPA's layout, kvcache),
# then the decode table (32/8, Nq 1/4/16, B 1/8/64, Nk 4k/32k/128k).
set -u
O=$OUT; c=.carry; t0=$(date +%s)
export FLASHGEN_CACHE_DIR=/tmp/c-s21
( bash scripts/install-python.sh --library $c/libflashgen.so > $O/install.txt 2>&1; echo "install rc=$?" >> $O/install.txt ) &
FLASHGEN_GPU_REPORT=$O/cases-pack.txt timeout 170 $c/flashgen-gpu-tests \
  --gtest_filter='GpuForward.PacksGqaQueryHeads:GpuForward.SplitsKeysAtDecodeShapes' > $O/gtest.log 2>&1
echo "gtest rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
wait
(cd python && PYTHONUNBUFFERED=1 timeout 150 python3 -m pytest -q tests/gpu/test_attention_api.py tests/gpu/test_kvcache_gpu.py -k "gqa_decoding or decode_against or paged or named_tensors" > $O/pytest.txt 2>&1; echo "pytest rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt)
timeout $(( 565 - ($(date +%s) - t0) )) python3 bench/decode_bench.py --flashgen $c/flashgen --groups 32/8 --nq 1,4,16 --pack-rows > $O/decode.md 2>&1
echo "decode rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
grep -E "^\[ +(OK|FAILED) " $O/gtest.log; tail -3 $O/pytest.txt; cat $O/times.txt; cat $O/decode.md
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
