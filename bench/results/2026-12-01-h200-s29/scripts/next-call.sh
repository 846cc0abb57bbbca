#!/usr/bin/env bash
# Prepared in session 29 for the next session's first device call. Branch
# dq-wg-classes (CPU-checked only: NVRTC/nvcc compile, no spills,
# no serialized wgmma) classifies each tile of the d256 dQ kernel per
# warpgroup. Build: scripts/ab-build.sh main dq-wg-classes (→ .carry-ab),
# FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh on the branch; carry
# .carry-pack and .carry-ab; run:
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s29/scripts/next-call.sh
# 1. A/B main / dq-wg-classes on the d256 causal grid (and non-causal as a
#    control: it must not move); 2. float64 checks on the branch; 3. the
#    backward GPU tests that reach d256 on the branch.
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
for spec in d256_causal d256_none; do
  AB_TIMEOUT=40 AB_BINS="main dq-wg-classes" bash bench/ab-run.sh --backward bench/specs/$spec.attn \
    32,8,512 8,8,2048 2,8,8192 1,8,16384 > "$O/ab-$spec.txt" 2>&1
done
echo "ab $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
{
  for s in bench/specs/d256_causal.attn examples/softcap.attn; do
    for shape in 1,4,17,17 2,4,17,333 1,4,1000,1000 1,2,4097,4097 2,2,130,2000; do
      echo "== $s $shape"; timeout 40 .carry/flashgen run "$s" --backward --shape "$shape" 2>&1 | tail -2
    done
  done
} > "$O/checks.txt" 2>&1
echo "checks $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
OUT=$O/t GPU_TEST_TIMEOUT=300 bash bench/device-run.sh tests-all \
  'GpuBackward.WideKernelFeatures:GpuBackward.HeadDims200To256BothDtypes:GpuBackward.EveryExampleAtOddSizes:GpuBackward.RuntimeBlockMasks' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cd "$O" && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz "$O/all.tgz"
cat "$O/times.txt"; head -8 "$O/tests.txt"; cat "$O"/ab-*.txt; grep -c "nan=0" "$O/checks.txt"
