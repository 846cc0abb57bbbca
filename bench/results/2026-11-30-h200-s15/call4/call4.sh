#!/usr/bin/env bash
# Session 15, call 4: the backward compiled as one NVRTC program per
# compile unit, side by side; A/B against one program in the same call.
cd "$(dirname "$0")/../.."
start=$(date +%s)
c=.carry
bash bench/device-run.sh tests-all 'GpuBackward.JitsBesideTheForward:GpuBackward.SplitsGroupHeadsAtShortSequences:GpuBackward.UnequalHeadDims:GpuBackward.RejectsBadArguments:GpuBackward.ScoreExpressionsGetTheirGradients' > "$OUT/tests-log.txt" 2>&1
echo "tests: $(( $(date +%s) - start )) s" >> "$OUT/tests-log.txt"
for spec in examples/*.attn; do
  for mode in units one; do
    jc=$(mktemp -d)
    if [[ $mode == one ]]; then export FLASHGEN_JIT_ONE_PROGRAM=1; else unset FLASHGEN_JIT_ONE_PROGRAM; fi
    echo "mode=$mode"
    CUDA_CACHE_PATH=$jc/nv FLASHGEN_CACHE_DIR=$jc FLASHGEN_TUNING_DB=off timeout 60 $c/flashgen-bench --jit "$spec" 2>&1
    rm -rf "$jc"
  done
done > "$OUT/jit-ab.txt"
unset FLASHGEN_JIT_ONE_PROGRAM
echo "total: $(( $(date +%s) - start )) s" >> "$OUT/tests-log.txt"
