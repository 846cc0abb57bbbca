#!/usr/bin/env bash
# Session 19 call 6: the refit split rule and packing model: decode tests,
# GPU time auto vs unpacked (GQA 32/8 and 64/8, batch 1), the full decode
# table with paged pools.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
( FLASHGEN_GPU_REPORT=$O/cases.txt timeout 200 $c/flashgen-gpu-tests \
    --gtest_filter='GpuForward.SplitsKeysAtDecodeShapes:GpuForward.PerEntryKeyLengths:GpuForward.PacksGqaQueryHeads:GpuForward.PagedKvCache' > $O/gtest.log 2>&1; echo "gtest rc=$?" >> $O/gtest.log ) &
export FLASHGEN_CACHE_DIR=/tmp/c-dec6
for h in 32 64; do printf 'attention d%s {\n  dtype = bf16;\n  head_dim = 128;\n  heads = %s;\n  kv_heads = 8;\n  mask = causal(bottom_right);\n}\n' $h $h > /tmp/d$h.attn; done
gpu_us() { timeout 60 env "$@" ncu --clock-control none --metrics gpu__time_duration.sum --csv --kernel-name regex:flashgen_ \
    $c/flashgen run /tmp/d$h.attn --no-check --reps 5 --shape $sh 2>/dev/null | python3 bench/tmp/ncu_sum.py; }
{ for h in 32 64; do for b in 1 8; do for nk in 512 1024 2048 4096 8192; do sh=$b,$h,1,$nk
  echo "== $sh auto: $(gpu_us X=1) [$( $c/flashgen run /tmp/d$h.attn --no-check --reps 2 --shape $sh 2>&1 | grep -o 'packed_heads=[0-9]*\|kv_splits=[0-9]*' | tr '\n' ' ')] | unpacked: $(gpu_us FLASHGEN_PACK_GQA=0)"
done; done; done; } > $O/verify.txt 2>&1
wait
echo "verify $(( $(date +%s) - t0 )) s" > $O/times.txt
timeout $(( 560 - ($(date +%s) - t0) )) python3 bench/decode_bench.py --flashgen $c/flashgen --paged 16,256 > $O/decode-full.md 2>&1
echo "decode $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
