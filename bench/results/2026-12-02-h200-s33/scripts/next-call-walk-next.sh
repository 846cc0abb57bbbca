#!/usr/bin/env bash
# For the next session (written in session 33, not run): branch walk-next,
# the tile-class builder's next-kept links (FwdParams::tileClassNext): the
# forward steps over a run of empty tiles with one load. First the forward
# GPU tests that run run-time tile classes (links on for rows past 32
# tiles: N >= 2049 at Bc = 64, 4097 at 128), then the A/B at 16k against
# FlexAttention (column 'fwd, no links' = FLASHGEN_TILE_NEXT=off, 'fwd, no
# bounds' = neither). Merge if the tests pass and block maps gain.
#   git checkout walk-next; FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack;
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s33/scripts/next-call-walk-next.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
export PYTHONUNBUFFERED=1
OUT=$O/t GPU_TEST_TIMEOUT=300 bash bench/device-run.sh tests-all \
  'GpuForward.RuntimeBlockMasks:GpuForward.EveryExampleAtOddSizes:GpuForward.PerEntryKeyLengths:GpuForward.SplitsKeysAtDecodeShapes:GpuForward.PacksGqaQueryHeads' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
bash scripts/install-python.sh --library .carry/libflashgen.so > "$O/install.txt" 2>&1 || { tail "$O/install.txt"; exit 1; }
timeout 200 python3 bench/mask_bench.py --no-backward --ab-bounds --ab-links --dims 128,64 --seqlens 16384 \
  --masks docs_tensor,blocks05,blocks20,blocks50,local_global --out "$O" > "$O/masks.txt" 2>&1
echo "masks rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat "$O/times.txt"; head -8 "$O/tests.txt"; grep -A12 "^| mask" "$O/masks.txt"
cd "$O" && tar czf t.tgz t && rm -rf t
