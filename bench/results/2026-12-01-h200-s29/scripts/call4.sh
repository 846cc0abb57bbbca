#!/usr/bin/env bash
# Session 29, call 4 (wide-split 0d36600, warm after call 3): compute-sanitizer
# on the d256 backward's two kernels, then the other backward GPU tests that
# reach head dim 256 (GQA splits, JIT beside the forward, score gradients,
# bad arguments, the tuner), side by side.
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s29/scripts/call4.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
F=.carry/flashgen
{
  for tool in racecheck memcheck; do
    for spec in bench/specs/d256_causal.attn examples/softcap.attn; do
      echo "== $tool $spec"
      timeout 100 compute-sanitizer --tool $tool --print-limit 5 $F run $spec --backward --shape 1,2,200,333 2>&1 | tail -4
    done
  done
} > "$O/sanitizer.txt" 2>&1
echo "sanitizer $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
OUT=$O/t GPU_TEST_TIMEOUT=200 bash bench/device-run.sh tests-all \
  'GpuBackward.SplitsGroupHeadsAtShortSequences:GpuBackward.JitsBesideTheForward:GpuBackward.ScoreExpressionsGetTheirGradients:GpuBackward.RejectsBadArguments:GpuBackward.AfterASplitForward:GpuTuner.*' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cd "$O" && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz "$O/all.tgz"
cat "$O/times.txt"; cat "$O/sanitizer.txt"; head -12 "$O/tests.txt"
