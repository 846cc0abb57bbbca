#!/usr/bin/env bash
# Session 32, call 1: fp8 per-head descale factors (C++ GPU tests, Python
# tests), whether torch exposes cuDNN's fp8 attention, and the decode table
# (GQA 32/8) with FlexAttention's decoding path and paged/fp8 columns.
# Built: FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack; run
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s32/scripts/call1.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
S=bench/results/2026-12-02-h200-s32/scripts
stamp() { echo "$1 $(( $(date +%s) - t0 )) s" >> "$O/times.txt"; }
OUT=$O/t GPU_TEST_TIMEOUT=200 bash bench/device-run.sh tests-all \
  'GpuForward.Fp8PerHeadDescale:GpuForward.Fp8Inputs:GpuForward.Fp8DecodingLaunches:GpuForward.Fp8RefusesWhatItLacks' \
  > "$O/tests.txt" 2>&1
stamp "tests rc=$?"
OUT=$O/py PYTEST_TIMEOUT=200 bash bench/device-run.sh python -k "fp8 or descale or kvcache" \
  > "$O/py.txt" 2>&1
stamp "python rc=$?"
timeout 60 python3 $S/fp8_cudnn_probe.py > "$O/probe.txt" 2>&1
stamp "probe rc=$?"
left=$(( 575 - ($(date +%s) - t0) )); [[ $left -lt 60 ]] && left=60
PYTHONUNBUFFERED=1 timeout $left python3 bench/decode_bench.py --lean --fp8 --flex \
  --paged 16,256 --groups 32/8 > "$O/decode-32-8.txt" 2>&1
stamp "decode rc=$?"
cd "$O" && tar czf /tmp/all.tgz t py 2>/dev/null; mv /tmp/all.tgz "$O/all.tgz"; rm -rf "$O/t" "$O/py"
cat "$O/times.txt"; head -12 "$O/tests.txt"; tail -6 "$O/py.txt"; cat "$O/probe.txt"; cat "$O/decode-32-8.txt"
