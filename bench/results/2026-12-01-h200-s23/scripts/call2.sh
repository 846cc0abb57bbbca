#!/usr/bin/env bash
# Session 23, call 2: (1) A/B of the forward's mask code in one copy
# (branch mask-one-copy) vs main on document masks, with float64 checks;
# (2) documents from arithmetic vs from a tensor (what the lookups cost);
# (3) the JIT line (every example, 8 random specs).
#   here:  scripts/ab-build.sh main mask-one-copy; scripts/device-prep.sh
#   carry: .carry/libflashgen.so .carry/flashgen-bench .carry-ab
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; A=.carry-ab; t0=$(date +%s)
mk() { printf 'attention %s {\n  dtype = %s;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" "$5" > /tmp/$1.attn; }
NL=$'\n'
mk dt128 bf16 128 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk dt64 bf16 64 32 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk dn128 bf16 128 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = doc_id[b, q] == doc_id[b, k];$NL"
for s in 1,4,17,17 2,4,1000,1000 1,4,4097,4097 3,4,333,1025; do
  for v in dt128 dt64 dn128; do
    FLASHGEN_CACHE_DIR=/tmp/c-chk timeout 60 $A/flashgen-mask-one-copy run /tmp/$v.attn --shape $s 2>&1 |
      grep -E "rel_err|rror" | tr '\n' ' '; echo
  done
done > $O/check.txt 2>&1
echo "checks $(( $(date +%s) - t0 )) s" >> $O/times.txt
runs=("dt128 8,16,2048" "dt128 1,16,16384" "dt64 8,32,2048" "dt64 1,32,16384" "dn128 8,16,2048" "dn128 2,16,8192")
{ for round in 1 2; do for r in "${runs[@]}"; do set -- $r
  line="r$round $1 $2"
  for b in main mask-one-copy; do
    t=$(FLASHGEN_CACHE_DIR=/tmp/c-$b timeout 60 $A/flashgen-$b run /tmp/$1.attn --no-check --cold-l2 --reps 30 --shape $2 2>&1 | grep -o 'time=[0-9.]* ms' | tr '\n' ' ')
    line="$line | $b ${t:-failed}"
  done
  echo "$line"
done; done; } > $O/ab.txt 2>&1
echo "ab $(( $(date +%s) - t0 )) s" >> $O/times.txt
bash scripts/install-python.sh --library .carry/libflashgen.so > $O/install.txt 2>&1
PYTHONUNBUFFERED=1 timeout 240 python3 bench/mask_bench.py --masks docs_arith,docs_tensor,causal \
  --dims 64,128 --seqlens 2048,16384 --out $O > $O/masks.txt 2>&1
echo "masks $(( $(date +%s) - t0 )) s" >> $O/times.txt
OUT=$O/jit timeout 280 bash bench/device-run.sh jit 8 8 > $O/jit-summary.txt 2>&1
echo "jit $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
cat $O/check.txt $O/ab.txt; grep -v "^#" $O/masks.txt | tail -30; cat $O/jit-summary.txt $O/times.txt
