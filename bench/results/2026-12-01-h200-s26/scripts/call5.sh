#!/usr/bin/env bash
# Session 26, call 5 (branch lto-link; call 4 was one command: bench/module_load.py on CUBINs with and without the unused globals, call4/): CUBINs linked from LTO-IR by
# nvJitLink without the templates' unused constants (issue 14's disk hit).
#   1. new-process disk hits and cold JIT (examples + 2 random specs);
#   2. speed, the same binary with FLASHGEN_NVJITLINK=0 (NVRTC's own CUBIN)
#      and without (linked): forward bf16 d128/d64/causal/documents, fp8,
#      backward d128/causal d64; two rounds;
#   3. float64 checks through the linked CUBINs, then GPU tests.
#   run: tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s26/scripts/call5.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
stamp() { echo "$1 $(( $(date +%s) - t0 )) s" >> $O/times.txt; }
nv=$(ldd .carry/flashgen | grep -o '/[^ ]*libnvrtc[^ ]*'); echo "nvrtc: $nv; beside it: $(ls $(dirname $nv) | grep -i jitlink | tr '\n' ' ')" > $O/env.txt
(OUT=$O/j timeout 170 bash bench/device-run.sh jit 2 8 > $O/jit-summary.txt 2>&1)
stamp jit
spec() { printf 'attention %s {\n  dtype = %s;\n  head_dim = %s;\n  heads = 16;\n%s}\n' \
  "$1" "$2" "$3" "${4:+  mask = $4;
}" > /tmp/$1.attn; }
spec bf16_d128 bf16 128; spec bf16_d64 bf16 64; spec bf16_d128c bf16 128 causal; spec fp8_d128 fp8_e4m3 128
cp examples/document_mask.attn /tmp/docs.attn
for round in 1 2; do
  for s in bf16_d128 bf16_d64 bf16_d128c fp8_d128 docs; do
    for l in 0 1; do
      r=$(FLASHGEN_NVJITLINK=$l FLASHGEN_CACHE_DIR=/tmp/c$l timeout 60 .carry/flashgen run /tmp/$s.attn \
        --no-check --cold-l2 --reps 30 --shape 2,16,8192 2>&1 | grep -oE "[0-9.]+ TFLOP/s" | head -1)
      echo "fwd round=$round spec=$s nvjitlink=$l $r"
    done
  done
  for s in bf16_d128 bf16_d64; do
    for l in 0 1; do
      r=$(FLASHGEN_NVJITLINK=$l FLASHGEN_CACHE_DIR=/tmp/c$l timeout 90 .carry/flashgen run /tmp/$s.attn \
        --backward --no-check --cold-l2 --reps 20 --shape 2,16,8192 2>&1 | grep -oE "bwd=[0-9.]+ ms [0-9.]+ TFLOP/s" | head -1)
      echo "bwd round=$round spec=$s nvjitlink=$l $r"
    done
  done
done > $O/ab.txt 2>&1
grep -l "nv.global" /tmp/c1/*.fgk 2>/dev/null | wc -l > $O/globals-in-linked-cache.txt
grep -l "nv.global" /tmp/c0/*.fgk 2>/dev/null | wc -l >> $O/globals-in-linked-cache.txt
stamp ab
{ for a in "examples/causal.attn --shape 1,4,1000" "examples/document_mask.attn --shape 2,8,4097" \
    "/tmp/fp8_d128.attn --shape 2,4,1000" "examples/softcap.attn --backward --shape 1,4,1000,1000" \
    "examples/dropout.attn --backward --shape 2,4,777" "examples/mqa.attn --backward --deterministic --shape 1,16,1000" \
    "examples/sliding_window.attn --backward --shape 1,2,4097"; do
    echo "== $a"; timeout 90 .carry/flashgen run $a 2>&1 | tail -2; done; } > $O/check.txt 2>&1
stamp check
left=$(( 420 - ($(date +%s) - t0) ))
OUT=$O/t GPU_TEST_TIMEOUT=$left bash bench/device-run.sh tests-all \
  'GpuForward.EveryExampleAtOddSizes:GpuBackward.ScoreExpressionsGetTheirGradients:GpuJit.ConcurrentProcessesAndThreads:GpuForward.Fp8Inputs:GpuForward.PagedKvCache' > $O/tests.txt 2>&1
stamp "tests (limit $left)"
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
cat $O/env.txt; grep -oE "^jit-disk [^ ]* total_ms=[0-9.]* \(frontend [0-9.]* ms with cache reads [0-9.]* ms, load [0-9.]* ms" $O/j/jit.txt | sort -t= -k2 -n | awk 'NR%3==1' | head -9
grep -oE "^jit-disk [^ ]* total_ms=[0-9.]*" $O/j/jit.txt | sort -t= -k2 -n | tail -3
grep -oE "^jit [^ ]* cold_total_s=[0-9.]*" $O/j/jit.txt | sort -t= -k2 -n | tail -4
cat $O/ab.txt $O/globals-in-linked-cache.txt; grep -cE "^ok" $O/check.txt; grep -iE "error|FAIL|nan=[1-9]" $O/check.txt | head -5
tail -7 $O/tests.txt; cat $O/times.txt
