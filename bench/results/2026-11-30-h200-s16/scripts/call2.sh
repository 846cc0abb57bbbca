#!/usr/bin/env bash
# Session 16 call 2: NVRTC cold compiles (cache on/off, CUDA initialized or
# not), the backward head-split sweep on causal GQA/MQA, the checked-lookups
# test on the fixed binaries, the mask bench (docs_tensor after the per-row hoisting).
set -u
O=$OUT; mkdir -p $O/nt
{
for s in bench/tmp/nt/*.cu; do
  for mode in cache nocache; do
    extra=""; [[ $mode == nocache ]] && extra="--no-cache"
    d=$(mktemp -d); echo "== $s $mode (INIT=1, fresh CUDA_CACHE_PATH, 2 reps)"
    CUDA_CACHE_PATH=$d INIT=1 REPS=2 bench/tmp/nt/nt $s -lineinfo $extra; rm -rf $d
  done
  d=$(mktemp -d); echo "== $s nocache, no INIT"
  CUDA_CACHE_PATH=$d bench/tmp/nt/nt $s -lineinfo --no-cache; rm -rf $d
done
} > $O/nt/nt2.txt 2>&1
export FLASHGEN_CACHE_DIR=$(mktemp -d)
{
for spec in mqa16c gqa328c gqa328n; do
  H=16; splits="1 2 4 8 16"; [[ $spec != mqa16c ]] && { H=32; splits="1 2 4"; }
  for B in 1 4 16; do for N in 1000 2048 4096; do
    for s in $splits; do
      line=$(FLASHGEN_BWD_KV_SPLIT=$s timeout 60 .carry/flashgen run bench/tmp/specs/$spec.attn --backward --no-check --reps 20 --shape $B,$H,$N 2>&1 | tr '\n' ' ')
      bwd=$(echo "$line" | grep -o "bwd=[0-9.]* ms" | head -1); ks=$(echo "$line" | grep -o "kv_split=[0-9]*" | head -1)
      echo "$spec B=$B N=$N force=$s $ks $bwd"
    done
    line=$(timeout 60 .carry/flashgen run bench/tmp/specs/$spec.attn --backward --no-check --reps 20 --shape $B,$H,$N 2>&1 | tr '\n' ' ')
    echo "$spec B=$B N=$N rule $(echo "$line" | grep -o "kv_split=[0-9]*" | head -1) $(echo "$line" | grep -o "bwd=[0-9.]* ms" | head -1)"
  done; done
done
} > $O/split-sweep.txt 2>&1
.carry/flashgen-gpu-tests --gtest_filter='GpuForward.ChecksLookupsWhenAsked' > $O/checked-lookups.txt 2>&1; echo "rc=$?" >> $O/checked-lookups.txt
MASK_BENCH_TIMEOUT=170 bash bench/device-run.sh masks --dims 64,128 --seqlens 2048,8192 --masks causal,docs_arith,docs_tensor,dilated > $O/masks-run.txt 2>&1
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
