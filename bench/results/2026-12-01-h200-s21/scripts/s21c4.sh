#!/usr/bin/env bash
# Session 21 call 4: the kvcache API's several query rows through SDPA's
# layout (tests + bench), more splits at batch 1 x 4k, and the JIT line.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
export FLASHGEN_CACHE_DIR=/tmp/c-s21
( bash scripts/install-python.sh --library $c/libflashgen.so > $O/install.txt 2>&1; echo "install rc=$?" >> $O/install.txt ) &
printf 'attention dec {\n  dtype = bf16;\n  head_dim = 128;\n  heads = 32;\n  kv_heads = 8;\n  mask = causal(bottom_right);\n}\n' > /tmp/dec.attn
{ for round in 1 2; do for sh in 1,32,1,4096 1,32,4,4096 1,32,16,4096 1,32,1,32768; do
  for sp in auto 8 16 32; do for pk in true false; do
    t=$(FLASHGEN_FWD_KV_SPLITS=$sp timeout 30 $c/flashgen run /tmp/dec.attn --no-check --cold-l2 --reps 50 --layout bhsd --pack-gqa-rows=$pk --shape $sh 2>&1 | grep -o 'time=[0-9.]* ms\|kv_splits=[0-9]*' | tr '\n' ' ')
    echo "r$round $sh splits=$sp pack=$pk $t"
  done; done; done; done; } > $O/splits.txt 2>&1
echo "splits $(( $(date +%s) - t0 )) s" >> $O/times.txt
wait
(cd python && PYTHONUNBUFFERED=1 timeout 120 python3 -m pytest -q tests/gpu/test_kvcache_gpu.py > $O/pytest.txt 2>&1; echo "pytest rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt)
timeout 150 python3 bench/kvcache_bench.py > $O/kvcache.md 2>&1
echo "kvbench rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
mkdir -p $O/jit && OUT=$O/jit timeout $(( 560 - ($(date +%s) - t0) )) bash bench/device-run.sh jit 3 8 > $O/jit-run.txt 2>&1
echo "jit rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
tail -3 $O/pytest.txt; cat $O/times.txt; cat $O/kvcache.md; cat $O/splits.txt | head -40
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
