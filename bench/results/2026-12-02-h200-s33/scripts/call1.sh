#!/usr/bin/env bash
# For session 33's first device call (written in session 32, not run): what
# issue 17 still needs demonstrated.
#   1. memcheck of flashgen's fp8 causal forward at 1 x 16 x 4096 alone
#      (session 32 call 2's fp8_vs_cudnn.py hit an illegal address after
#      that row's flashgen and cuDNN fp8 launches);
#   2. GpuForward.DecodesLongCachesAndWideGroups (128k keys, GQA 1 and 16);
#   3. the 32/8 decode row B = 64 x Nq = 16 x 128k; Flex compiled per shape
#      on four cells (session 32's Flex column compiled once, dynamic);
#   4. the Python fp8/descale tests (a new error case since call 1).
# Then a second call, the five suite tests session 32's call 3 cut at 430 s:
#   tar xJf .carry-pack/bins.tar.xz && OUT=$OUT/t GPU_TEST_TIMEOUT=540 bash bench/device-run.sh \
#     tests-all 'GpuForward.EveryExampleAtOddSizes:GpuForward.WideHeadDimsOnWgmma:GpuForward.RuntimeBlockMasks:GpuBackward.EveryExampleAtOddSizes:GpuBackward.BothWgmmaKernelFamilies'
# (each alone needs up to ~430 s with 41 tests beside it; five side by side
# should finish well inside 540 s).
# Built: FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack; run
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s32/scripts/next-call.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
stamp() { echo "$1 $(( $(date +%s) - t0 )) s" >> "$O/times.txt"; }
echo "attention c8 { dtype = fp8_e4m3; head_dim = 128; heads = 16; mask = causal; }" > /tmp/c8.attn
timeout 120 compute-sanitizer --tool memcheck .carry/flashgen run /tmp/c8.attn --shape 1,16,4096,4096 --reps 1 \
  > "$O/memcheck.txt" 2>&1
stamp "memcheck rc=$?"
OUT=$O/t1 GPU_TEST_TIMEOUT=200 bash bench/device-run.sh tests-all 'GpuForward.DecodesLongCachesAndWideGroups' \
  > "$O/tests-long.txt" 2>&1
stamp "long decode tests rc=$?"
PYTHONUNBUFFERED=1 timeout 60 python3 bench/decode_bench.py --lean --fp8 --flex --paged 16,256 \
  --groups 32/8 --batches 64 --nk 131072 --nq 16 > "$O/decode-32-8-last.txt" 2>&1
stamp "decode rc=$?"
# Flex compiled per shape on a few cells (session 32's column: dynamic shapes).
PYTHONUNBUFFERED=1 timeout 120 python3 bench/decode_bench.py --lean --flex-static --groups 32/8 \
  --batches 1,8 --nk 32768 --nq 1,16 > "$O/decode-flex-static.txt" 2>&1
stamp "flex static rc=$?"
left=$(( 570 - ($(date +%s) - t0) )); [[ $left -lt 30 ]] && left=30
OUT=$O/py PYTEST_TIMEOUT=$left bash bench/device-run.sh python -k "fp8 or descale" > "$O/py.txt" 2>&1
stamp "python rc=$?"
cd "$O" && tar czf /tmp/all.tgz t1 py 2>/dev/null; mv /tmp/all.tgz "$O/all.tgz"; rm -rf t1 py
cat "$O/times.txt"; tail -4 "$O/memcheck.txt"; head -4 "$O/tests-long.txt"; cat "$O/decode-32-8-last.txt" "$O/decode-flex-static.txt"; tail -3 "$O/py.txt"
