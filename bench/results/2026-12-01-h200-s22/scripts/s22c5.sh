#!/usr/bin/env bash
# Session 22 call 5: the softmax with short reduction chains and
# conditional O rescaling (kRescaleSlack): A/B of base (c2ad48c) vs new on
# bf16 and fp8 forwards, then the forward GPU tests of the new build.
set -u
O=$OUT; c=.carry; A=.carry-ab; t0=$(date +%s)
mk() { printf 'attention %s {\n  dtype = %s;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" "$5" > /tmp/$1.attn; }
NL=$'\n'
mk b128 bf16 128 16 ''; mk c128 bf16 128 16 "  mask = causal;$NL"; mk b64 bf16 64 32 ''
mk c64 bf16 64 32 "  mask = causal;$NL"; mk f8 fp8_e4m3 128 16 ''; mk f8c fp8_e4m3 128 16 "  mask = causal;$NL"
runs=("b128 2,16,8192" "b128 8,16,2048" "b128 32,16,512" "c128 8,16,2048" "c128 1,16,16384"
      "b64 4,32,8192" "c64 16,32,2048" "f8 2,16,8192" "f8 8,16,2048" "f8 32,16,512" "f8c 2,16,8192" "f8c 8,16,2048")
{ for round in 1 2; do for r in "${runs[@]}"; do set -- $r
  line="r$round $1 $2"
  for b in base new; do
    t=$(FLASHGEN_CACHE_DIR=/tmp/c-$b timeout 60 $A/flashgen-$b run /tmp/$1.attn --no-check --cold-l2 --reps 30 --shape $2 2>&1 | grep -o 'time=[0-9.]* ms' | tr '\n' ' ')
    line="$line | $b ${t:-failed}"
  done
  echo "$line"
done; done; } > $O/ab.txt 2>&1
echo "ab $(( $(date +%s) - t0 )) s" >> $O/times.txt
cat $O/ab.txt
OUT=$O/t GPU_TEST_TIMEOUT=330 bash bench/device-run.sh tests-all 'GpuForward.Fp8*:GpuForward.EveryExampleAtOddSizes:GpuForward.EveryHeadDimBothDtypes:GpuForward.MmaSyncPathOnHopper:GpuForward.SplitsKeysAtDecodeShapes:GpuForward.ThreeConsumerWarpgroups:GpuForward.WideHeadDimsOnWgmma:GpuForward.PacksGqaQueryHeads' > $O/tests.txt 2>&1
echo "tests $(( $(date +%s) - t0 )) s" >> $O/times.txt
cat $O/tests.txt | head -30; cat $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
