#!/usr/bin/env bash
# Prepared in session 27 for the next session's first device call, on main
# (rm -rf .carry-ab; FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry
# .carry-pack). Every GPU test on the final main of session 27 (score
# modifiers with the SFU's tanh and reciprocal multiplies: every test with a
# score modifier passed in calls 2-3, the rest ran on a675834 in call 1),
# all at once with 470 s (call 1 gave them 410 s and 7 were cut; the CLI
# checks tests-all runs afterwards need ~60 s more of the 600 s call).
#   run:  tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s27/scripts/next-call.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
OUT=$O/t GPU_TEST_TIMEOUT=470 bash bench/device-run.sh tests-all > $O/tests.txt 2>&1
echo "tests-all rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz $O/all.tgz
cat $O/times.txt; head -45 $O/tests.txt
# A test cut by the limit shows as FAILED with a log that stops mid-case:
# rerun it alone (bench/device-run.sh tests-all 'NAME') before reading it
# as a failure.
