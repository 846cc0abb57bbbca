#!/usr/bin/env bash
# Session 22 call 4: where the fp8 forward's time goes: ncu pipe use and
# stalls of the fp8 and bf16 kernels at 2 x 16 x 8192 (d128, non-causal).
set -u
O=$OUT; c=.carry; t0=$(date +%s)
export FLASHGEN_CACHE_DIR=/tmp/c-s22
mk() { printf 'attention %s {\n  dtype = %s;\n  head_dim = 128;\n  heads = 16;\n%s}\n' "$1" "$2" "$3" > /tmp/$1.attn; }
mk f8 fp8_e4m3 ''; mk b16 bf16 ''
M=gpu__time_duration.sum,sm__pipe_tensor_op_gmma_cycles_active.avg.pct_of_peak_sustained_active,sm__inst_executed_pipe_xu.avg.pct_of_peak_sustained_active,sm__pipe_fma_cycles_active.avg.pct_of_peak_sustained_active,sm__pipe_alu_cycles_active.avg.pct_of_peak_sustained_active,smsp__issue_active.avg.pct_of_peak_sustained_active,sm__inst_executed.sum,sm__inst_executed_pipe_xu.sum,sm__inst_executed_pipe_fma.sum,sm__inst_executed_pipe_alu.sum
for v in f8 b16; do
  $c/flashgen run /tmp/$v.attn --no-check --reps 2 --shape 2,16,8192 > /dev/null 2>&1
  timeout 200 ncu --kernel-name regex:flashgen_fwd --launch-skip 1 --launch-count 1 --metrics $M \
    --section WarpStateStats $c/flashgen run /tmp/$v.attn --no-check --reps 2 --shape 2,16,8192 > $O/ncu-$v.txt 2>&1
  echo "$v $(( $(date +%s) - t0 )) s" >> $O/times.txt
done
grep -vE "^==PROF==|^  *-+ *$" $O/ncu-f8.txt | tail -45; grep -E "duration|pct|inst_executed|Stall|stall" $O/ncu-b16.txt | head -30
cat $O/times.txt
