#!/usr/bin/env bash
# Session 26, call 3 (main with window-rows merged and the polynomial
# exponentials removed):
#   1. module loads of synthetic CUBINs (bench/tmp/synth: straight-line code
#      of 19 KB-490 KB, a 1.8 KB parameter struct, static + dynamic shared
#      memory, setmaxnreg) next to flashgen's: what makes a load cost
#      0.4-0.8 ms (issue 14);
#   2. float64 checks of the d64 sliding window on its new tiles (8k rows),
#      then mask_bench (window, d64/d128, 2k/16k) vs FlexAttention (issue 15);
#   3. GpuBackward.BothWgmmaKernelFamilies (cut by call 1's time limit) and
#      the forward GPU tests that cover windows.
#   run: tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s26/scripts/call3.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
stamp() { echo "$1 $(( $(date +%s) - t0 )) s" >> $O/times.txt; }
for e in causal document_mask; do
  FLASHGEN_CACHE_DIR=/tmp/kc .carry/flashgen run examples/$e.attn --shape 1,2,128 > /dev/null 2>&1
done
timeout 90 python3 bench/module_load.py /tmp/kc --procs 5 --modes first,again --loading LAZY \
  --cubins bench/tmp/synth/*.cubin > $O/module-load.txt 2>&1
stamp module-load
printf 'attention win64 {\n  head_dim = 64;\n  heads = 16;\n  mask = causal && q - k < 1024;\n}\n' > /tmp/win64.attn
for shape in 1,2,8193 1,1,4097 2,2,3000; do
  timeout 120 .carry/flashgen run /tmp/win64.attn --shape $shape 2>&1 | tail -3
  timeout 120 .carry/flashgen run /tmp/win64.attn --backward --shape $shape 2>&1 | tail -2
done > $O/window-check.txt 2>&1
stamp window-check
OUT=$O/m MASK_BENCH_TIMEOUT=200 bash bench/device-run.sh masks --masks window --dims 64,128 \
  --seqlens 2048,16384 > $O/masks.txt 2>&1
stamp masks
left=$(( 560 - ($(date +%s) - t0) ))
OUT=$O/t GPU_TEST_TIMEOUT=$left bash bench/device-run.sh tests-all \
  'GpuBackward.BothWgmmaKernelFamilies:GpuForward.EveryExampleAtOddSizes:GpuForward.ThreeConsumerWarpgroups:GpuForward.Fp8Inputs' > $O/tests.txt 2>&1
stamp "tests (limit $left)"
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
cat $O/module-load.txt; grep -E "ok|rel_err|FAIL|error" $O/window-check.txt | head -20
tail -30 $O/masks.txt; tail -8 $O/tests.txt; cat $O/times.txt
