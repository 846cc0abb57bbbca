#!/usr/bin/env bash
# Session 22 call 3: the fp8 (e4m3) forward: checks vs float64, GPU tests,
# then fp8 vs bf16 flashgen and bf16 cuDNN/FA2 at d128 prefill shapes.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
export FLASHGEN_CACHE_DIR=/tmp/c-s22
mk() { printf 'attention %s {\n  dtype = %s;\n  head_dim = 128;\n  heads = 16;\n%s}\n' "$1" "$2" "$3" > /tmp/$1.attn; }
NL=$'\n'
mk f8 fp8_e4m3 ''; mk f8c fp8_e4m3 "  mask = causal;$NL"; mk b16 bf16 ''; mk b16c bf16 "  mask = causal;$NL"
for s in "1,16,1,1" "1,2,17,17" "1,2,1000,1000" "2,4,4097,4097"; do
  timeout 60 $c/flashgen run /tmp/f8.attn --shape $s 2>&1 | tail -2
  timeout 60 $c/flashgen run /tmp/f8c.attn --shape $s 2>&1 | tail -1
done > $O/run-check.txt 2>&1
cat $O/run-check.txt | head -20
echo "runs $(( $(date +%s) - t0 )) s" >> $O/times.txt
FLASHGEN_GPU_REPORT=$O/cases.txt timeout 240 $c/flashgen-gpu-tests --gtest_filter='GpuForward.Fp8*' > $O/gtest.log 2>&1
echo "gtest rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
grep -E "^\[ +(OK|FAILED) |Failure|rel_err" $O/gtest.log | head -30
shapes="8,16,2048 4,16,4096 2,16,8192 1,16,16384 32,16,512 16,16,1024"
{ for s in $shapes; do
  for v in f8 b16 f8c b16c; do
    t=$(timeout 60 $c/flashgen run /tmp/$v.attn --no-check --cold-l2 --reps 30 --shape $s 2>&1 | grep -o 'time=[0-9.]* ms [0-9.]* TFLOP/s' | tr '\n' ' ')
    echo "$v $s ${t:-failed}"
  done; done; } > $O/speed.txt 2>&1
echo "speed $(( $(date +%s) - t0 )) s" >> $O/times.txt
cat $O/speed.txt
args=""; for s in $shapes; do args="$args $s,0 $s,1"; done
timeout 200 python3 bench/tmp/fp8_sdpa.py $args > $O/sdpa.txt 2>&1
cat $O/sdpa.txt; cat $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
