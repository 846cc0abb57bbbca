#!/usr/bin/env bash
# Session 20 call 4 (inline in the device call): backward tests of the
# example masks, forward block masks and paged caches at the committed code.
mkdir -p $OUT; export FLASHGEN_CACHE_DIR=/tmp/c3
timeout 320 .carry/flashgen-gpu-tests --gtest_filter='GpuBackward.EveryExampleAtOddSizes:GpuBackward.RuntimeBlockMasks:GpuBackward.ScoreExpressionsGetTheirGradients:GpuBackward.BothWgmmaKernelFamilies:GpuForward.RuntimeBlockMasks:GpuForward.PagedKvCache' > $OUT/gtest-bwd.log 2>&1
