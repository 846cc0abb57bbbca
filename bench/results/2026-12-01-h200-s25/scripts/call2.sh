#!/usr/bin/env bash
# Session 25, call 2: GPU tests + float64 checks of ds-gated (ds-under-dv with
# the packed dS path only at value head dims <= 64), backward A/B of main,
# partial-select, fast-divisor, ds-under-dv, ds-gated, then the JIT line
# (new-process disk hits) on ds-gated's flashgen-bench.
#   here:  scripts/ab-build.sh main partial-select fast-divisor ds-under-dv ds-gated
#          (on ds-gated) scripts/device-prep.sh; pack .carry + .carry-ab into
#          .carry-pack/bins.tar.xz; carry .carry-pack
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
(OUT=$O/t GPU_TEST_TIMEOUT=300 bash bench/device-run.sh tests-all 'GpuBackward.*' > $O/tests.txt 2>&1) &
mk() { printf 'attention %s {\n  dtype = %s;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" "$5" > /tmp/$1.attn; }
NL=$'\n'
mk d128 bf16 128 16 ""
mk d64 bf16 64 32 ""
mk c128 bf16 128 16 "  mask = causal;$NL"
mk c64 bf16 64 32 "  mask = causal;$NL"
mk dt128 bf16 128 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk dt64 bf16 64 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk dil64 bf16 64 16 "  mask = (q - k) % 4 == 0;$NL"
mk win64 bf16 64 16 "  mask = causal && q - k < 1024;$NL"
mk pl64 f16 64 16 "  tensor prefix : i32[batch];$NL  mask = k <= q || k < prefix[b];$NL"
mk gq bf16 128 8 "  kv_heads = 2;$NL  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL  score = 30.0 * tanh(score / 30.0);$NL"
{ for s in 1,4,17,17 1,4,1000,1000 2,4,333,555 1,4,1025,333 1,4,4097,4097; do
  for v in d128 d64 c128 c64 dt128 dt64 dil64 win64 pl64 gq; do
    echo "ds-gated $v $s $(FLASHGEN_CACHE_DIR=/tmp/c-g timeout 120 .carry/flashgen run /tmp/$v.attn --backward --shape $s 2>&1 | grep -E 'dQ=|rror' | tr '\n' ' ')"
  done; done
  for v in c64 dt64 dil64; do
    echo "ds-gated det $v $(FLASHGEN_CACHE_DIR=/tmp/c-g timeout 120 .carry/flashgen run /tmp/$v.attn --backward --deterministic --shape 2,4,1000 2>&1 | grep -E 'dQ=|rror' | tr '\n' ' ')"
  done; } > $O/check.txt 2>&1
wait
echo "tests+checks $(( $(date +%s) - t0 )) s" >> $O/times.txt
{ AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/d128.attn 8,16,2048 1,16,16384
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/d64.attn 4,32,4096
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/dil64.attn 8,16,2048 1,16,16384
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/win64.attn 1,16,16384
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/c64.attn 4,32,4096
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/dt64.attn 8,16,2048
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/dt128.attn 8,16,2048
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/c128.attn 2,16,8192; } > $O/ab.txt 2>&1
echo "ab $(( $(date +%s) - t0 )) s" >> $O/times.txt
left=$(( 585 - ($(date +%s) - t0) )); ((left < 20)) && left=20
(OUT=$O/j timeout $left bash bench/device-run.sh jit 8 8 > $O/jit-summary.txt 2>&1)
echo "all $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
grep -c "dQ=" $O/check.txt; grep -v "nan=0" $O/check.txt | head; cat $O/ab.txt | sort -k3,3 -k4,4 | awk '{print $3, $4, $5}' | sort | uniq -c | head -0
cat $O/ab.txt; tail -3 $O/tests.txt; cat $O/jit-summary.txt | tail -16; cat $O/times.txt
