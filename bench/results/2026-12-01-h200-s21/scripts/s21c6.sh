#!/usr/bin/env bash
# Session 21 call 6: the forward without decoding features (lean) and the
# decoding module, checked vs float64 through `flashgen run` on every
# example (a prefill shape: lean; a decoding shape: split, decoding
# module), the per-entry-length and paged tests, and cold JIT of five specs.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
export FLASHGEN_CACHE_DIR=/tmp/c-s21b
for f in examples/*.attn; do
  h=$(grep -oE '(^|[^_])heads = [0-9]+' $f | head -1 | grep -oE '[0-9]+$'); h=${h:-3}
  a=$(timeout 40 $c/flashgen run $f 2>&1 | grep -oE 'rel_err=[^ ]*|bound [^ )]*|nan=[0-9]+|kv_splits=[0-9]+|error.*|FAIL.*|ok\b|PASS\b' | tr '\n' ' ')
  b=$(timeout 40 $c/flashgen run $f --shape 1,$h,1,3000 2>&1 | grep -oE 'rel_err=[^ ]*|bound [^ )]*|nan=[0-9]+|kv_splits=[0-9]+|error.*|FAIL.*|ok\b|PASS\b' | tr '\n' ' ')
  echo "$(basename $f) | prefill: $a | decode 1x$h x1x3000: $b"
done > $O/run-check.txt 2>&1
echo "runs $(( $(date +%s) - t0 )) s" >> $O/times.txt
timeout 90 $c/flashgen-gpu-tests --gtest_filter='GpuForward.PerEntryKeyLengths:GpuForward.PagedKvCache' > $O/gtest.log 2>&1
echo "gtest rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
for s in mha_bf16 document_mask softcap mqa sparse_runtime; do
  jc=$(mktemp -d); CUDA_CACHE_PATH=$jc/nv FLASHGEN_CACHE_DIR=$jc FLASHGEN_TUNING_DB=off timeout 30 $c/flashgen-bench --jit examples/$s.attn 2>&1 | grep -o 'jit .*cold_total_s=[0-9.]*'; rm -rf $jc
done > $O/jit.txt 2>&1
echo "jit $(( $(date +%s) - t0 )) s" >> $O/times.txt
cat $O/run-check.txt; grep -E "^\[ +(OK|FAILED) |PASSED|FAILED" $O/gtest.log; cat $O/jit.txt $O/times.txt
