#!/usr/bin/env bash
# Prepared in session 22 for the next session's first device call: verify
# the two branches written after the device time ran out.
#   here:  scripts/ab-build.sh main split-s        # .carry-ab/flashgen-{main,split-s}
#          git checkout python-fp8 (python/ only; main's libflashgen.so, C API v8)
#          scripts/device-prep.sh
#   carry: .carry/libflashgen.so .carry/flashgen-gpu-tests .carry-ab bench/results/2026-12-01-h200-s22/scripts
#   run:   bash bench/results/2026-12-01-h200-s22/scripts/next-call.sh
# Then: merge python-fp8 if test_fp8.py passes; merge split-s if it wins
# and the forward GPU tests pass on a build of it (tests-all 'GpuForward.*').
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; A=.carry-ab; t0=$(date +%s)
(bash scripts/install-python.sh --library .carry/libflashgen.so > $O/install.txt 2>&1;
 cd python && PYTHONUNBUFFERED=1 timeout 200 python3 -m pytest -q -p no:cacheprovider \
   tests/gpu/test_fp8.py tests/test_spec.py > $O/pytest-fp8.txt 2>&1; echo "pytest rc=$?" >> $O/times.txt) &
(FLASHGEN_CACHE_DIR=/tmp/c-gt timeout 300 .carry/flashgen-gpu-tests --gtest_filter='GpuForward.Fp8*' > $O/gtest-fp8.txt 2>&1; echo "gtest fp8 rc=$?" >> $O/times.txt) &
mk() { printf 'attention %s {\n  dtype = %s;\n  head_dim = %s;\n  heads = %s;\n%s}\n' "$1" "$2" "$3" "$4" "$5" > /tmp/$1.attn; }
NL=$'\n'
mk b128 bf16 128 16 ''; mk c128 bf16 128 16 "  mask = causal;$NL"; mk b64 bf16 64 32 ''
mk c64 bf16 64 32 "  mask = causal;$NL"; mk f8 fp8_e4m3 128 16 ''; mk f8c fp8_e4m3 128 16 "  mask = causal;$NL"
mk doc bf16 128 16 "  mask = causal && q / 1000 == k / 1000;$NL"
for s in 1,4,17,17 2,4,1000,1000 1,4,4097,4097; do
  for v in b128 c128 f8 f8c doc; do
    FLASHGEN_CACHE_DIR=/tmp/c-chk timeout 60 $A/flashgen-split-s run /tmp/$v.attn --shape $s 2>&1 |
      grep -E "rel_err|error" | tr '\n' ' '; echo
  done
done > $O/split-check.txt 2>&1
wait  # the timing below has the GPU to itself
echo "checks $(( $(date +%s) - t0 )) s" >> $O/times.txt
runs=("b128 2,16,8192" "b128 8,16,2048" "b128 32,16,512" "c128 8,16,2048" "c128 1,16,16384"
      "b64 4,32,8192" "c64 16,32,2048" "f8 2,16,8192" "f8 8,16,2048" "f8c 2,16,8192" "f8c 8,16,2048"
      "doc 8,16,2048")
{ for round in 1 2; do for r in "${runs[@]}"; do set -- $r
  line="r$round $1 $2"
  for b in main split-s; do
    t=$(FLASHGEN_CACHE_DIR=/tmp/c-$b timeout 60 $A/flashgen-$b run /tmp/$1.attn --no-check --cold-l2 --reps 30 --shape $2 2>&1 | grep -o 'time=[0-9.]* ms' | tr '\n' ' ')
    line="$line | $b ${t:-failed}"
  done
  echo "$line"
done; done; } > $O/ab.txt 2>&1
wait
echo "all $(( $(date +%s) - t0 )) s" >> $O/times.txt
cat $O/split-check.txt $O/ab.txt; tail -3 $O/pytest-fp8.txt; grep -E "OK|FAILED|PASSED" $O/gtest-fp8.txt | tail -5; cat $O/times.txt
