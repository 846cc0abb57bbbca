#!/usr/bin/env bash
# Session 20 call 1: persistent warp-specialized forward (static / dynamic
# item schedules) and the unrolled partial-tile masks: GPU tests, then
# A/B of FLASHGEN_FWD_ITEMS=grid|static|dynamic (same binary, same call).
set -u
O=$OUT; c=.carry; t0=$(date +%s)
export FLASHGEN_CACHE_DIR=/tmp/c-s20
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv > $O/gpu.txt 2>&1
FLASHGEN_GPU_REPORT=$O/cases-persist.txt timeout 240 $c/flashgen-gpu-tests \
  --gtest_filter='GpuForward.PersistentItems:GpuForward.CombineLaunchedEarly' > $O/gtest1.log 2>&1
echo "gtest1 rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
tail -5 $O/gtest1.log
mk() { printf 'attention %s {\n  dtype = bf16;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" > /tmp/$1.attn; }
mk d128 128 16 ''
mk c128 128 16 '  mask = causal;\n'
mk c64 64 32 '  mask = causal;\n'
mk d64 64 32 ''
mk d256 256 8 ''
mk c256 256 8 '  mask = causal;\n'
mk dil64 64 16 '  mask = (q - k) % 4 == 0;\n'
mk dil128 128 16 '  mask = (q - k) % 4 == 0;\n'
printf 'attention doc {\n  dtype = bf16;\n  head_dim = 128;\n  heads = 16;\n  mask = causal && q / 1000 == k / 1000;\n}\n' > /tmp/doca.attn
runs=(
 "d128 32,16,512" "d128 16,16,1024" "d128 8,16,2048" "d128 1,16,16384"
 "c128 32,16,512" "c128 16,16,1024" "c128 8,16,2048" "c128 1,16,16384"
 "c64 32,32,512" "c64 4,32,4096" "c64 1,32,16384" "d64 4,32,4096"
 "d256 8,8,2048" "c256 2,8,8192"
 "dil64 8,16,2048" "dil64 1,16,16384" "dil128 8,16,2048"
 "doca 8,16,2048" "doca 1,16,16384"
)
{ for round in 1 2; do for r in "${runs[@]}"; do set -- $r
  line="r$round $1 $2"
  for mode in grid static dynamic; do
    t=$(FLASHGEN_FWD_ITEMS=$mode timeout 60 $c/flashgen run /tmp/$1.attn --no-check --reps 30 --shape $2 2>&1 | grep -o 'time=[0-9.]* ms\|TFLOP/s=[0-9.]*\|[0-9.]* TFLOP/s' | tr '\n' ' ')
    line="$line | $mode $t"
  done
  echo "$line"
done; done; } > $O/ab.txt 2>&1
echo "ab $(( $(date +%s) - t0 )) s" >> $O/times.txt
# The default (auto) on the whole forward suite.
FLASHGEN_GPU_REPORT=$O/cases-fwd.txt timeout $(( 570 - ($(date +%s) - t0) )) $c/flashgen-gpu-tests \
  --gtest_filter='GpuForward.*' > $O/gtest2.log 2>&1
echo "gtest2 rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
tail -30 $O/gtest2.log
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
