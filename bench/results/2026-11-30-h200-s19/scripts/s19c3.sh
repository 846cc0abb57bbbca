#!/usr/bin/env bash
# Session 19 call 3: the JIT under 8 processes x 8 threads (GPU test); the
# checked build on seq_q != seq_k; where decoding's time goes (ncu per
# kernel, clocks free) for flashgen and cuDNN/FA2.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
FLASHGEN_GPU_REPORT=$O/cases.txt timeout 300 $c/flashgen-gpu-tests --gtest_filter='GpuJit.*' > $O/gtest.log 2>&1; echo "gtest rc=$?" >> $O/gtest.log
echo "tests $(( $(date +%s) - t0 )) s" > $O/times.txt
for sh in 2,4,1000,600 2,4,600,1000; do echo "== checked document_mask $sh"; timeout 60 $c/flashgen run examples/document_mask.attn --check-lookups --backward --shape $sh 2>&1; echo "rc=$?"; done > $O/checked.txt 2>&1
printf 'attention d32 {\n  dtype = bf16;\n  head_dim = 128;\n  heads = 32;\n  kv_heads = 8;\n  mask = causal(bottom_right);\n}\n' > /tmp/d32.attn
M=gpu__time_duration.sum,launch__grid_size,launch__block_size,dram__bytes_read.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,sm__throughput.avg.pct_of_peak_sustained_elapsed
export FLASHGEN_CACHE_DIR=/tmp/c-dec
{ for sh in 1,32,1,4096 1,32,1,32768 8,32,1,4096 8,32,1,32768; do for s in auto 8 16 32; do
  [[ $s != auto && $sh != 1,32,1,4096 && $sh != 1,32,1,32768 ]] && continue
  FLASHGEN_FWD_KV_SPLITS=$s $c/flashgen run /tmp/d32.attn --no-check --reps 2 --shape $sh > /dev/null 2>&1
  echo "== flashgen $sh splits=$s: $(FLASHGEN_FWD_KV_SPLITS=$s $c/flashgen run /tmp/d32.attn --no-check --reps 50 --shape $sh 2>&1 | grep -o 'packed_heads=[0-9]*\|kv_splits=[0-9]*\|time=[0-9.]* ms' | tr '\n' ' ')"
  FLASHGEN_FWD_KV_SPLITS=$s timeout 60 ncu --clock-control none --metrics $M --csv $c/flashgen run /tmp/d32.attn --no-check --reps 3 --shape $sh 2>/dev/null | grep -v "^==PROF" | tail -n +1
done; done
for be in cudnn flash; do for sh in "1 4096" "1 32768" "8 4096" "8 32768"; do
  echo "== $be $sh"; timeout 60 ncu --clock-control none --metrics $M --csv python3 bench/tmp/cudnn_decode.py $sh $be 2>/dev/null | grep -v "^==PROF"
done; done; } > $O/decode-ncu.csv 2>&1
echo "ncu $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
