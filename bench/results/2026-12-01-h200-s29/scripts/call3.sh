#!/usr/bin/env bash
# Session 29, call 3: branch wide-split, the d256 backward's dQ from a
# q-major wgmma kernel (BwdDqKernelSm90.cuh) instead of the wide kernel's
# red.global.add reductions. Carry .carry-pack (device-prep of wide-split)
# and .carry-ab (flashgen-main: ddb367e; flashgen-split: this branch), then:
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s29/scripts/call3.sh
# 1. float64 checks of the new path (flashgen run --backward), odd sizes;
# 2. A/B main / split on the d256 grid (H = 8, B x N = 16k), causal or not;
# 3. SDPA cuDNN / flash on the same grid (no Flex: 1.8-2.2x below us);
# 4. the backward GPU tests that reach head dim 256, side by side.
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
F=.carry-ab/flashgen-split2
{
  for s in bench/specs/d256_none.attn bench/specs/d256_causal.attn examples/softcap.attn; do
    for shape in 1,4,1,1 1,4,17,17 2,4,17,333 1,4,1000,1000 1,2,4097,4097; do
      echo "== $s $shape"; timeout 40 $F run "$s" --backward --shape "$shape" 2>&1 | tail -3
    done
  done
  echo "== deterministic"; timeout 40 $F run bench/specs/d256_causal.attn --backward --deterministic --shape 2,4,1000,1000 2>&1 | tail -3
} > "$O/checks.txt" 2>&1
echo "checks $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
grep -c "FAIL\|error\|nan=[1-9]" "$O/checks.txt" >> "$O/times.txt"
for spec in d256_none d256_causal; do
  AB_TIMEOUT=40 AB_BINS="main split2" bash bench/ab-run.sh --backward bench/specs/$spec.attn \
    32,8,512 16,8,1024 8,8,2048 4,8,4096 2,8,8192 1,8,16384 > "$O/ab-$spec.txt" 2>&1
done
echo "ab $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
timeout 120 python3 bench/torch_bench.py --head-dim 256 --no-flex > "$O/torch.txt" 2>&1
echo "torch rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
left=$(( 560 - ($(date +%s) - t0) )); [[ $left -lt 60 ]] && left=60
OUT=$O/t GPU_TEST_TIMEOUT=$left bash bench/device-run.sh tests-all \
  'GpuBackward.WideKernelFeatures:GpuBackward.HeadDims200To256BothDtypes:GpuBackward.UnequalHeadDims:GpuBackward.EveryExampleAtOddSizes' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cd "$O" && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz "$O/all.tgz"
cat "$O/times.txt"; head -12 "$O/tests.txt"; cat "$O"/ab-*.txt; grep -E "^ *(256|bwd)" "$O/torch.txt" | head -30
