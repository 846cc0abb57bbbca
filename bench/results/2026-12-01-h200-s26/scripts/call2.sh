#!/usr/bin/env bash
# Session 26, call 2 (on main c2543ba + window-rows rebased on it):
#   1. the driver's module load alone (bench/module_load.py), issue 14;
#   2. FLASHGEN_POLY_EXP2_STRIDE 0/2/4/8 on fp8 and bf16 forwards (speed,
#      then float64 checks at odd sizes), issue 17;
#   3. A/B of window-rows vs main on a d64/d128 sliding window, issue 15.
#   run: tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s26/scripts/call2.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
stamp() { echo "$1 $(( $(date +%s) - t0 )) s" >> $O/times.txt; }
spec() { # name dtype head_dim mask
  printf 'attention %s {\n  dtype = %s;\n  head_dim = %s;\n  heads = 16;\n%s}\n' \
    "$1" "$2" "$3" "${4:+  mask = $4;
}" > /tmp/$1.attn; }
# 1. module loads
for e in causal document_mask softcap; do
  FLASHGEN_CACHE_DIR=/tmp/kc .carry/flashgen run examples/$e.attn --shape 1,2,128 > /dev/null 2>&1
done
timeout 120 python3 bench/module_load.py /tmp/kc --procs 5 > $O/module-load.txt 2>&1
stamp module-load
# 2. polynomial exponentials
spec fp8_d128 fp8_e4m3 128; spec fp8_d128c fp8_e4m3 128 causal
spec bf16_d128 bf16 128; spec bf16_d128c bf16 128 causal; spec bf16_d64 bf16 64
for round in 1 2; do
  for s in fp8_d128 fp8_d128c bf16_d128 bf16_d128c bf16_d64; do
    for shape in 2,16,8192 1,16,16384; do
      for st in 0 2 4 8; do
        r=$(FLASHGEN_POLY_EXP2_STRIDE=$st FLASHGEN_CACHE_DIR=/tmp/c$st timeout 60 \
          .carry/flashgen run /tmp/$s.attn --no-check --cold-l2 --reps 30 --shape $shape 2>&1 |
          grep -oE "[0-9.]+ TFLOP/s" | head -1)
        echo "poly round=$round spec=$s shape=$shape stride=$st $r"
      done
    done
  done
done > $O/poly.txt 2>&1
stamp poly-speed
for st in 2 4; do
  for s in fp8_d128 fp8_d128c bf16_d128 bf16_d64 document_mask; do
    f=/tmp/$s.attn; [[ $s == document_mask ]] && f=examples/document_mask.attn
    for shape in 1,4,17 2,4,1000 1,2,4097; do
      echo "== stride=$st $s $shape"
      FLASHGEN_POLY_EXP2_STRIDE=$st FLASHGEN_CACHE_DIR=/tmp/c$st timeout 90 \
        .carry/flashgen run $f --shape $shape 2>&1 | tail -2
    done
  done
done > $O/poly-check.txt 2>&1
stamp poly-check
# 3. window-rows
printf 'attention win64 {\n  head_dim = 64;\n  heads = 16;\n  mask = causal && q - k < 1024;\n}\n' > /tmp/win64.attn
printf 'attention win128 {\n  head_dim = 128;\n  heads = 16;\n  mask = causal && q - k < 1024;\n}\n' > /tmp/win128.attn
for w in win64 win128; do
  .carry-ab/flashgen-window-rows explain /tmp/$w.attn --shape 1,16,16384 2>&1 | head -3
  AB_TIMEOUT=60 timeout 150 bash bench/ab-run.sh /tmp/$w.attn 1,16,16384 2,16,8192 4,16,4096 8,16,2048
done > $O/window-ab.txt 2>&1
stamp window-ab
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
cat $O/module-load.txt | head -40; echo; grep -c "ok\|match" $O/poly-check.txt; grep -iE "error|fail|nan=[1-9]|mismatch" $O/poly-check.txt | head; cat $O/times.txt
