#!/usr/bin/env bash
# Session 22 call 1: every GPU test (session 21's CPU-only changes: rolled
# block-map masks, two-unit forward, OneKernelServesPrefillAndDecoding),
# the CLI checks, and the Python package installed for the next calls.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv > $O/gpu.txt 2>&1
OUT=$O/t GPU_TEST_TIMEOUT=420 bash bench/device-run.sh tests-all > $O/tests.txt 2>&1
echo "tests-all rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
cat $O/tests.txt | head -60
cat $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
