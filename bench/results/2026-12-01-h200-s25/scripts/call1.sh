#!/usr/bin/env bash
# Prepared in session 24 for the next session's first device call: three
# backward changes written after the device time ran out (not GPU-run),
# stacked on main in this order:
#   partial-select: masked tiles' P without per-element predication, no
#     sequence-end tests off the edge, staged-row masks unclamped inside;
#   fast-divisor: the item walk's divisions by a multiply-high and shift;
#   ds-under-dv: without dropout or a score modifier, the dS^T math under
#     dV from P^T's packed copy, dS^T stored packed.
#   here:  scripts/ab-build.sh main fast-divisor ds-under-dv
#          git checkout ds-under-dv && scripts/device-prep.sh
#   carry: .carry/libflashgen.so .carry/flashgen-gpu-tests .carry-ab
#          (~66 MB with the tree: if refused, leave out libflashgen.so and
#          part 4)
#   run:   bash bench/results/2026-12-01-h200-s24/scripts/next-call.sh
# Then merge what passes and wins: ds-under-dv (all three), or
# fast-divisor (the first two; its float64 checks are part 2).
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
# (1) the backward GPU tests on ds-under-dv's build (covers all three)
(OUT=$O/t GPU_TEST_TIMEOUT=400 bash bench/device-run.sh tests-all 'GpuBackward.*' > $O/tests.txt 2>&1) &
mk() { printf 'attention %s {\n  dtype = %s;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" "$5" > /tmp/$1.attn; }
NL=$'\n'
mk d128 bf16 128 16 ""
mk c128 bf16 128 16 "  mask = causal;$NL"
mk c64 bf16 64 32 "  mask = causal;$NL"
mk dt128 bf16 128 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk dt64 bf16 64 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk dil128 bf16 128 16 "  mask = (q - k) % 4 == 0;$NL"
mk win128 bf16 128 16 "  mask = causal && q - k < 1024;$NL"
mk pl128 f16 128 16 "  tensor prefix : i32[batch];$NL  mask = k <= q || k < prefix[b];$NL"
mk gq bf16 128 8 "  kv_heads = 2;$NL  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL  score = 30.0 * tanh(score / 30.0);$NL"
mk dr128 bf16 128 16 "  dropout = 0.1;$NL  mask = causal;$NL"
# (2) float64 checks of both branches' backward
{ for bs in "ds-under-dv 1,4,17,17 1,4,1000,1000 2,4,333,555 1,4,1025,333 1,2,4097,4097" \
           "fast-divisor 1,4,1000,1000 2,4,333,555"; do set -- $bs; bin=$1; shift; for s in "$@"; do
  for v in d128 c128 c64 dt128 dt64 dil128 win128 pl128 gq dr128; do
    echo "$bin $v $s $(FLASHGEN_CACHE_DIR=/tmp/c-$bin timeout 120 .carry-ab/flashgen-$bin run /tmp/$v.attn --backward --shape $s 2>&1 | grep -E 'dQ=|rror' | tr '\n' ' ')"
  done; done; done
  for bin in ds-under-dv fast-divisor; do for v in c128 dt128 gq; do
    echo "$bin det $v $(FLASHGEN_CACHE_DIR=/tmp/c-$bin timeout 120 .carry-ab/flashgen-$bin run /tmp/$v.attn --backward --deterministic --shape 2,4,1000 2>&1 | grep -E 'dQ=|rror' | tr '\n' ' ')"
  done; done; } > $O/check.txt 2>&1
wait
echo "tests+checks $(( $(date +%s) - t0 )) s" >> $O/times.txt
# (3) backward A/B: main, fast-divisor, ds-under-dv
{ for v in d128 dt128 dil128 win128; do AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/$v.attn 8,16,2048 1,16,16384; done
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/c128.attn 2,16,8192
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/c64.attn 4,32,4096
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/dt64.attn 8,16,2048
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/gq.attn 4,8,8192; } > $O/ab.txt 2>&1
echo "ab $(( $(date +%s) - t0 )) s" >> $O/times.txt
# (4) masks against FlexAttention on ds-under-dv's library
bash scripts/install-python.sh --library .carry/libflashgen.so > $O/install.txt 2>&1
left=$(( 570 - ($(date +%s) - t0) )); ((left < 30)) && left=30
PYTHONUNBUFFERED=1 timeout $left python3 bench/mask_bench.py --masks docs_tensor,dilated,window \
  --dims 64,128 --seqlens 2048,16384 --out $O > $O/masks.txt 2>&1
echo "all $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
grep -c "dQ=" $O/check.txt; grep -v "nan=0" $O/check.txt | head; cat $O/ab.txt; grep '^|' $O/masks.txt; tail -3 $O/tests.txt; cat $O/times.txt
