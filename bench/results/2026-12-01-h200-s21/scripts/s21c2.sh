#!/usr/bin/env bash
# Session 21 call 2 (main with unrolled-keep merged, run --cold-l2): masks
# bench vs FlexAttention, decoding with a cold L2 on both sides (and warm
# for flashgen as before), Nq 4/16 with rows packed, ncu of the short-row
# forward vs cuDNN, then GPU tests of the masks.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
export FLASHGEN_CACHE_DIR=/tmp/c-s21
( bash scripts/install-python.sh --library $c/libflashgen.so > $O/install.txt 2>&1; echo "install rc=$?" >> $O/install.txt ) &
NL=$'\n'
mk() { printf 'attention %s {\n  dtype = bf16;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" > /tmp/$1.attn; }
mk c128 128 16 "  mask = causal;$NL"
mk d128 128 16 ''
M=gpu__time_duration.sum,sm__cycles_elapsed.avg.per_second,sm__throughput.avg.pct_of_peak_sustained_elapsed,smsp__inst_executed.sum,sm__warps_active.avg.pct_of_peak_sustained_active,sm__pipe_tensor_op_gmma_cycles_active.avg.pct_of_peak_sustained_elapsed,launch__grid_size,launch__block_size,launch__registers_per_thread,launch__occupancy_limit_registers,sm__ctas_launched.sum
for r in "c128 32,16,512 1" "d128 32,16,512 0" "c128 8,16,2048 1"; do set -- $r
  echo "== flashgen $1 $2" >> $O/ncu.txt
  timeout 60 ncu --clock-control none --metrics $M --kernel-name regex:flashgen_fwd --launch-skip 2 --launch-count 1 \
     $c/flashgen run /tmp/$1.attn --no-check --reps 3 --shape $2 2>&1 | grep -E "^\s+(gpu__|sm__|smsp__|launch__)" >> $O/ncu.txt
  IFS=, read b h n <<< "$2"
  echo "== cudnn $1 $2" >> $O/ncu.txt
  timeout 60 ncu --clock-control none --metrics $M --launch-skip 3 --launch-count 1 --kernel-name regex:'cudnn|sm90|fmha|flash' \
     python3 bench/tmp/sdpa_one.py cudnn $b $h $n 128 $3 2>&1 | grep -E "^\s+(gpu__|sm__|smsp__|launch__)|^  [a-z_].*\(" >> $O/ncu.txt
done
echo "ncu $(( $(date +%s) - t0 )) s" >> $O/times.txt
timeout 100 python3 bench/decode_bench.py --flashgen $c/flashgen --quick > $O/decode-cold.md 2>&1
timeout 60 python3 bench/decode_bench.py --flashgen $c/flashgen --quick --warm-l2 > $O/decode-warm.md 2>&1
echo "decode $(( $(date +%s) - t0 )) s" >> $O/times.txt
wait
PYTHONUNBUFFERED=1 timeout 170 python3 bench/mask_bench.py --out $O --masks dilated,docs_tensor --dims 64,128 --seqlens 2048,16384 > $O/mask-bench.txt 2>&1
echo "masks $(( $(date +%s) - t0 )) s" >> $O/times.txt
timeout 90 python3 bench/decode_bench.py --flashgen $c/flashgen --quick --nq 4,16 --pack-rows > $O/decode-rows.md 2>&1
echo "decode rows $(( $(date +%s) - t0 )) s" >> $O/times.txt
(cd python && PYTHONUNBUFFERED=1 timeout $(( 570 - ($(date +%s) - t0) )) python3 -m pytest -q -x tests/gpu -k "runtime_block or document_mask or mask_mods" > $O/pytest.txt 2>&1; echo "pytest rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt)
tail -3 $O/pytest.txt; cat $O/times.txt; cat $O/decode-cold.md
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
