#!/usr/bin/env bash
# Prepared in session 28 for the next session's first device call, on main
# (rm -rf .carry-ab; FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry
# .carry-pack). Session 28 ran every GpuBackward/GpuTuner/GpuJit test on
# the wide backward (call 5); after it, main changed only the tuner (no
# backward candidates beside the wide kernel, CPU-tested) and docs. This
# runs the whole GPU suite (the forward's last full run was session 27's)
# with 470 s, then the d256 backward tune that should now try one candidate.
#   run:  tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s28/scripts/next-call.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
OUT=$O/t GPU_TEST_TIMEOUT=470 bash bench/device-run.sh tests-all > "$O/tests.txt" 2>&1
echo "tests-all rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
timeout 90 .carry/flashgen tune bench/specs/d256_none.attn --pass bwd --shapes "8,8,2048,2048" \
  --budget 60 --db "$O/tune.db" > "$O/tune.txt" 2>&1
echo "tune rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cd "$O" && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz "$O/all.tgz"
cat "$O/times.txt"; head -45 "$O/tests.txt"; tail -5 "$O/tune.txt"
# A test cut by the limit shows as FAILED with a log that stops mid-case:
# rerun it alone (bench/device-run.sh tests-all 'NAME') before reading it
# as a failure.
