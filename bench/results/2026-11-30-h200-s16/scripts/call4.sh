#!/usr/bin/env bash
# Session 16 call 4: the GPU tests this session's changes touch that call 3
# did not finish or run: BothWgmmaKernelFamilies (killed by call 3's limit),
# the forward's retiled kernels (withTiling), checked lookups, the tuner.
set -u
GPU_TEST_TIMEOUT=${T:-450} bash bench/device-run.sh tests-all 'GpuBackward.BothWgmmaKernelFamilies:GpuForward.ThreeConsumerWarpgroups:GpuForward.ExplicitTilings:GpuForward.ChecksLookupsWhenAsked:GpuTuner.*:GpuForward.RejectsBadArguments' > $OUT/run.txt 2>&1
cd $OUT && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
