#!/usr/bin/env bash
# Session 18 call 2: decode split sweep (packed, forced splits) to refit the
# split rule for few-row CTAs; Python kvcache tests (CUDA graph capture) and
# the kvcache path's timing without host reads of the lengths.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
( bash scripts/install-python.sh --library $c/libflashgen.so > $O/install.txt 2>&1
  cd python && PYTHONUNBUFFERED=1 timeout 200 python3 -m pytest -q tests/gpu/test_kvcache_gpu.py > $O/pytest.txt 2>&1; echo "pytest rc=$?" >> $O/pytest.txt ) &
export FLASHGEN_CACHE_DIR=/tmp/c-sw
for g in "32 8" "64 8"; do set -- $g
  printf 'attention d%s {\n  dtype = bf16;\n  head_dim = 128;\n  heads = %s;\n  kv_heads = %s;\n  mask = causal(bottom_right);\n}\n' $1 $1 $2 > /tmp/d$1.attn
  $c/flashgen run /tmp/d$1.attn --no-check --reps 2 --shape 1,$1,1,4096 > /dev/null 2>&1
done
wait
echo "tests $(( $(date +%s) - t0 )) s" > $O/times.txt
{ for h in 32 64; do for b in 1 8; do for nk in 1024 2048 4096 8192 32768; do
  line="h=$h b=$b nk=$nk"
  t=$(FLASHGEN_PACK_GQA=0 timeout 30 $c/flashgen run /tmp/d$h.attn --no-check --reps 50 --shape $b,$h,1,$nk 2>&1 | grep -o 'kv_splits=[0-9]*\|time=[0-9.]*' | tr '\n' ' ')
  line="$line | unpacked auto: $t"
  t=$(timeout 30 $c/flashgen run /tmp/d$h.attn --no-check --reps 50 --shape $b,$h,1,$nk 2>&1 | grep -o 'packed_heads=[0-9]*\|kv_splits=[0-9]*\|time=[0-9.]*' | tr '\n' ' ')
  line="$line | default: $t"
  for s in 1 2 4 8 16 32; do
    t=$(FLASHGEN_PACK_GQA=always FLASHGEN_FWD_KV_SPLITS=$s timeout 30 $c/flashgen run /tmp/d$h.attn --no-check --reps 50 --shape $b,$h,1,$nk 2>&1 | grep -o 'kv_splits=[0-9]*\|time=[0-9.]*' | tr '\n' ' ')
    line="$line | packed s$s: $t"
  done
  echo "$line"
done; done; done; } > $O/split-sweep.txt 2>&1
echo "sweep $(( $(date +%s) - t0 )) s" >> $O/times.txt
timeout 100 python3 bench/tmp/kv_bench.py > $O/kv-bench.md 2>&1
echo "kv $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
