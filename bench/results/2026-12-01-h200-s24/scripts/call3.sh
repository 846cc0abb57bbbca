#!/usr/bin/env bash
# Session 24 call 3: the backward's instruction count (ncu, call 2: ours
# issues 1.32x / 1.52x cuDNN's instructions, non-causal / causal, at the
# same issue rate). Binaries (.carry-ab): staged-rows (== main f1c2b2f);
# p-allkept (P recompute without per-element keep tests on fully kept
# tiles); desc-add (+ wgmma descriptors as one add, uniform registers;
# forward too); desc-late (+ late-dk). Float64 checks, backward A/B,
# forward A/B (main vs desc-add), ncu instruction counts.
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
mk() { printf 'attention %s {\n  dtype = %s;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" "$5" > /tmp/$1.attn; }
NL=$'\n'
mk d128 bf16 128 16 ""
mk c128 bf16 128 16 "  mask = causal;$NL"
mk d64 bf16 64 32 ""
mk c64 bf16 64 32 "  mask = causal;$NL"
mk f128 f16 128 16 "  mask = causal;$NL  score = 30.0 * tanh(score / 30.0);$NL"
mk dt128 bf16 128 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk gq bf16 128 8 "  kv_heads = 2;$NL  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL  score = 30.0 * tanh(score / 30.0);$NL"
mk dr128 bf16 128 16 "  dropout = 0.1;$NL"
mk f8 fp8_e4m3 128 16 ""
mk d256 bf16 256 8 "  mask = causal;$NL"
# (1) float64 checks: backward of the three branches, forward of desc-add
{ for bin in p-allkept desc-add desc-late; do for s in 1,4,17,17 1,4,1000,1000 2,4,333,555 1,4,1025,333; do for v in d128 c128 c64 f128 dt128 gq dr128; do
  echo "$bin bwd $v $s $(FLASHGEN_CACHE_DIR=/tmp/c-$bin timeout 90 .carry-ab/flashgen-$bin run /tmp/$v.attn --backward --shape $s 2>&1 | grep -E 'dQ=|rror' | tr '\n' ' ')"
done; done; done
  for s in 1,4,1,1 1,4,17,17 2,4,1000,1000 1,4,4097,333; do for v in d128 c128 d64 c64 f128 dt128 gq f8 d256; do
  echo "desc-add fwd $v $s $(FLASHGEN_CACHE_DIR=/tmp/c-desc-add timeout 90 .carry-ab/flashgen-desc-add run /tmp/$v.attn --shape $s 2>&1 | grep -E 'rel_err|^ok|rror' | tr '\n' ' ')"
  done; done
} > $O/check.txt 2>&1
echo "checks $(( $(date +%s) - t0 )) s" >> $O/times.txt
# (2) backward A/B, four binaries
{ AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/d128.attn 8,16,2048 1,16,16384
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/c128.attn 8,16,2048 2,16,8192
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/c64.attn 4,32,4096
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/dt128.attn 8,16,2048 1,16,16384
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/gq.attn 4,8,8192; } > $O/ab-bwd.txt 2>&1
echo "ab-bwd $(( $(date +%s) - t0 )) s" >> $O/times.txt
# (3) forward A/B, main vs desc-add
export AB_BINS="staged-rows desc-add"
{ AB_TIMEOUT=60 bash bench/ab-run.sh /tmp/d128.attn 8,16,2048 2,16,8192 32,16,512
  AB_TIMEOUT=60 bash bench/ab-run.sh /tmp/c128.attn 8,16,2048 1,16,16384
  AB_TIMEOUT=60 bash bench/ab-run.sh /tmp/d64.attn 4,32,4096
  AB_TIMEOUT=60 bash bench/ab-run.sh /tmp/f8.attn 2,16,8192
  AB_TIMEOUT=60 bash bench/ab-run.sh /tmp/dt128.attn 1,16,16384
  AB_TIMEOUT=60 bash bench/ab-run.sh /tmp/d256.attn 2,8,8192; } > $O/ab-fwd.txt 2>&1
unset AB_BINS
echo "ab-fwd $(( $(date +%s) - t0 )) s" >> $O/times.txt
# (4) ncu: instructions and time of the fused backward, main vs desc-add
M=gpu__time_duration.sum,smsp__inst_executed.sum,sm__pipe_tensor_op_gmma_cycles_active.avg.pct_of_peak_sustained_elapsed,smsp__issue_active.avg.pct_of_peak_sustained_elapsed
for bin in staged-rows desc-add; do for v in d128 c128; do
  echo "== $bin $v" >> $O/ncu.txt
  FLASHGEN_CACHE_DIR=/tmp/c-$bin timeout 90 ncu --clock-control none --metrics $M --kernel-name regex:flashgen_bwd_fused --launch-count 1 \
     .carry-ab/flashgen-$bin run /tmp/$v.attn --backward --no-check --reps 1 --shape 2,16,8192 2>&1 | grep -E "^\s+(gpu__|sm__|smsp__)" >> $O/ncu.txt
done; done
echo "ncu $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
grep -c "dQ=" $O/check.txt; grep "bwd" $O/check.txt | grep -v "nan=0" | head; echo "fwd ok: $(grep fwd $O/check.txt | grep -c "ok: matches")"; grep fwd $O/check.txt | grep -v "ok: matches" | head; cat $O/ab-bwd.txt $O/ab-fwd.txt $O/ncu.txt $O/times.txt
