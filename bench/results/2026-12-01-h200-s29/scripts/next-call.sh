#!/usr/bin/env bash
# Prepared in session 29 for the next session's first device call. Two
# CPU-checked branches (NVRTC and nvcc compile, no spills, no serialized
# wgmma; not GPU-run):
#   dq-wg-classes   the d256 dQ kernel classifies each tile per warpgroup
#                   (causal diagonal tiles: no products or no mask there);
#   s30-candidate   dq-wg-classes + wide-by-gradient: the wide backward for
#                   every padded head-dim pair past 128 (192, 192/128,
#                   64/256, 256/128), warpgroup 0 all of dK, 1 all of dV.
# Build here:
#   scripts/ab-build.sh main dq-wg-classes s30-candidate      (.carry-ab, stripped)
#   git checkout s30-candidate && FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh
# Carry .carry-pack and .carry-ab (~55 MB); run:
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s29/scripts/next-call.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
# 1. d256: main / dq-wg-classes (causal should gain, non-causal not move).
for spec in d256_causal d256_none; do
  AB_TIMEOUT=40 AB_BINS="main dq-wg-classes" bash bench/ab-run.sh --backward bench/specs/$spec.attn \
    32,8,512 8,8,2048 2,8,8192 > "$O/ab-$spec.txt" 2>&1
done
# 2. d192: main (mma.sync separate kernels) / s30-candidate (wide by gradient).
for spec in d192_causal d192_none; do
  AB_TIMEOUT=60 AB_BINS="main s30-candidate" bash bench/ab-run.sh --backward bench/specs/$spec.attn \
    16,8,1024 4,8,4096 1,8,16384 > "$O/ab-$spec.txt" 2>&1
done
echo "ab $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
# 3. MLA 192/128 and GQA rows beside SDPA (flashgen = the candidate).
timeout 150 python3 bench/variant_bench.py --flashgen .carry-ab/flashgen-s30-candidate > "$O/variants.txt" 2>&1
echo "variants rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
# 4. float64 checks of the candidate.
{
  for dims in "head_dim = 192;" "qk_head_dim = 192; v_head_dim = 128; mask = causal;" \
              "qk_head_dim = 64; v_head_dim = 256;" "head_dim = 256; mask = causal;"; do
    echo "attention c { $dims passes = forward, backward; }" > /tmp/c.attn
    for shape in 1,4,17,17 2,4,17,333 1,4,1000,1000 1,2,4097,4097; do
      echo "== $dims $shape"; timeout 40 .carry/flashgen run /tmp/c.attn --backward --shape "$shape" 2>&1 | tail -2
    done
  done
} > "$O/checks.txt" 2>&1
echo "checks $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
# 5. GPU tests on the candidate (rerun alone any that the limit cuts).
left=$(( 570 - ($(date +%s) - t0) )); [[ $left -lt 120 ]] && left=120
OUT=$O/t GPU_TEST_TIMEOUT=$left bash bench/device-run.sh tests-all \
  'GpuBackward.WideKernelByGradient:GpuBackward.WideKernelFeatures:GpuBackward.HeadDims136To192BothDtypes:GpuBackward.HeadDims200To256BothDtypes:GpuBackward.UnequalHeadDims:GpuBackward.EveryExampleAtOddSizes' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cd "$O" && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz "$O/all.tgz"
cat "$O/times.txt"; head -10 "$O/tests.txt"; cat "$O"/ab-*.txt; grep -E "mla|192" "$O/variants.txt" | head; grep -c "nan=0" "$O/checks.txt"
