#!/usr/bin/env bash
# Session 22 call 8: the fp8 GPU tests on the planner's new fp8 tiling
# (64x128, two CTAs per SM), the C API test, and the Python API tests
# (dtype checks, the softmax change through the package).
set -u
O=$OUT; c=.carry; t0=$(date +%s)
(bash scripts/install-python.sh --library $c/libflashgen.so > $O/install.txt 2>&1; echo "install rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt) &
FLASHGEN_GPU_REPORT=$O/cases.txt timeout 150 $c/flashgen-gpu-tests --gtest_filter='GpuForward.Fp8*' > $O/gtest.log 2>&1
echo "gtest rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
$c/flashgen-capi-test > $O/capi.txt 2>&1; echo "capi rc=$?" >> $O/times.txt
wait
(cd python && PYTHONUNBUFFERED=1 timeout $(( 230 - ($(date +%s) - t0) )) python3 -m pytest -q -x -p no:cacheprovider tests/gpu/test_attention_api.py tests/gpu/test_kvcache_gpu.py) > $O/pytest.txt 2>&1
echo "pytest rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
grep -E "^\[ +(OK|FAILED) |Failure" $O/gtest.log; grep -E "fp8|api version" $O/capi.txt; tail -3 $O/pytest.txt; cat $O/times.txt
