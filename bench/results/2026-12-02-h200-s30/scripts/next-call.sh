#!/usr/bin/env bash
# Prepared in session 30 for the next session's first device call.
#   dq-prologue  the dQ kernel's prologue in three copy groups (Q + K0, then
#                dO + V0, then K1/V1): S starts before dO and V land.
#                CPU-checked (nvcc: no spills), not GPU-run.
#   pre-mlp      the backward's preprocessing (D = rowsum(dO O), lse2) with
#                lanes per row from the value head dim and a warp's loads
#                all in flight before the first reduction (was ~50% of the
#                copy bandwidth). nvcc-checked, not GPU-run; it runs in
#                every backward, so its tests below are the broad ones.
#   dq-persistent the wide path's dQ kernel persistent (min(blocks, SMs)
#                CTAs walk every query block, longest first); the simple
#                step of notes-hopper-kernels.md's persistent design (no
#                cross-block prefetch yet). nvcc: 32-36 bytes of spills in
#                the block's prologue.
#   s31-candidate all three merged (tests and float64 checks run on it).
# Also: each backward kernel's time under ncu at N = 1k..16k (MLA causal),
# to split session 30's fixed cost per CTA pair (section 5) between the
# dK/dV and the dQ kernel.
# Build here:
#   scripts/ab-build.sh main dq-prologue pre-mlp dq-persistent s31-candidate; (cd .carry-ab && tar cJf ab.tar.xz flashgen-* && rm flashgen-*)
#   git checkout s31-candidate && FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh
# Carry .carry-pack and .carry-ab; run:
#   tar xJf .carry-pack/bins.tar.xz && (cd .carry-ab && tar xJf ab.tar.xz) &&
#   bash bench/results/2026-12-02-h200-s30/scripts/next-call.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
for spec in mla_causal d256_causal; do
  AB_TIMEOUT=60 AB_BINS="main dq-prologue pre-mlp dq-persistent s31-candidate" bash bench/ab-run.sh \
    --backward bench/specs/$spec.attn 16,16,1024 8,16,2048 2,16,8192 > "$O/ab-$spec.txt" 2>&1
done
for spec in mla_none d128_causal d64_none; do
  AB_TIMEOUT=60 AB_BINS="main pre-mlp s31-candidate" bash bench/ab-run.sh --backward \
    bench/specs/$spec.attn 16,16,1024 8,16,2048 2,16,8192 > "$O/ab-$spec.txt" 2>&1
done
echo "ab $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
{
  for N in 1024 2048 4096 8192 16384; do
    B=$((16384 / N)); echo "== mla_causal $B,16,$N"
    timeout 60 ncu -k regex:flashgen_bwd -c 3 --metrics gpu__time_duration.sum \
      .carry-ab/flashgen-main run bench/specs/mla_causal.attn --backward --no-check --reps 1 \
      --shape $B,16,$N,$N 2>&1 | grep -E "  flashgen_|gpu__time"
  done
} > "$O/ncu.txt" 2>&1
echo "ncu $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
{
  for dims in "qk_head_dim = 192; v_head_dim = 128; mask = causal;" "head_dim = 256;"; do
    echo "attention c { $dims passes = forward, backward; }" > /tmp/c.attn
    for shape in 1,4,17,17 2,4,17,333 1,4,1000,1000 1,2,4097,4097; do
      echo "== $dims $shape"; timeout 40 .carry/flashgen run /tmp/c.attn --backward --shape "$shape" 2>&1 | tail -2
    done
  done
} > "$O/checks.txt" 2>&1
left=$(( 540 - ($(date +%s) - t0) )); [[ $left -lt 120 ]] && left=120
OUT=$O/t GPU_TEST_TIMEOUT=$left bash bench/device-run.sh tests-all \
  'GpuBackward.WideKernelByGradient:GpuBackward.HeadDims200To256BothDtypes:GpuBackward.UnequalHeadDims:GpuBackward.EveryExampleAtOddSizes:GpuBackward.HeadDims8To64BothDtypes:GpuBackward.HeadDims72To128BothDtypes' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cd "$O" && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz "$O/all.tgz"
cat "$O/times.txt"; head -6 "$O/tests.txt"; for f in "$O"/ab-*.txt; do echo "# $f"; grep round "$f"; done; cat "$O/ncu.txt"; grep -c "^ok" "$O/checks.txt"
