#!/usr/bin/env bash
# Session 27, call 6: nvJitLink keeps the driver's compute cache (strings in
# libnvJitLink: "add ptx to cache", "add cubin to cache"; call 5's second
# link of a source took 6 ms); does writing it cost a cold link time, as
# NVRTC's did (session 16)? Cold links with a fresh CUDA_CACHE_PATH per
# process, with and without nvJitLink's -no-cache, twice, interleaved (the
# first source of each process is its warm-up: ignore its row).
#   run: tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s27/scripts/call6.sh
set -u
S=bench/results/2026-12-01-h200-s27/scripts
mkdir -p /tmp/ex
for e in dropout mha_bf16 mqa document_mask softcap; do
  .carry/flashgen compile examples/$e.attn --arch sm_90a -o /tmp/ex/$e.cu > /dev/null 2>&1
done
for rep in 1 2; do
  for cfg in "" "-no-cache"; do
    CUDA_CACHE_PATH=$(mktemp -d) COLDSPLIT_LINK_OPTS="$cfg" REPS=1 timeout 60 python3 $S/coldsplit.py $PWD/templates \
      /tmp/ex/dropout.cu /tmp/ex/mha_bf16.cu /tmp/ex/mqa.cu /tmp/ex/document_mask.cu /tmp/ex/softcap.cu 2>/dev/null |
      grep -v dropout | grep "^| [a-z]" | sed "s/^/rep $rep [${cfg:-cache}] /"
  done
done
