#!/usr/bin/env bash
# Session 27, call 2 (main + score-modifier fast math, uncommitted at the
# time): the JIT line (cold forward + new-process disk hit per example and
# 4 random specs), the compile split per source on this host (coldsplit.py;
# the s26 softcap and random_0 sources beside their new ones), then the GPU
# tests call 1 cut short plus the soft-capped ones, in the time left.
#   run: tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s27/scripts/call2.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
S=bench/results/2026-12-01-h200-s27/scripts
(OUT=$O/j timeout 220 bash bench/device-run.sh jit 4 8 > $O/jit-summary.txt 2>&1)
echo "jit $(( $(date +%s) - t0 )) s" >> $O/times.txt
mkdir -p /tmp/ex
for f in examples/*.attn /tmp/random-specs/*.attn; do
  .carry/flashgen compile "$f" --arch sm_90a -o /tmp/ex/$(basename "$f" .attn).cu > /dev/null 2>&1
done
cp $S/inputs/*.cu /tmp/ex/
(REPS=2 timeout 120 python3 $S/coldsplit.py $PWD/templates /tmp/ex/*.cu > $O/coldsplit.md 2>&1)
echo "coldsplit $(( $(date +%s) - t0 )) s" >> $O/times.txt
left=$(( 560 - ($(date +%s) - t0) ))
F='GpuForward.EveryExampleAtOddSizes:GpuForward.WideHeadDimsOnWgmma:GpuForward.RuntimeBlockMasks:GpuBackward.EveryExampleAtOddSizes:GpuBackward.MmaSyncFastPathOnHopper:GpuBackward.BothWgmmaKernelFamilies:GpuTuner.TunesThenTheJitLaunchesTheWinner:GpuBackward.ScoreExpressionsGetTheirGradients:GpuForward.ThreeConsumerWarpgroups:GpuForward.PacksGqaQueryHeads'
OUT=$O/t GPU_TEST_TIMEOUT=$left bash bench/device-run.sh tests-all "$F" > $O/tests.txt 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s (limit $left)" >> $O/times.txt
cd $O && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz $O/all.tgz
cat $O/times.txt; cat $O/coldsplit.md
grep -oE "^jit [^ ]* cold_total_s=[0-9.]* \(frontend [0-9.]* ms, nvrtc [0-9.]* s of it nvJitLink [0-9.]* s" $O/j/jit.txt | sort -t= -k2 -n
grep -oE "^jit-disk [^ ]* total_ms=[0-9.]*" $O/j/jit.txt | sort -t= -k2 -n | tail -3
head -12 $O/tests.txt
