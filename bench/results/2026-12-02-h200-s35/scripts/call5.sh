#!/usr/bin/env bash
# Session 35, call 5 (main as in call 4, the machine still warm): the GPU
# test suite in the device budget left (~400 s; it ran 8 forward tests).
#   tar xJf .carry-pack/bins.tar.xz && OUT=$OUT/t GPU_TEST_TIMEOUT=380 timeout 420 \
#     bash bench/device-run.sh tests > $OUT/tests.txt 2>&1
