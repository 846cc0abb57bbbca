#!/usr/bin/env bash
# Session 31, call 3: the fp8 forward with V transposed in the kernel for decoding launches (pre-pass kept for prefill), v3 transposer
# (branch fp8-vt). Build here:
#   scripts/ab-build.sh main fp8-vt; (cd .carry-ab && tar cJf ab.tar.xz flashgen-* && rm flashgen-*)
#   git checkout fp8-vt && FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh
# Carry .carry-pack and .carry-ab; run:
#   tar xJf .carry-pack/bins.tar.xz && (cd .carry-ab && tar xJf ab.tar.xz) &&
#   bash bench/results/2026-12-02-h200-s31/scripts/call3.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
stamp() { echo "$1 $(( $(date +%s) - t0 )) s" >> "$O/times.txt"; }
OUT=$O/t GPU_TEST_TIMEOUT=240 bash bench/device-run.sh tests-all \
  'GpuForward.Fp8Inputs:GpuForward.SplitsKeysAtDecodeShapes:GpuForward.Fp8DecodingLaunches:GpuForward.Fp8RefusesWhatItLacks:GpuForward.PagedKvCache:GpuForward.OneKernelServesPrefillAndDecoding:GpuForward.PerEntryKeyLengths' \
  > "$O/tests.txt" 2>&1
stamp "tests rc=$?"
{
  echo "attention r8 { dtype = fp8_e4m3; head_dim = 128; heads = 8; kv_heads = 2; mask = causal(bottom_right); }" > /tmp/r8.attn
  for shape in 1,8,1000,1000 2,8,1,3000; do
    echo "== racecheck $shape"
    timeout 120 compute-sanitizer --tool racecheck .carry/flashgen run /tmp/r8.attn --shape $shape 2>&1 | tail -3
  done
  echo "== memcheck paged"
  timeout 120 compute-sanitizer --tool memcheck .carry/flashgen run /tmp/r8.attn --shape 2,8,1,3000 --page-size 16 2>&1 | tail -3
} > "$O/sanitizer.txt" 2>&1
stamp sanitizer
{
  for shape in 8,32,1,32768 1,32,1,4097 8,32,4,4097 64,32,1,4096 4,16,1000,1000 1,16,4097,4097; do
    echo "== fp8 gqa $shape"
    echo "attention c8 { dtype = fp8_e4m3; head_dim = 128; heads = 32; kv_heads = 8; mask = causal(bottom_right); }" > /tmp/c8.attn
    IFS=, read -r B H NQ NK <<< "$shape"
    timeout 60 .carry/flashgen run /tmp/c8.attn --shape $B,32,$NQ,$NK --layout bhsd 2>&1 | tail -2
  done
} > "$O/checks.txt" 2>&1
stamp checks
for spec in fp8_none fp8_causal d128_none; do
  AB_TIMEOUT=60 AB_BINS="main fp8-vt" bash bench/ab-run.sh bench/specs/$spec.attn \
    16,16,1024 8,16,2048 2,16,8192 > "$O/ab-$spec.txt" 2>&1
done
stamp ab
timeout 280 python3 bench/decode_bench.py --flashgen .carry-ab/flashgen-fp8-vt --fp8 --groups 32/8 \
  --nq 1,4 > "$O/decode.txt" 2>&1
stamp decode
cd "$O" && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz "$O/all.tgz"
cat "$O/times.txt"; head -12 "$O/tests.txt"; cat "$O/sanitizer.txt" "$O/checks.txt"
for f in "$O"/ab-*.txt; do echo "# $f"; grep round "$f"; done; cat "$O/decode.txt"
