#!/usr/bin/env bash
# Session 27, call 4 (branch fp8-mma-rowsum aa1dd55 in .carry; .carry-ab:
# a675834 = session 26's main, main = 16d1926 score-modifier fast math,
# fp8-mma-rowsum): fp8 row sums by the tensor cores A/B (speed, then the
# fp8 GPU test and float64 CLI checks), the soft cap's speed before/after
# the fast math, and cold JIT repeated 3x on five examples (variance).
#   run: tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s27/scripts/call4.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
S=bench/results/2026-12-01-h200-s27/scripts
AB_BINS="main fp8-mma-rowsum" bash bench/ab-run.sh $S/inputs/fp8-dense.attn 2,16,8192 8,16,2048 1,16,16384 > $O/ab-fp8.txt 2>&1
AB_BINS="main fp8-mma-rowsum" bash bench/ab-run.sh tests/lit/Codegen/Inputs/fp8-d128.attn 2,16,8192 > $O/ab-fp8-causal.txt 2>&1
echo "ab-fp8 $(( $(date +%s) - t0 )) s" >> $O/times.txt
AB_BINS="a675834 main" bash bench/ab-run.sh examples/softcap.attn 1,16,8192 > $O/ab-softcap.txt 2>&1
AB_BINS="a675834 main" bash bench/ab-run.sh --backward examples/softcap.attn 1,16,4096 >> $O/ab-softcap.txt 2>&1
echo "ab-softcap $(( $(date +%s) - t0 )) s" >> $O/times.txt
{ for s in "1,4,1000,1000" "2,16,4097" "1,4,17,17" "1,2,1,1"; do
    .carry/flashgen run $S/inputs/fp8-dense.attn --shape $s 2>&1 | tail -3
    .carry/flashgen run tests/lit/Codegen/Inputs/fp8-d128.attn --shape $s 2>&1 | tail -3
  done; } > $O/fp8-cli.txt 2>&1
OUT=$O/t GPU_TEST_TIMEOUT=120 bash bench/device-run.sh tests-all 'GpuForward.Fp8Inputs:GpuForward.Fp8RefusesWhatItLacks' > $O/tests.txt 2>&1
echo "fp8 checks $(( $(date +%s) - t0 )) s" >> $O/times.txt
for r in 1 2 3; do
  for e in mha_bf16 mqa varlen document_mask softcap; do
    jc=$(mktemp -d)
    CUDA_CACHE_PATH=$jc/nv FLASHGEN_CACHE_DIR=$jc FLASHGEN_TUNING_DB=off \
      timeout 30 .carry/flashgen-bench --jit examples/$e.attn 2>&1 | grep -oE "^jit [^ ]* cold_total_s=[0-9.]* \(frontend [0-9.]* ms, nvrtc [0-9.]* s of it nvJitLink [0-9.]* s"
    rm -rf "$jc"
  done
done > $O/cold-repeats.txt
echo "cold repeats $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz $O/all.tgz
cat $O/times.txt $O/ab-fp8.txt $O/ab-fp8-causal.txt $O/ab-softcap.txt; cat $O/fp8-cli.txt | grep -iE "max|err|fail|pass|TFLOP" | head -24
head -6 $O/tests.txt; sort $O/cold-repeats.txt
