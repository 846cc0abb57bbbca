#!/usr/bin/env bash
# Session 15, call 3: the split rule kept within one wave; A/B in one call.
cd "$(dirname "$0")/../.."
start=$(date +%s)
bash bench/device-run.sh gtest 'GpuBackward.SplitsGroupHeadsAtShortSequences' > "$OUT/tests-log.txt" 2>&1
echo "tests: $(( $(date +%s) - start )) s" >> "$OUT/tests-log.txt"
timeout 100 python3 bench/variant_bench.py --flashgen .carry/flashgen --short > "$OUT/short-split.txt" 2>&1
FLASHGEN_BWD_MAX_KV_SPLIT=1 timeout 100 python3 bench/variant_bench.py --flashgen .carry/flashgen --short > "$OUT/short-nosplit.txt" 2>&1
echo "total: $(( $(date +%s) - start )) s" >> "$OUT/tests-log.txt"
