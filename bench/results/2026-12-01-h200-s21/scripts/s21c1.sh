#!/usr/bin/env bash
# Session 21 call 1: the persistent-uniform forward (items from blockIdx/gridDim)
# and unrolled-keep masks: GPU tests of the merged build, then A/B of binaries
# main / persistent-uniform (auto, grid, static) / unrolled-keep, same call.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
export FLASHGEN_CACHE_DIR=/tmp/c-s21
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv > $O/gpu.txt 2>&1
FLASHGEN_GPU_REPORT=$O/cases-persist.txt timeout 200 $c/flashgen-gpu-tests \
  --gtest_filter='GpuForward.PersistentItems:GpuForward.CombineLaunchedEarly' > $O/gtest1.log 2>&1
echo "gtest1 rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
tail -5 $O/gtest1.log
A=.carry-ab
printf '#!/bin/bash\nFLASHGEN_FWD_ITEMS=static exec %s/flashgen-persistent-uniform "$@"\n' $PWD/$A > $A/flashgen-pu-static
printf '#!/bin/bash\nFLASHGEN_FWD_ITEMS=grid exec %s/flashgen-persistent-uniform "$@"\n' $PWD/$A > $A/flashgen-pu-grid
chmod +x $A/flashgen-pu-*
mk() { printf 'attention %s {\n  dtype = bf16;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" > /tmp/$1.attn; }
NL=$'\n'
mk d128 128 16 ''
mk c128 128 16 "  mask = causal;$NL"
mk c64 64 32 "  mask = causal;$NL"
mk d64 64 32 ''
mk d256 256 8 ''
mk c256 256 8 "  mask = causal;$NL"
mk dil64 64 16 "  mask = (q - k) % 4 == 0;$NL"
mk dil128 128 16 "  mask = (q - k) % 4 == 0;$NL"
mk doca 128 16 "  mask = causal && q / 1000 == k / 1000;$NL"
cat /tmp/c128.attn
dense="main persistent-uniform pu-grid pu-static"
masked="main unrolled-keep persistent-uniform"
runs=(
 "d64 64,32,512" "d64 16,32,2048" "d64 4,32,8192" "d64 1,32,16384"
 "d128 32,16,512" "d128 16,16,1024" "d128 8,16,2048" "d128 2,16,8192" "d128 1,16,16384"
 "d256 32,8,512" "d256 8,8,2048" "d256 2,8,8192"
 "c128 32,16,512" "c128 8,16,2048" "c128 1,16,16384" "c64 32,32,512" "c64 1,32,16384" "c256 2,8,8192"
 "dil64 8,16,2048" "dil64 1,16,16384" "dil128 8,16,2048" "doca 8,16,2048" "doca 1,16,16384"
)
{ for round in 1 2; do for r in "${runs[@]}"; do set -- $r
  bins=$dense; [[ $1 == dil* || $1 == doc* ]] && bins=$masked
  line="r$round $1 $2"
  for b in $bins; do
    t=$(timeout 60 $A/flashgen-$b run /tmp/$1.attn --no-check --reps 30 --shape $2 2>&1 | grep -o 'time=[0-9.]* ms' | tr '\n' ' ')
    line="$line | $b ${t:-failed}"
  done
  echo "$line"
done
for r in "dil64 8,16,2048" "dil128 8,16,2048" "doca 8,16,2048"; do set -- $r
  line="r$round bwd $1 $2"
  for b in main unrolled-keep; do
    t=$(timeout 60 $A/flashgen-$b run /tmp/$1.attn --backward --no-check --reps 20 --shape $2 2>&1 | grep -o 'bwd=[0-9.]* ms' | tr '\n' ' ')
    line="$line | $b ${t:-failed}"
  done
  echo "$line"
done; done; } > $O/ab.txt 2>&1
echo "ab $(( $(date +%s) - t0 )) s" >> $O/times.txt
cat $O/ab.txt | head -5
FLASHGEN_GPU_REPORT=$O/cases-fwd.txt timeout $(( 575 - ($(date +%s) - t0) )) $c/flashgen-gpu-tests \
  --gtest_filter='GpuForward.*' > $O/gtest2.log 2>&1
echo "gtest2 rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
tail -30 $O/gtest2.log
cat $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
