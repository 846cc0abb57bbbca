#!/usr/bin/env bash
# Session 20 call 2: why the persistent forward loses at long N (ncu, grid
# vs static), the masked A/B, the masks bench (unrolled partial tiles) and
# decoding with the combine launched early (PDL).
set -u
O=$OUT; c=.carry; t0=$(date +%s)
export FLASHGEN_CACHE_DIR=/tmp/c-s20
( bash scripts/install-python.sh --library $c/libflashgen.so > $O/install.txt 2>&1; echo "install rc=$?" >> $O/install.txt ) &
mk() { printf 'attention %s {\n  dtype = bf16;\n  head_dim = %s;\n  heads = %s;\n  %s\n}\n' "$1" "$2" "$3" "$4" > /tmp/$1.attn; }
mk d128 128 16 ''
mk c128 128 16 'mask = causal;'
mk c64 64 32 'mask = causal;'
mk c256 256 8 'mask = causal;'
mk dil64 64 16 'mask = (q - k) % 4 == 0;'
mk dil128 128 16 'mask = (q - k) % 4 == 0;'
mk doca 128 16 'mask = causal && q / 1000 == k / 1000;'
cat /tmp/doca.attn > $O/doca.attn
M=gpu__time_duration.sum,sm__cycles_elapsed.avg.per_second,dram__bytes_read.sum,lts__t_sector_hit_rate.pct,sm__throughput.avg.pct_of_peak_sustained_elapsed,smsp__inst_executed.sum,sm__warps_active.avg.pct_of_peak_sustained_active
for sh in 1,16,16384 1,1,16384 32,16,512; do for mode in grid static; do
  echo "== d128 $sh $mode" >> $O/ncu.txt
  FLASHGEN_FWD_ITEMS=$mode timeout 90 ncu --clock-control none --metrics $M --kernel-name regex:flashgen_fwd --launch-skip 2 --launch-count 1 \
     $c/flashgen run /tmp/d128.attn --no-check --reps 3 --shape $sh 2>&1 | grep -E "^\s+(gpu__|sm__|dram__|lts__|smsp__)" >> $O/ncu.txt
done; done
echo "ncu $(( $(date +%s) - t0 )) s" >> $O/times.txt
runs=("c128 32,16,512" "c128 16,16,1024" "c128 8,16,2048" "c128 1,16,16384" "c64 32,32,512" "c64 4,32,4096" "c64 1,32,16384"
      "c256 2,8,8192" "dil64 8,16,2048" "dil64 1,16,16384" "dil128 8,16,2048" "doca 8,16,2048" "doca 1,16,16384")
{ for round in 1 2; do for r in "${runs[@]}"; do set -- $r
  line="r$round $1 $2"
  for mode in grid static dynamic; do
    t=$(FLASHGEN_FWD_ITEMS=$mode timeout 60 $c/flashgen run /tmp/$1.attn --no-check --reps 30 --shape $2 2>&1 | grep -o 'time=[0-9.]* ms\|[0-9.]* TFLOP/s\|error.*' | tr '\n' ' ')
    line="$line | $mode $t"
  done
  echo "$line"
done; done; } > $O/ab2.txt 2>&1
echo "ab2 $(( $(date +%s) - t0 )) s" >> $O/times.txt
wait
export FLASHGEN_FWD_ITEMS=grid
PYTHONUNBUFFERED=1 timeout 200 python3 bench/mask_bench.py --out $O --masks dilated,docs_tensor --dims 64,128 --seqlens 2048,16384 > $O/mask-bench.txt 2>&1
echo "masks $(( $(date +%s) - t0 )) s" >> $O/times.txt
unset FLASHGEN_FWD_ITEMS
left=$(( 575 - ($(date +%s) - t0) ))
if [ $left -gt 60 ]; then
  timeout $(( left / 2 )) python3 bench/decode_bench.py --flashgen $c/flashgen --quick > $O/decode-nopdl.md 2>&1
  FLASHGEN_PDL=1 timeout $(( left / 2 - 5 )) python3 bench/decode_bench.py --flashgen $c/flashgen --quick > $O/decode-pdl.md 2>&1
fi
echo "end $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
