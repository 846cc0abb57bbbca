#!/usr/bin/env bash
# Session 27, call 3 (main 16d1926 + coldsplit.py's parse): the tilings the
# JIT picks on this GPU for the d128 examples whose cold compiles differ
# (explain), the compile split of their sources here, the GPU tests with
# score modifiers that call 2 did not run, and the Python package's score
# modifier test (PyTorch's criterion on the soft cap's tanh.approx).
#   run: tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s27/scripts/call3.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
S=bench/results/2026-12-01-h200-s27/scripts
for e in mha_bf16 mqa sliding_window varlen document_mask; do
  echo "== $e"; .carry/flashgen explain examples/$e.attn 2>&1 | head -30
done > $O/explain.txt
mkdir -p /tmp/ex
for e in mha_bf16 mqa sliding_window varlen softcap; do
  .carry/flashgen compile examples/$e.attn --arch sm_90a -o /tmp/ex/$e.cu > /dev/null 2>&1
done
cp $S/inputs/softcap.s26.cu /tmp/ex/
(REPS=3 timeout 90 python3 $S/coldsplit.py $PWD/templates /tmp/ex/*.cu > $O/coldsplit.md 2>&1)
echo "coldsplit $(( $(date +%s) - t0 )) s" >> $O/times.txt
F='GpuForward.SplitsKeysAtDecodeShapes:GpuForward.PerEntryKeyLengths:GpuForward.PagedKvCache:GpuForward.Fp8Inputs:GpuJit.ConcurrentProcessesAndThreads'
(OUT=$O/t GPU_TEST_TIMEOUT=220 bash bench/device-run.sh tests-all "$F" > $O/tests.txt 2>&1) &
sleep 5
(OUT=$O/p PYTEST_TIMEOUT=200 bash bench/device-run.sh python -k "score_mods" > $O/pytest-summary.txt 2>&1)
wait
echo "tests+pytest $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz $O/all.tgz
cat $O/times.txt $O/coldsplit.md; grep -E "^==|tiles|tiling|warpgroup|consumer" $O/explain.txt | head -30
head -10 $O/tests.txt; tail -8 $O/pytest-summary.txt
