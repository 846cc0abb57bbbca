#!/usr/bin/env bash
# Prepared in session 25 for the next session's first device calls, on main
# (rm -rf .carry-ab; FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh packs
# .carry into .carry-pack/bins.tar.xz; carry .carry-pack). Not GPU-run yet
# on main:
#   - the kernel cache maps a disk hit's payload in place (FGKC3 entries,
#     header padded to 256 bytes; CPU: cache reads 0.55 -> 0.14-0.23 ms);
#   - Kernel::fromSpec skips its up-front spec check when a device is
#     usable (the JIT reports spec errors itself; CPU: ~0.1 ms of a new
#     process's first call).
# Call A (this script, ~560 s): new-process disk hits (examples and 8 random
# specs), then every GPU test side by side (the cache under 8 processes x 8
# threads is GpuJit.ConcurrentProcessesAndThreads).
#   run:  tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s25/scripts/next-call.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
(OUT=$O/j timeout 150 bash bench/device-run.sh jit 8 8 > $O/jit-summary.txt 2>&1)
echo "jit $(( $(date +%s) - t0 )) s" >> $O/times.txt
left=$(( 570 - ($(date +%s) - t0) ))
OUT=$O/t GPU_TEST_TIMEOUT=$left bash bench/device-run.sh tests-all > $O/tests.txt 2>&1
echo "tests-all rc=$? $(( $(date +%s) - t0 )) s (limit $left)" >> $O/times.txt
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
grep -oE "^jit-disk [^ ]* total_ms=[0-9.]* \(frontend [0-9.]* ms with cache reads [0-9.]* ms, load [0-9.]* ms" $O/j/jit.txt | sort -t= -k2 -n | tail -12
grep -oE "^jit [^ ]* cold_total_s=[0-9.]*" $O/j/jit.txt | sort -t= -k2 -n | tail -6
tail -4 $O/tests.txt; grep -E "FAILED" $O/tests.txt | head; cat $O/times.txt
# Call B (A/B of branch window-rows, the planner's long-row rules by a
# sliding window's width; not GPU-run): here `scripts/ab-build.sh main
# window-rows`, carry .carry-ab (xz-packed), then there
#   printf 'attention win64 {\n  head_dim = 64;\n  heads = 16;\n  mask = causal && q - k < 1024;\n}\n' > /tmp/win64.attn
#   AB_TIMEOUT=60 bash bench/ab-run.sh /tmp/win64.attn 1,16,16384 2,16,8192 4,16,4096 8,16,2048
# and the same with head_dim = 128 (unchanged expected); then
# bench/mask_bench.py --masks window --dims 64 --seqlens 4096,16384 on
# window-rows' library. Merge if the d64 window at 8k-16k gains (prediction:
# 270 -> ~320 TFLOP/s at 16k, ~1.04x FlexAttention).
# Call C (on main: FLASHGEN_POLY_EXP2_STRIDE, merged off by default with
# identical SASS; not GPU-run): every n-th slice of the forward softmax's
# exponentials on the FMA pipe (PolyExp2.cuh). The SFU's 16 results per
# clock per SM take as long per tile as the fp8 products: prediction fp8
# +5-15% at n = 2-4, bf16 within +-3%.
#   for st in 0 2 4 8; do for spec in fp8 d128 (and d64, causal); do
#     FLASHGEN_POLY_EXP2_STRIDE=$st FLASHGEN_CACHE_DIR=/tmp/c$st .carry/flashgen run SPEC --no-check --cold-l2 --reps 30 --shape 2,16,8192 (and 4,16,4096 1,16,16384); done; done
#   correctness: FLASHGEN_POLY_EXP2_STRIDE=2 .carry/flashgen run SPEC --shape 1,4,17 / 2,4,1000 / 1,2,4097 (fp8, bf16 d128/d64, causal, documents), and
#   the forward GPU tests with the stride set if it is kept (then make it the default for fp8).
