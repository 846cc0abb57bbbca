#!/usr/bin/env bash
# Session 23, call 3: staged mask columns (branch staged-columns).
#   here:  scripts/ab-build.sh main staged-columns; on the branch:
#          scripts/device-prep.sh
#   carry: .carry/libflashgen.so .carry/flashgen-gpu-tests .carry/flashgen-bench .carry-ab
# (1) the forward GPU tests on the branch's build, side by side with
# (2) float64 checks of document masks and random specs through the
# branch's CLI; then (3) A/B timing main vs branch; (4) the masks bench
# (docs from a tensor and arithmetic) on the branch's library; (5) disk
# hits with and without -lineinfo.
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; A=.carry-ab; t0=$(date +%s)
(OUT=$O/t GPU_TEST_TIMEOUT=330 bash bench/device-run.sh tests-all 'GpuForward.*' > $O/tests.txt 2>&1) &
mk() { printf 'attention %s {\n  dtype = %s;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" "$5" > /tmp/$1.attn; }
NL=$'\n'
mk dt128 bf16 128 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk dt64 bf16 64 32 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk dn128 bf16 128 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = doc_id[b, q] == doc_id[b, k];$NL"
mk kb2 f16 128 8 "  tensor kb : f32[heads, seq_k];$NL  tensor doc_id : i32[batch, seq_k];$NL  mask = kb[h, k] > -0.3 && doc_id[b, q] == doc_id[b, k];$NL"
mk gq bf16 128 32 "  kv_heads = 8;$NL  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL  score = 30.0 * tanh(score / 30.0);$NL"
python3 bench/random_specs.py --count 12 --seed 23 --out /tmp/rs > /dev/null
{ for s in 1,4,17,17 2,4,1000,1000 1,4,4097,4097 3,4,333,1025 2,4,1025,333; do
  for v in /tmp/dt128.attn /tmp/dt64.attn /tmp/dn128.attn /tmp/kb2.attn /tmp/gq.attn; do
    echo "$v $s $(FLASHGEN_CACHE_DIR=/tmp/c-chk timeout 60 $A/flashgen-staged-columns run $v --shape $s 2>&1 | grep -E 'rel_err|rror' | tr '\n' ' ')"
  done
done
for v in /tmp/rs/*.attn; do for s in 2,4,1000,1000 1,4,4097,4097; do
  echo "$v $s $(FLASHGEN_CACHE_DIR=/tmp/c-chk timeout 60 $A/flashgen-staged-columns run $v --shape $s 2>&1 | grep -E 'rel_err|rror' | tr '\n' ' ')"
done; done; } > $O/check.txt 2>&1
wait
echo "tests+checks $(( $(date +%s) - t0 )) s" >> $O/times.txt
runs=("dt128 8,16,2048" "dt128 1,16,16384" "dt64 8,32,2048" "dt64 1,32,16384" "dn128 8,16,2048" "dn128 2,16,8192" "gq 2,32,8192")
{ for round in 1 2; do for r in "${runs[@]}"; do set -- $r
  line="r$round $1 $2"
  for b in main staged-columns; do
    t=$(FLASHGEN_CACHE_DIR=/tmp/c-$b timeout 60 $A/flashgen-$b run /tmp/$1.attn --no-check --cold-l2 --reps 30 --shape $2 2>&1 | grep -o 'time=[0-9.]* ms' | tr '\n' ' ')
    line="$line | $b ${t:-failed}"
  done
  echo "$line"
done; done; } > $O/ab.txt 2>&1
echo "ab $(( $(date +%s) - t0 )) s" >> $O/times.txt
bash scripts/install-python.sh --library .carry/libflashgen.so > $O/install.txt 2>&1
PYTHONUNBUFFERED=1 timeout 200 python3 bench/mask_bench.py --masks docs_arith,docs_tensor \
  --dims 64,128 --seqlens 2048,16384 --out $O > $O/masks.txt 2>&1
echo "masks $(( $(date +%s) - t0 )) s" >> $O/times.txt
{ for e in mha_bf16 document_mask prefix_lm sparse_layout softcap; do for li in 0 1; do
  jc=$(mktemp -d)
  FLASHGEN_LINEINFO=$li CUDA_CACHE_PATH=$jc/nv FLASHGEN_CACHE_DIR=$jc FLASHGEN_TUNING_DB=off \
    .carry/flashgen-bench --jit examples/$e.attn 2>&1 | sed "s/^/lineinfo=$li /"
  rm -rf $jc
done; done; } > $O/lineinfo.txt 2>&1
echo "all $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
grep -c rel_err $O/check.txt; grep -v "nan=0" $O/check.txt | head -20; cat $O/ab.txt; grep '^|' $O/masks.txt; grep -o "lineinfo=. jit [^ ]* cold_total_s=[0-9.]*\|disk_hit_total_ms=[0-9.]* ([^)]*)" $O/lineinfo.txt; tail -5 $O/tests.txt; cat $O/times.txt
