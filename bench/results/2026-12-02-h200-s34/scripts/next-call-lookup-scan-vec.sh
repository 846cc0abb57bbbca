#!/usr/bin/env bash
# For the next session (written in session 34, not run): branch
# lookup-scan-vec, the tile-class builder's lookup scans with 16-byte loads
# (LookupScan.cuh; CPU unit test LookupScan.*, NVRTC compiles every
# example). One call: the GPU tests with run-time tile classes, then where
# the time goes (documents' builder was 18.5 us per build at 16k, block
# maps 5 us: call 4 of session 34), then the mask rows that read tensors.
#   git checkout lookup-scan-vec; FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack;
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s34/scripts/next-call-lookup-scan-vec.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
export PYTHONUNBUFFERED=1
OUT=$O/t GPU_TEST_TIMEOUT=300 bash bench/device-run.sh tests-all \
  'GpuForward.RuntimeBlockMasks:GpuForward.EveryExampleAtOddSizes:GpuForward.PerEntryKeyLengths:GpuBackward.RuntimeBlockMasks:GpuBackward.EveryExampleAtOddSizes' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
bash scripts/install-python.sh --library .carry/libflashgen.so > "$O/install.txt" 2>&1 || { tail "$O/install.txt"; exit 1; }
timeout 100 python3 bench/mask_profile.py --cases docs_tensor:128:16384,prefix_lm:128:16384,docs_tensor:64:2048 \
  --out "$O" > "$O/profile.txt" 2>&1
echo "profile rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
timeout $(( 560 - ($(date +%s) - t0) )) python3 bench/mask_bench.py --dims 128,64 --seqlens 2048,16384 \
  --masks docs_tensor,prefix_lm --out "$O" > "$O/masks.txt" 2>&1
echo "masks rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat "$O/times.txt"; head -10 "$O/tests.txt"; grep -A12 "^| case" "$O/profile.txt"; grep -A10 "^| mask" "$O/masks.txt"
cd "$O" && tar czf t.tgz t && rm -rf t
