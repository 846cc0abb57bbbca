#!/usr/bin/env bash
# For the next session (written in session 33, not run): branch
# bwd-col-bounds, the backward's column bounds (FwdParams::
# tileClassColBounds: each key cell's first and last row cell that keep it,
# atomics over zeroed memory; a key block's walk covers only those query
# tiles; rows past 64 cells, masks that do not depend on the head). First
# the backward GPU tests with run-time classes, then the A/B at 16k
# (column 'bwd, no bounds' = FLASHGEN_TILE_BOUNDS=off, forward bounds off
# too). Merge if the tests pass and documents' backward gains.
#   git checkout bwd-col-bounds; FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack;
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s33/scripts/next-call-bwd-col-bounds.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
export PYTHONUNBUFFERED=1
OUT=$O/t GPU_TEST_TIMEOUT=300 bash bench/device-run.sh tests-all \
  'GpuBackward.RuntimeBlockMasks:GpuBackward.EveryExampleAtOddSizes:GpuBackward.SplitsGroupHeadsAtShortSequences:GpuBackward.AfterASplitForward:GpuForward.RuntimeBlockMasks' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
bash scripts/install-python.sh --library .carry/libflashgen.so > "$O/install.txt" 2>&1 || { tail "$O/install.txt"; exit 1; }
timeout 220 python3 bench/mask_bench.py --ab-bounds --dims 128,64 --seqlens 16384 \
  --masks docs_tensor,docs_arith,local_global,blocks05 --out "$O" > "$O/masks.txt" 2>&1
echo "masks rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat "$O/times.txt"; head -8 "$O/tests.txt"; grep -A10 "^| mask" "$O/masks.txt"
cd "$O" && tar czf t.tgz t && rm -rf t
