#!/usr/bin/env bash
# Session 34, call 2: session 33's next-call-s34-candidate.sh, mask timeout 330 s,
# s34-candidate = walk-next + bwd-col-bounds (each has its own script for
# a bisect). One call: the GPU tests with run-time tile classes, forward
# and backward, then the A/B at 16k, forward and backward (columns 'no
# bounds' = FLASHGEN_TILE_BOUNDS=off: no row or column bounds, no links;
# 'no links' = FLASHGEN_TILE_NEXT=off).
#   git checkout s34-candidate; FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack;
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s33/scripts/next-call-s34-candidate.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
export PYTHONUNBUFFERED=1
OUT=$O/t GPU_TEST_TIMEOUT=300 bash bench/device-run.sh tests-all \
  'GpuForward.RuntimeBlockMasks:GpuForward.EveryExampleAtOddSizes:GpuForward.PerEntryKeyLengths:GpuForward.SplitsKeysAtDecodeShapes:GpuForward.PacksGqaQueryHeads:GpuBackward.RuntimeBlockMasks:GpuBackward.EveryExampleAtOddSizes:GpuBackward.SplitsGroupHeadsAtShortSequences' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
bash scripts/install-python.sh --library .carry/libflashgen.so > "$O/install.txt" 2>&1 || { tail "$O/install.txt"; exit 1; }
timeout 330 python3 bench/mask_bench.py --ab-bounds --ab-links --dims 128,64 --seqlens 16384 \
  --masks docs_tensor,blocks05,blocks20,local_global --out "$O" > "$O/masks.txt" 2>&1
echo "masks rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat "$O/times.txt"; head -10 "$O/tests.txt"; grep -A10 "^| mask" "$O/masks.txt"
cd "$O" && tar czf t.tgz t && rm -rf t
