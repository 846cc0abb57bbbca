#!/usr/bin/env bash
# Session 27, call 5 (main 7b2056f): where a cold forward's compile goes on
# this host (coldsplit.py: NVRTC's front end, nvJitLink's NVVM and ptxas),
# for every example and the 4 random specs of seed 8, from `flashgen
# compile --arch sm_90a` sources and, for mha_bf16 and mqa, from the
# sources the JIT itself compiled (its spec-index entries).
#   run: tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s27/scripts/call5.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
S=bench/results/2026-12-01-h200-s27/scripts
python3 bench/random_specs.py --count 4 --seed 8 --out /tmp/random-specs > /dev/null
mkdir -p /tmp/ex
for f in examples/*.attn /tmp/random-specs/*.attn; do
  .carry/flashgen compile "$f" --arch sm_90a -o /tmp/ex/$(basename "$f" .attn).cu > /dev/null 2>&1
done
for e in mha_bf16 mqa; do
  jc=$(mktemp -d)
  CUDA_CACHE_PATH=$jc/nv FLASHGEN_CACHE_DIR=$jc FLASHGEN_TUNING_DB=off \
    .carry/flashgen-bench --jit examples/$e.attn > /dev/null 2>&1
  python3 - "$jc" /tmp/ex/$e.jit.cu <<'PY'
import os, sys
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        b = open(os.path.join(root, f), "rb").read()
        if b.startswith(b'{"cubin"') and b"flashgen_fwd_" in b and b"FLASHGEN_FWD_DECODING 0" in b:
            open(sys.argv[2], "wb").write(b.split(b"\n", 1)[1])
PY
  rm -rf "$jc"
done
ls /tmp/ex > $O/sources.txt
(REPS=2 timeout 150 python3 $S/coldsplit.py $PWD/templates /tmp/ex/*.cu > $O/coldsplit.md 2> $O/coldsplit.err)
echo "coldsplit $(( $(date +%s) - t0 )) s" >> $O/times.txt
diff <(sed 1d /tmp/ex/mqa.jit.cu) /tmp/ex/mqa.cu > $O/mqa-jit-vs-compile.diff 2>&1
cat $O/times.txt $O/coldsplit.md; head -3 $O/coldsplit.err; head -20 $O/mqa-jit-vs-compile.diff
