#!/usr/bin/env bash
# Prepared in session 26 for the next session's first device call, on main
# (rm -rf .carry-ab; FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry
# .carry-pack). Not GPU-run yet on main: the cache key names nvJitLink's
# file instead of opening the library (call 5 of session 26 measured module
# loads of 0.07-0.15 ms through the linked CUBINs, but ~5 ms of dlopen in
# every disk hit's frontend). Expected: new-process disk hits ~0.35-0.55 ms.
# Then every GPU test (the JIT's CUBINs are linked from LTO-IR since
# session 26; call 5 ran 5 of them).
#   run:  tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s26/scripts/next-call.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
(OUT=$O/j timeout 200 bash bench/device-run.sh jit 4 8 > $O/jit-summary.txt 2>&1)
echo "jit $(( $(date +%s) - t0 )) s" >> $O/times.txt
left=$(( 575 - ($(date +%s) - t0) ))
OUT=$O/t GPU_TEST_TIMEOUT=$left bash bench/device-run.sh tests-all > $O/tests.txt 2>&1
echo "tests-all rc=$? $(( $(date +%s) - t0 )) s (limit $left)" >> $O/times.txt
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
grep -oE "^jit-disk [^ ]* total_ms=[0-9.]* \(frontend [0-9.]* ms with cache reads [0-9.]* ms, load [0-9.]* ms" $O/j/jit.txt | sort -t= -k2 -n | awk 'NR%3==1'
grep -oE "^jit-disk [^ ]* total_ms=[0-9.]*" $O/j/jit.txt | sort -t= -k2 -n | tail -3
# Cold forward with NVRTC's front end vs nvJitLink's NVVM + ptxas (JitStats::linkSeconds).
grep -oE "^jit [^ ]* cold_total_s=[0-9.]* \(frontend [0-9.]* ms, nvrtc [0-9.]* s of it nvJitLink [0-9.]* s" $O/j/jit.txt | sort -t= -k2 -n | tail -8
tail -4 $O/tests.txt; grep -E "FAILED" $O/tests.txt | head; cat $O/times.txt
# The tests-all limit is what the jit line leaves (~375 s): tests cut by it
# show as FAILED with a log that stops mid-case (session 26 call 1); rerun
# those alone (bench/device-run.sh tests-all 'NAME') before reading them as
# failures.
