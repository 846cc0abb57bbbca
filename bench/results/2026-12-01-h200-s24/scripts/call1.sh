#!/usr/bin/env bash
# Prepared in session 23 for the next session's first device call: the
# staged mask rows of the warp-specialized backward (branch staged-rows,
# not GPU-run yet).
#   here:  scripts/ab-build.sh main staged-rows
#          git checkout staged-rows && scripts/device-prep.sh
#   carry: .carry/libflashgen.so .carry/flashgen-gpu-tests .carry-ab
#   run:   bash bench/results/2026-12-01-h200-s23/scripts/next-call.sh
# Then: merge staged-rows if the backward GPU tests pass and it wins.
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
# (1) the backward GPU tests on the branch's build (their float64
# references are slow: side by side, bounded)
(OUT=$O/t GPU_TEST_TIMEOUT=400 bash bench/device-run.sh tests-all 'GpuBackward.*' > $O/tests.txt 2>&1) &
mk() { printf 'attention %s {\n  dtype = %s;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" "$5" > /tmp/$1.attn; }
NL=$'\n'
mk dt128 bf16 128 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk dt64 bf16 64 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk dn128 bf16 128 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = doc_id[b, q] == doc_id[b, k];$NL"
mk gq bf16 128 8 "  kv_heads = 2;$NL  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL  score = 30.0 * tanh(score / 30.0);$NL"
# (2) float64 checks of the branch's backward through its CLI
{ for s in 1,4,17,17 1,4,1000,1000 2,4,333,555 1,4,1025,333; do for v in dt128 dt64 dn128 gq; do
  echo "$v $s $(FLASHGEN_CACHE_DIR=/tmp/c-chk timeout 90 .carry-ab/flashgen-staged-rows run /tmp/$v.attn --backward --shape $s 2>&1 | grep -E 'dQ=|rror' | tr '\n' ' ')"
done; done; } > $O/check.txt 2>&1
wait
echo "tests+checks $(( $(date +%s) - t0 )) s" >> $O/times.txt
# (3) backward A/B, main vs branch
{ for v in dt128 dn128; do AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/$v.attn 8,16,2048 1,16,16384; done
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/dt64.attn 8,16,2048 1,16,16384
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/gq.attn 4,8,8192; } > $O/ab.txt 2>&1
echo "ab $(( $(date +%s) - t0 )) s" >> $O/times.txt
# (4) the masks bench's documents on the branch's library (backward vs Flex)
bash scripts/install-python.sh --library .carry/libflashgen.so > $O/install.txt 2>&1
PYTHONUNBUFFERED=1 timeout 200 python3 bench/mask_bench.py --masks docs_arith,docs_tensor \
  --dims 64,128 --seqlens 2048,16384 --out $O > $O/masks.txt 2>&1
echo "all $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
grep -c "dQ=" $O/check.txt; grep -v "nan=0" $O/check.txt | head; cat $O/ab.txt; grep '^|' $O/masks.txt; tail -3 $O/tests.txt; cat $O/times.txt
