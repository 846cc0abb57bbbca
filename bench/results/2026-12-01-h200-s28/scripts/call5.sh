#!/usr/bin/env bash
# Session 28, call 5: every backward, tuner and JIT GPU test on the final
# main (the wide backward merged). Carry .carry-pack (FLASHGEN_CARRY_PACK=1
# scripts/device-prep.sh on main), then:
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s28/scripts/call5.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
OUT=$O/t GPU_TEST_TIMEOUT=360 bash bench/device-run.sh tests-all 'GpuBackward.*:GpuTuner.*:GpuJit.*' > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat "$O/times.txt"; grep -E "OK|FAILED|rc=" "$O/tests.txt" | head -40
