#!/usr/bin/env bash
# Session 28, call 1: the wide wgmma backward (BwdKernelSm90Wide.cuh, head
# dim 256) on the H200. Carry .carry-pack (FLASHGEN_CARRY_PACK=1
# scripts/device-prep.sh), then:
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s28/scripts/call1.sh
# 1. the backward GPU tests that reach it (float64 references, odd sizes,
#    every feature of its loop, deterministic beside it);
# 2. `flashgen run --backward` float64 checks of the d256 examples;
# 3. time: its fast path vs the deterministic path (the separate mma.sync
#    kernels, which were also the fast path before it), same binary, the
#    standard grid at d256 (H = 8, B x N = 16k), causal or not;
# 4. PyTorch on the same grid: SDPA cuDNN / flash, FlexAttention.
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
F=.carry/flashgen
OUT=$O/t GPU_TEST_TIMEOUT=250 bash bench/device-run.sh tests-all \
  'GpuBackward.WideKernelFeatures:GpuBackward.HeadDims200To256BothDtypes:GpuBackward.SplitsGroupHeadsAtShortSequences:GpuBackward.JitsBesideTheForward' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
{
  for s in examples/softcap.attn bench/specs/d256_none.attn bench/specs/d256_causal.attn; do
    for shape in 1,8,1000,1000 2,8,17,333 1,8,4097,4097; do
      echo "== $s $shape"; timeout 60 $F run "$s" --backward --shape "$shape" 2>&1 | tail -4
    done
  done
} > "$O/checks.txt" 2>&1
echo "checks $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
{
  for spec in d256_none d256_causal; do
    for n in 512 1024 2048 4096 8192 16384; do
      b=$(( 16384 / n ))
      for mode in fast det; do
        extra=(); [[ $mode == det ]] && extra=(--deterministic)
        t=$(timeout 60 $F run bench/specs/$spec.attn --backward --no-check --reps 20 \
              --shape $b,8,$n "${extra[@]}" 2>&1 | grep -o 'bwd=[0-9.]* ms\|fwd=[0-9.]* ms\|time=[0-9.]* ms' | tr '\n' ' ')
        echo "$spec N=$n B=$b $mode $t"
      done
    done
  done
} > "$O/times-bwd.txt" 2>&1
echo "flashgen timing $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
timeout 220 python3 bench/torch_bench.py --head-dim 256 > "$O/torch.txt" 2>&1
echo "torch rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cd "$O" && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz "$O/all.tgz"
cat "$O/times.txt"; grep -E "PASS|FAIL|rc=|OK|tests" "$O/tests.txt" | head -20; cat "$O/times-bwd.txt"
