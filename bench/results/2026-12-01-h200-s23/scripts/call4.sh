#!/usr/bin/env bash
# Session 23, call 4: (1) A/B main (staged columns merged) vs branch
# mask-partial-only, with float64 checks of the branch; (2) the Python GPU
# attention / flash-attn / fp8 tests on main's library; (3) the JIT line.
#   here:  scripts/ab-build.sh main mask-partial-only; .carry from main
#   carry: .carry/libflashgen.so .carry/flashgen-bench .carry-ab
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; A=.carry-ab; t0=$(date +%s)
mk() { printf 'attention %s {\n  dtype = %s;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" "$5" > /tmp/$1.attn; }
NL=$'\n'
mk dt128 bf16 128 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk dt64 bf16 64 32 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk dil128 bf16 128 16 "  mask = (q - k) % 4 == 0;$NL"
mk dil64 bf16 64 32 "  mask = (q - k) % 4 == 0;$NL"
mk gq bf16 128 32 "  kv_heads = 8;$NL  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL  score = 30.0 * tanh(score / 30.0);$NL"
mk c128 bf16 128 16 "  mask = causal;$NL"
{ for s in 1,4,17,17 2,4,1000,1000 1,4,4097,4097 3,4,333,1025; do
  for v in dt128 dt64 dil128 dil64 gq c128; do
    echo "$v $s $(FLASHGEN_CACHE_DIR=/tmp/c-chk timeout 60 $A/flashgen-mask-partial-only run /tmp/$v.attn --shape $s 2>&1 | grep -E 'rel_err|rror' | tr '\n' ' ')"
  done; done; } > $O/check.txt 2>&1
runs=("dt128 8,16,2048" "dt128 1,16,16384" "dt64 8,32,2048" "dil128 8,16,2048" "dil64 1,32,16384" "gq 2,32,8192" "c128 8,16,2048")
{ for round in 1 2; do for r in "${runs[@]}"; do set -- $r
  line="r$round $1 $2"
  for b in main mask-partial-only; do
    t=$(FLASHGEN_CACHE_DIR=/tmp/c-$b timeout 60 $A/flashgen-$b run /tmp/$1.attn --no-check --cold-l2 --reps 30 --shape $2 2>&1 | grep -o 'time=[0-9.]* ms' | tr '\n' ' ')
    line="$line | $b ${t:-failed}"
  done
  echo "$line"
done; done; } > $O/ab.txt 2>&1
echo "ab $(( $(date +%s) - t0 )) s" >> $O/times.txt
bash scripts/install-python.sh --library .carry/libflashgen.so > $O/install.txt 2>&1
(cd python && PYTHONUNBUFFERED=1 timeout 170 python3 -m pytest -q -p no:cacheprovider -x \
  tests/gpu/test_attention_api.py tests/gpu/test_flash_attn_api.py tests/gpu/test_fp8.py > $O/pytest.txt 2>&1; echo "pytest rc=$?" >> $O/times.txt)
echo "pytest $(( $(date +%s) - t0 )) s" >> $O/times.txt
OUT=$O/jit timeout 200 bash bench/device-run.sh jit 8 8 > $O/jit-summary.txt 2>&1
echo "all $(( $(date +%s) - t0 )) s" >> $O/times.txt
cp $O/jit/jit.txt $O/jit.txt 2>/dev/null
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
grep -c rel_err $O/check.txt; grep -v "nan=0" $O/check.txt | head; cat $O/ab.txt; tail -3 $O/pytest.txt; cat $O/jit-summary.txt; grep -o "jit [^ ]* cold_total_s=[0-9.]*" $O/jit.txt | sort -t= -k2 -n | tr '\n' ';'; cat $O/times.txt
