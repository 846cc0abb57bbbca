#!/usr/bin/env bash
# Session 29, call 5: merged main (wide-split in). The backward GPU tests
# whose checks changed (the d256 fast path is now compared bit for bit:
# BwdNumericsTest's ownDQKernel), the CLI line, and where the d256
# backward's time goes: each kernel's duration under ncu, causal and not.
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s29/scripts/call5.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
F=.carry/flashgen
OUT=$O/t GPU_TEST_TIMEOUT=200 bash bench/device-run.sh tests-all \
  'GpuBackward.WideKernelFeatures:GpuBackward.HeadDims200To256BothDtypes:GpuBackward.EveryExampleAtOddSizes' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
{
  timeout 40 $F run bench/specs/d256_causal.attn --backward --shape 1,4,1000,1000 2>&1 | tail -3
  for spec in d256_none d256_causal; do
    echo "== ncu $spec 2,8,8192"
    timeout 100 ncu -k regex:flashgen_bwd -c 8 --metrics gpu__time_duration.sum --clock-control none \
      $F run bench/specs/$spec.attn --backward --no-check --reps 1 --shape 2,8,8192 2>&1 |
      grep -E "flashgen_bwd|gpu__time_duration" | tail -8
  done
} > "$O/split.txt" 2>&1
echo "split $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cd "$O" && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz "$O/all.tgz"
cat "$O/times.txt"; head -8 "$O/tests.txt"; cat "$O/split.txt"
