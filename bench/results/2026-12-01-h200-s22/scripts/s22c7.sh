#!/usr/bin/env bash
# Session 22 call 7: the adopted softmax (conditional O rescale, rows side
# by side): forward GPU tests; fp8 tilings: 128x128 (one CTA, two consumer
# warpgroups, the planner's) vs 64x128 at two CTAs per SM.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
mk() { printf 'attention %s {\n  dtype = %s;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" "$5" > /tmp/$1.attn; }
NL=$'\n'
ONE="  block_m = 64;$NL  block_n = 128;$NL  warps = 4;$NL  warp_specialized = true;$NL  ctas_per_sm = 2;$NL"
mk f8 fp8_e4m3 128 16 ''; mk f8c fp8_e4m3 128 16 "  mask = causal;$NL"
mk f8o fp8_e4m3 128 16 "$ONE"; mk f8oc fp8_e4m3 128 16 "  mask = causal;$NL$ONE"
mk b128 bf16 128 16 ''; mk c128 bf16 128 16 "  mask = causal;$NL"
for s in 1,4,17,17 2,4,1000,1000 1,4,4097,4097; do
  for v in f8o f8oc; do FLASHGEN_CACHE_DIR=/tmp/c-chk timeout 60 $c/flashgen run /tmp/$v.attn --shape $s 2>&1 | grep -E "rel_err|error|ok:" | tr '\n' ' '; echo; done
done > $O/one-wg-check.txt 2>&1
cat $O/one-wg-check.txt
{ for s in 2,16,8192 8,16,2048 32,16,512 1,16,16384; do
  line="$s"
  for v in f8 f8o b128 f8c f8oc c128; do
    t=$(FLASHGEN_CACHE_DIR=/tmp/c-t timeout 60 $c/flashgen run /tmp/$v.attn --no-check --cold-l2 --reps 30 --shape $s 2>&1 | grep -o 'time=[0-9.]* ms' | tr '\n' ' ')
    line="$line | $v ${t:-failed}"
  done
  echo "$line"
done; } > $O/tilings.txt 2>&1
cat $O/tilings.txt; echo "tilings $(( $(date +%s) - t0 )) s" >> $O/times.txt
OUT=$O/t GPU_TEST_TIMEOUT=300 bash bench/device-run.sh tests-all 'GpuForward.Fp8*:GpuForward.EveryExampleAtOddSizes:GpuForward.EveryHeadDimBothDtypes:GpuForward.MmaSyncPathOnHopper:GpuForward.SplitsKeysAtDecodeShapes:GpuForward.ThreeConsumerWarpgroups:GpuForward.WideHeadDimsOnWgmma:GpuForward.PacksGqaQueryHeads:GpuForward.PerEntryKeyLengths:GpuForward.RuntimeBlockMasks:GpuForward.ExplicitTilings' > $O/tests.txt 2>&1
echo "tests $(( $(date +%s) - t0 )) s" >> $O/times.txt
cat $O/tests.txt | head -30; cat $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
