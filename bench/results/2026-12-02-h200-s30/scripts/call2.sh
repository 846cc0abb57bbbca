#!/usr/bin/env bash
# Session 30, call 2. Branches (CPU-checked: NVRTC tests, nvcc without
# spills or serialized wgmma; not GPU-run):
#   dq64       the dQ kernel's K/V tiles 64 keys where three buffers fit
#              (192/128, 64/256), else 32;
#   wide-pipe  dq64 + the wide kernel's pipelined consumer (by gradient,
#              three Q/dO buffers: item n-1's dK or dV under item n's math).
# Built here: scripts/ab-build.sh main dq64 wide-pipe, packed as
# .carry-ab/ab.tar.xz; FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh on
# wide-pipe. Run:
#   tar xJf .carry-pack/bins.tar.xz && (cd .carry-ab && tar xJf ab.tar.xz) &&
#   bash bench/results/2026-12-02-h200-s30/scripts/call2.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
for spec in mla_causal mla_none; do
  AB_TIMEOUT=60 AB_BINS="main dq64 wide-pipe" bash bench/ab-run.sh --backward bench/specs/$spec.attn \
    8,16,2048 2,16,8192 > "$O/ab-$spec.txt" 2>&1
done
for spec in d192_causal d192_none d256_causal d256_none; do
  AB_TIMEOUT=60 AB_BINS="main wide-pipe" bash bench/ab-run.sh --backward bench/specs/$spec.attn \
    4,8,4096 > "$O/ab-$spec.txt" 2>&1
done
echo "ab $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
timeout 150 python3 bench/variant_bench.py --flashgen .carry-ab/flashgen-wide-pipe > "$O/variants.txt" 2>&1
echo "variants rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
{
  for dims in "head_dim = 192;" "qk_head_dim = 192; v_head_dim = 128; mask = causal;" \
              "qk_head_dim = 256; v_head_dim = 128; mask = causal;" "qk_head_dim = 64; v_head_dim = 256;" \
              "qk_head_dim = 192; v_head_dim = 128; tensor doc_id : i32[batch, seq_k]; mask = causal && doc_id[b, q] == doc_id[b, k]; dropout = 0.1;"; do
    echo "attention c { $dims passes = forward, backward; }" > /tmp/c.attn
    for shape in 1,4,17,17 2,4,17,333 1,4,1000,1000 1,2,4097,4097; do
      echo "== $dims $shape"; timeout 40 .carry/flashgen run /tmp/c.attn --backward --shape "$shape" 2>&1 | tail -2
    done
  done
  echo "attention c { qk_head_dim = 192; v_head_dim = 128; mask = causal; passes = forward, backward; }" > /tmp/c.attn
  timeout 90 compute-sanitizer --tool racecheck .carry/flashgen run /tmp/c.attn --backward --shape 1,2,300,300 2>&1 | tail -3
} > "$O/checks.txt" 2>&1
echo "checks $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
left=$(( 560 - ($(date +%s) - t0) )); [[ $left -lt 120 ]] && left=120
OUT=$O/t GPU_TEST_TIMEOUT=$left bash bench/device-run.sh tests-all \
  'GpuBackward.WideKernelByGradient:GpuBackward.WideKernelFeatures:GpuBackward.HeadDims136To192BothDtypes:GpuBackward.UnequalHeadDims:GpuBackward.HeadDims200To256BothDtypes' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cd "$O" && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz "$O/all.tgz"
cat "$O/times.txt"; head -10 "$O/tests.txt"; grep -h "" "$O"/ab-*.txt | grep round; grep -E "mla" "$O/variants.txt" | head; grep -c "nan=0" "$O/checks.txt"; grep -E "ERROR SUMMARY|RACECHECK SUMMARY|hazard" "$O/checks.txt"
