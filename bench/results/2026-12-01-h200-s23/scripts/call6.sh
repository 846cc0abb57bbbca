#!/usr/bin/env bash
# Session 23, call 6: the backward's mask/score code in one copy (branch
# bwd-one-copy): backward GPU tests on the branch's build beside float64
# checks through its CLI, then the backward A/B vs main (bench/ab-run.sh).
#   here:  scripts/ab-build.sh main bwd-one-copy; on the branch: scripts/device-prep.sh
#   carry: .carry/flashgen-gpu-tests .carry-ab
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
(FLASHGEN_CACHE_DIR=/tmp/c-gt timeout 150 .carry/flashgen-gpu-tests \
   --gtest_filter='GpuBackward.EveryExampleAtOddSizes:GpuBackward.ScoreExpressionsGetTheirGradients' \
   > $O/gtest.txt 2>&1; echo "gtest rc=$?" >> $O/times.txt) &
mk() { printf 'attention %s {\n  dtype = %s;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" "$5" > /tmp/$1.attn; }
NL=$'\n'
mk dt128 bf16 128 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk dt64 bf16 64 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk gq bf16 128 8 "  kv_heads = 2;$NL  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL  score = 30.0 * tanh(score / 30.0);$NL"
{ for s in 1,2,17,17 1,2,1000,1000 2,2,333,555; do for v in dt128 dt64 gq; do
  echo "$v $s $(FLASHGEN_CACHE_DIR=/tmp/c-chk timeout 60 .carry-ab/flashgen-bwd-one-copy run /tmp/$v.attn --backward --shape $s 2>&1 | grep -E 'dQ=|rel_err|rror' | tr '\n' ' ')"
done; done; } > $O/check.txt 2>&1
wait
echo "tests+checks $(( $(date +%s) - t0 )) s" >> $O/times.txt
{ AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/dt128.attn 8,16,2048 1,16,16384
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/gq.attn 4,8,8192; } > $O/ab.txt 2>&1
echo "all $(( $(date +%s) - t0 )) s" >> $O/times.txt
cat $O/check.txt $O/ab.txt; grep -E "OK|FAILED|PASSED" $O/gtest.txt | tail -5; cat $O/times.txt
