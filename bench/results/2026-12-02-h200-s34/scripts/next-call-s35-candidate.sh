#!/usr/bin/env bash
# For the next session (written in session 34, not run): branch
# s35-candidate = tile-class-check + lookup-scan-vec (each its own branch
# for a bisect). One call: the GPU tests with run-time tile classes, the
# new GpuForward.BuiltTileClassesMatchTheMask first (the builder's classes
# against the mask element by element: it checks lookup-scan-vec's scans
# too), then flashgen run's class report, where the time goes (documents'
# builder was 18.5 us per build at 16k; the host column is new), and the
# table rows of the masks that read tensors.
#   git checkout s35-candidate; FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack;
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s34/scripts/next-call-s35-candidate.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
export PYTHONUNBUFFERED=1
OUT=$O/t GPU_TEST_TIMEOUT=280 bash bench/device-run.sh tests-all \
  'GpuForward.BuiltTileClassesMatchTheMask:GpuForward.RuntimeBlockMasks:GpuForward.EveryExampleAtOddSizes:GpuBackward.RuntimeBlockMasks' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
timeout 60 .carry/flashgen run examples/document_mask.attn --shape 2,4,4097,4097 --check-tile-classes \
  > "$O/run-docs.txt" 2>&1
echo "run rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
bash scripts/install-python.sh --library .carry/libflashgen.so > "$O/install.txt" 2>&1 || { tail "$O/install.txt"; exit 1; }
timeout 100 python3 bench/mask_profile.py --cases blocks05:128:2048,docs_tensor:128:16384,prefix_lm:128:16384 \
  --out "$O" > "$O/profile.txt" 2>&1
echo "profile rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
timeout $(( 570 - ($(date +%s) - t0) )) python3 bench/mask_bench.py --dims 128,64 --seqlens 2048,16384 \
  --masks docs_tensor,prefix_lm --out "$O" > "$O/masks.txt" 2>&1
echo "masks rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat "$O/times.txt"; head -12 "$O/tests.txt"; tail -4 "$O/run-docs.txt"
grep -A8 "^| case" "$O/profile.txt"; grep -A10 "^| mask" "$O/masks.txt"
cd "$O" && tar czf t.tgz t && rm -rf t
