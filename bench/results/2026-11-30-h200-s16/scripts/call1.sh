#!/usr/bin/env bash
# Session 16 call 1: NVRTC phase times on this host, then the whole GPU suite.
set -u
mkdir -p $OUT/nt
nproc > $OUT/nt/nproc.txt; lscpu | head -20 >> $OUT/nt/nproc.txt
for s in bench/tmp/nt/*.cu; do bench/tmp/nt/nt $s -lineinfo; bench/tmp/nt/nt $s -lineinfo; done > $OUT/nt/nt.txt 2>&1
bench/tmp/nt/nt bench/tmp/nt/alibi.cu -lineinfo --fdevice-time-trace=$OUT/nt/tr.json >> $OUT/nt/nt.txt 2>&1
GPU_TEST_TIMEOUT=${T:-520} bash bench/device-run.sh tests-all 'Gpu*' > $OUT/run.txt 2>&1
cd $OUT && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
