#!/usr/bin/env bash
# Session 25, call 4, on main with the forward as one NVRTC program
# (device-prep build; .carry packed into .carry-pack/bins.tar.xz):
# (1) new-process disk hits of examples with and without a tile-class
#     builder (first, alone on the machine's CPUs);
# (2) float64 CLI checks of forwards with a builder;
# (3) the GPU tests that JIT forwards with builders, side by side.
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
c=.carry
{ for spec in examples/document_mask.attn examples/key_padding.attn examples/sparse_local.attn \
      examples/sparse_runtime.attn examples/causal.attn examples/alibi.attn; do
    jc=$(mktemp -d)
    CUDA_CACHE_PATH=$jc/nv FLASHGEN_CACHE_DIR=$jc FLASHGEN_TUNING_DB=off $c/flashgen-bench --jit "$spec" 2>&1
    for i in 1 2 3; do
      CUDA_CACHE_PATH=$jc/nv FLASHGEN_CACHE_DIR=$jc FLASHGEN_TUNING_DB=off $c/flashgen-bench --jit-disk "$spec" 2>&1
    done
    rm -rf "$jc"
  done; } > $O/jit-disk.txt 2>&1
echo "jit-disk $(( $(date +%s) - t0 )) s" >> $O/times.txt
{ $c/flashgen run examples/document_mask.attn --shape 2,8,4097
  $c/flashgen run examples/key_padding.attn --shape 1,4,1000,1000
  $c/flashgen run examples/sparse_local.attn --shape 1,4,17,17
  $c/flashgen run examples/sparse_runtime.attn --shape 2,4,1000
  $c/flashgen run examples/document_mask.attn --shape 1,4,17
  $c/flashgen run examples/prefix_lm.attn --shape 1,4,1000
  $c/flashgen run examples/sliding_window.attn --shape 1,4,4097
  $c/flashgen run examples/document_mask.attn --backward --shape 2,4,1000; } > $O/cli.txt 2>&1
echo "cli rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
left=$(( 235 - ($(date +%s) - t0) )); ((left < 30)) && left=30
OUT=$O/t GPU_TEST_TIMEOUT=$left bash bench/device-run.sh tests-all \
  'GpuForward.RuntimeBlockMasks:GpuForward.ChecksLookupsWhenAsked' > $O/tests.txt 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
grep -oE "^jit-disk [^ ]* total_ms=[0-9.]* \(frontend [0-9.]* ms with cache reads [0-9.]* ms, load [0-9.]* ms: [0-9]+ modules [0-9.]* ms" $O/jit-disk.txt
grep -oE "^jit [^ ]* cold_total_s=[0-9.]*" $O/jit-disk.txt
grep -E "max|err|rror|nan=" $O/cli.txt | head -12; tail -8 $O/tests.txt; cat $O/times.txt
