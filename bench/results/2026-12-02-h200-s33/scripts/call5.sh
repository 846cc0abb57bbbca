#!/usr/bin/env bash
# Session 33 call 5: the tile-class builder's row bounds (FwdParams::
# tileClassBounds; forward walks start at a row's first non-empty tile) and
# the tuner's per-shape planner bar, on the GPU: the GPU tests that run
# run-time tile classes (documents, block masks, varlen, GQA, decoding) and
# the tuner end to end; then `flashgen tune` at a shape where the planner
# has a by-shape rule (its bar should be that rule's tiling).
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s33/scripts/call5.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
OUT=$O/t GPU_TEST_TIMEOUT=330 bash bench/device-run.sh tests-all \
  'GpuForward.RuntimeBlockMasks:GpuBackward.RuntimeBlockMasks:GpuForward.EveryExampleAtOddSizes:GpuForward.PerEntryKeyLengths:GpuForward.SplitsKeysAtDecodeShapes:GpuForward.PacksGqaQueryHeads:GpuBackward.EveryExampleAtOddSizes:GpuTuner.TunesThenTheJitLaunchesTheWinner' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
FLASHGEN_TUNING_DB=$O/tuning.sqlite timeout 120 .carry/flashgen tune bench/specs/d128_causal.attn \
  --shapes "32,16,512,512;4,16,4096,4096" --budget 30 > "$O/tune.txt" 2>&1
echo "tune rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat "$O/times.txt"; head -12 "$O/tests.txt"; grep -E "TFLOP/s vs" "$O/tune.txt"
cd "$O" && tar czf t.tgz t && rm -rf t
