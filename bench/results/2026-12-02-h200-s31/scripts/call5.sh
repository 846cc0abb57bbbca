#!/usr/bin/env bash
# Session 31, call 5: fp8 decoding's split-KV count (the rule is fitted to
# bf16 tiles). Carry .carry-pack (main after call 4); run:
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s31/scripts/call5.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"
echo "attention d8 { dtype = fp8_e4m3; head_dim = 128; heads = 32; kv_heads = 8; mask = causal(bottom_right); }" > /tmp/d8.attn
echo "attention d16 { dtype = bf16; head_dim = 128; heads = 32; kv_heads = 8; mask = causal(bottom_right); }" > /tmp/d16.attn
for shape in 1,32,1,4096 1,32,1,32768 1,32,1,131072 8,32,1,4096 8,32,1,32768; do
  for spec in d8 d16; do
    for n in auto 2 4 8 16 32 64; do
      r=$(FLASHGEN_FWD_KV_SPLITS=$n timeout 60 .carry/flashgen run /tmp/$spec.attn --no-check --reps 50 \
          --cold-l2 --layout bhsd --shape $shape 2>&1 | grep -oE "kv_splits=[0-9]+|time=[0-9.]+ ms" | tr '\n' ' ')
      echo "$shape $spec splits=$n $r"
    done
  done
done | tee "$O/splits.txt"
