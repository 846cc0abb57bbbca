#!/usr/bin/env bash
# Session 25, call 3, on main (ds-gated merged + the JIT's load breakdown;
# device-prep build, .carry packed into .carry-pack/bins.tar.xz):
# (1) where a new process's disk hit goes (cache reads, module loads,
#     functions), as built, with the whole module as one program
#     (FLASHGEN_JIT_ONE_PROGRAM=1) and with the driver's eager loading;
# (2) the quick standard grid against SDPA (cuDNN, flash), same call;
# (3) masks against FlexAttention.
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
c=.carry
{ for spec in examples/causal.attn examples/alibi.attn examples/document_mask.attn \
      examples/softcap.attn examples/mla_dims.attn examples/sparse_local.attn examples/key_padding.attn; do
    for mode in lazy one eager; do
      env=(); [[ $mode == one ]] && env=(FLASHGEN_JIT_ONE_PROGRAM=1); [[ $mode == eager ]] && env=(CUDA_MODULE_LOADING=EAGER)
      jc=$(mktemp -d)
      env "${env[@]}" CUDA_CACHE_PATH=$jc/nv FLASHGEN_CACHE_DIR=$jc FLASHGEN_TUNING_DB=off \
        $c/flashgen-bench --jit "$spec" 2>&1 | sed "s/^/$mode /"
      for i in 1 2 3; do
        env "${env[@]}" CUDA_CACHE_PATH=$jc/nv FLASHGEN_CACHE_DIR=$jc FLASHGEN_TUNING_DB=off \
          $c/flashgen-bench --jit-disk "$spec" 2>&1 | sed "s/^/$mode /"
      done
      rm -rf "$jc"
    done
  done; } > $O/jit-load.txt 2>&1
echo "jit-load $(( $(date +%s) - t0 )) s" >> $O/times.txt
timeout 170 $c/flashgen-bench --quick > $O/flashgen-bench.tsv 2>&1
echo "flashgen-bench rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
PYTHONUNBUFFERED=1 timeout 150 python3 bench/torch_bench.py --quick --no-flex > $O/torch-bench.tsv 2> $O/torch-bench.err
echo "torch-bench rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
python3 bench/report.py $O/flashgen-bench.tsv $O/torch-bench.tsv > $O/report.md 2>&1
bash scripts/install-python.sh --library $c/libflashgen.so > $O/install.txt 2>&1
left=$(( 580 - ($(date +%s) - t0) )); ((left < 30)) && left=30
PYTHONUNBUFFERED=1 timeout $left python3 bench/mask_bench.py --masks causal,docs_tensor,dilated,window \
  --dims 64,128 --seqlens 2048,16384 --out $O > $O/masks.txt 2>&1
echo "all $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
grep -E "jit-disk" $O/jit-load.txt | grep -oE "^[a-z]+ jit-disk [^ ]* total_ms=[0-9.]* \(frontend [0-9.]* ms with cache reads [0-9.]* ms, load [0-9.]* ms: [0-9]+ modules [0-9.]* ms, [0-9]+ functions [0-9.]* ms" | head -70
tail -30 $O/report.md; grep '^|' $O/masks.txt; cat $O/times.txt
