#!/usr/bin/env bash
# Session 24 call 2: late dK steps in the warp-specialized backward (branches
# late-dk: 2 of 4 query steps behind dQ; late-dk3: 3 of 4) vs main
# (.carry-ab/flashgen-staged-rows == main f1c2b2f): float64 checks, then
# backward A/B; ncu launch facts of cuDNN's backward beside ours.
#   here: scripts/ab-build.sh late-dk late-dk3 (+ staged-rows); carry .carry-ab
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
S=bench/results/2026-12-01-h200-s24/scripts
mk() { printf 'attention %s {\n  dtype = %s;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" "$5" > /tmp/$1.attn; }
NL=$'\n'
mk d128 bf16 128 16 ""
mk c128 bf16 128 16 "  mask = causal;$NL"
mk f128 f16 128 16 "  mask = causal;$NL  score = 30.0 * tanh(score / 30.0);$NL"
mk dt128 bf16 128 16 "  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL"
mk gq bf16 128 8 "  kv_heads = 2;$NL  tensor doc_id : i32[batch, seq_k];$NL  mask = causal && doc_id[b, q] == doc_id[b, k];$NL  score = 30.0 * tanh(score / 30.0);$NL"
mk dr128 bf16 128 16 "  dropout = 0.1;$NL"
# (1) float64 checks of both branches' backward
{ for bin in late-dk late-dk3; do for s in 1,4,17,17 1,4,1000,1000 2,4,333,555 1,4,1025,333; do for v in d128 c128 f128 dt128 gq dr128; do
  echo "$bin $v $s $(FLASHGEN_CACHE_DIR=/tmp/c-$bin timeout 90 .carry-ab/flashgen-$bin run /tmp/$v.attn --backward --shape $s 2>&1 | grep -E 'dQ=|rror' | tr '\n' ' ')"
done; done; done
  echo "late-dk det $(FLASHGEN_CACHE_DIR=/tmp/c-late-dk timeout 90 .carry-ab/flashgen-late-dk run /tmp/c128.attn --backward --deterministic --shape 2,4,1000 2>&1 | grep -E 'dQ=|rror|ident' | tr '\n' ' ')"
} > $O/check.txt 2>&1
echo "checks $(( $(date +%s) - t0 )) s" >> $O/times.txt
# (2) backward A/B
{ AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/d128.attn 8,16,2048 1,16,16384 32,16,512
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/c128.attn 8,16,2048 2,16,8192
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/dt128.attn 8,16,2048 1,16,16384
  AB_TIMEOUT=60 bash bench/ab-run.sh --backward /tmp/gq.attn 4,8,8192; } > $O/ab.txt 2>&1
echo "ab $(( $(date +%s) - t0 )) s" >> $O/times.txt
# (3) ncu: cuDNN's backward kernels (and flash's) beside ours, d128 2x16x8192
M=gpu__time_duration.sum,sm__throughput.avg.pct_of_peak_sustained_elapsed,smsp__inst_executed.sum,sm__pipe_tensor_op_gmma_cycles_active.avg.pct_of_peak_sustained_elapsed,lts__t_bytes.sum,dram__bytes.sum,launch__grid_size,launch__block_size,launch__registers_per_thread,launch__shared_mem_per_block_dynamic,launch__shared_mem_per_block_static,sm__ctas_launched.sum
for c in 0 1; do
  echo "== cudnn causal=$c" >> $O/ncu.txt
  timeout 90 ncu --clock-control none --metrics $M --launch-skip 4 --launch-count 8 \
     python3 $S/sdpa_bwd_one.py cudnn 2 16 8192 128 $c 2>&1 | grep -E "^\s+(gpu__|sm__|smsp__|launch__|lts__|dram__)|^  [a-zA-Z_].*\(" >> $O/ncu.txt
  echo "== flashgen causal=$c" >> $O/ncu.txt
  v=$([[ $c == 1 ]] && echo c128 || echo d128)
  FLASHGEN_CACHE_DIR=/tmp/c-late-dk timeout 90 ncu --clock-control none --metrics $M --kernel-name regex:flashgen_bwd --launch-count 6 \
     .carry-ab/flashgen-late-dk run /tmp/$v.attn --backward --no-check --reps 1 --shape 2,16,8192 2>&1 | grep -E "^\s+(gpu__|sm__|smsp__|launch__|lts__|dram__)|^  [a-zA-Z_].*\(" >> $O/ncu.txt
done
echo "ncu $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
grep -c "dQ=" $O/check.txt; grep -v "nan=0" $O/check.txt | head; cat $O/ab.txt; cat $O/times.txt
