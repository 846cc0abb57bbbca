#!/usr/bin/env bash
# Session 34, call 4: where masked calls' time goes (bench/mask_profile.py):
# wall vs GPU time per call and the kernels, flashgen vs FlexAttention
# (blocks 5% at 2k; blocks 50%, dense, local+global, documents at 16k,
# d128), then ncu on the fused backward kernel of dense vs blocks 50% (its
# backward is 0.78x of dense flashgen's rate where Flex keeps 1.0x).
#   FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack;
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s34/scripts/call4.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
export PYTHONUNBUFFERED=1
S=bench/results/2026-12-02-h200-s34/scripts
bash scripts/install-python.sh --library .carry/libflashgen.so > "$O/install.txt" 2>&1 || { tail "$O/install.txt"; exit 1; }
timeout 170 python3 bench/mask_profile.py --out "$O" > "$O/profile.txt" 2>&1
echo "profile rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
for m in dense blocks50; do
  timeout 60 ncu --kernel-name regex:bwd_fused --launch-skip 1 --launch-count 1 \
    --section SpeedOfLight --section Occupancy --section WarpStateStats --section LaunchStats \
    python3 $S/ncu-bwd.py $m > "$O/ncu-$m.txt" 2>&1
  echo "ncu $m rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
done
cat "$O/times.txt"; grep -A30 "^| case" "$O/profile.txt" || tail -30 "$O/profile.txt"
for m in dense blocks50; do grep -E "Duration|Throughput|Stall|Warp Cycles|Achieved|Registers|Issued" "$O/ncu-$m.txt" | head -24; done
