#!/usr/bin/env bash
# Session 22 call 6: which half of the softmax change pays (tree = short
# reduction chains only, slack = conditional O rescale only, t3 = both),
# and fp8 with three consumer warpgroups (192 x 128, t3 with the register
# check relaxed for fp8): checked vs float64, then timed.
set -u
O=$OUT; A=.carry-ab; t0=$(date +%s)
mk() { printf 'attention %s {\n  dtype = %s;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" "$5" > /tmp/$1.attn; }
NL=$'\n'
mk b128 bf16 128 16 ''; mk c128 bf16 128 16 "  mask = causal;$NL"; mk b64 bf16 64 32 ''
mk c64 bf16 64 32 "  mask = causal;$NL"; mk f8 fp8_e4m3 128 16 ''; mk f8c fp8_e4m3 128 16 "  mask = causal;$NL"
T3="  block_m = 192;$NL  block_n = 128;$NL  warps = 12;$NL  warp_specialized = true;$NL"
mk f8t fp8_e4m3 128 16 "$T3"; mk f8tc fp8_e4m3 128 16 "  mask = causal;$NL$T3"
for s in 1,4,17,17 2,4,1000,1000 1,4,4097,4097 2,4,333,1000; do
  for v in f8t f8tc; do FLASHGEN_CACHE_DIR=/tmp/c-chk timeout 60 $A/flashgen-t3 run /tmp/$v.attn --shape $s 2>&1 | grep -E "rel_err|error|ok:" | tr '\n' ' '; echo; done
done > $O/t3-check.txt 2>&1
cat $O/t3-check.txt
runs=("b128 2,16,8192" "b128 8,16,2048" "c128 8,16,2048" "c128 1,16,16384" "b64 4,32,8192" "c64 16,32,2048"
      "f8 2,16,8192" "f8 8,16,2048" "f8c 2,16,8192" "f8c 8,16,2048")
{ for round in 1 2; do for r in "${runs[@]}"; do set -- $r
  line="r$round $1 $2"
  for b in base tree slack t3; do
    t=$(FLASHGEN_CACHE_DIR=/tmp/c-$b timeout 60 $A/flashgen-$b run /tmp/$1.attn --no-check --cold-l2 --reps 30 --shape $2 2>&1 | grep -o 'time=[0-9.]* ms' | tr '\n' ' ')
    line="$line | $b ${t:-failed}"
  done
  if [[ $1 == f8* ]]; then
    v=${1/f8/f8t}
    t=$(FLASHGEN_CACHE_DIR=/tmp/c-t3 timeout 60 $A/flashgen-t3 run /tmp/$v.attn --no-check --cold-l2 --reps 30 --shape $2 2>&1 | grep -o 'time=[0-9.]* ms' | tr '\n' ' ')
    line="$line | three-wg ${t:-failed}"
  fi
  echo "$line"
done; done; } > $O/ab.txt 2>&1
cat $O/ab.txt; echo "$(( $(date +%s) - t0 )) s"
