#!/usr/bin/env bash
# Session 30, call 3: wide-pipe after call 2's d256 loss (-1.7%) was
# traced to the helpers' recomputed thread indices (the two-buffer
# consumer's SASS is main's again, byte for byte). A/B main / wide-pipe,
# float64 checks, GPU tests of the wide kernels, racecheck.
# Built: scripts/ab-build.sh main wide-pipe (packed .carry-ab/ab.tar.xz);
# FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh on wide-pipe.
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
for spec in mla_causal mla_none d192_none d256_causal d256_none; do
  AB_TIMEOUT=60 AB_BINS="main wide-pipe" bash bench/ab-run.sh --backward bench/specs/$spec.attn \
    8,16,2048 2,16,8192 > "$O/ab-$spec.txt" 2>&1
done
echo "ab $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
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
  echo "attention c { head_dim = 192; passes = forward, backward; }" > /tmp/c.attn
  timeout 90 compute-sanitizer --tool memcheck .carry/flashgen run /tmp/c.attn --backward --shape 1,2,333,333 2>&1 | tail -3
} > "$O/checks.txt" 2>&1
echo "checks $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
left=$(( 500 - ($(date +%s) - t0) )); [[ $left -lt 120 ]] && left=120
OUT=$O/t GPU_TEST_TIMEOUT=$left bash bench/device-run.sh tests-all \
  'GpuBackward.WideKernelByGradient:GpuBackward.UnequalHeadDims:GpuBackward.HeadDims136To192BothDtypes:GpuBackward.WideKernelFeatures' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cd "$O" && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz "$O/all.tgz"
cat "$O/times.txt"; head -8 "$O/tests.txt"; for f in "$O"/ab-*.txt; do echo "# $f"; grep round "$f"; done; grep -c "nan=0" "$O/checks.txt"; grep -E "ERROR SUMMARY|RACECHECK SUMMARY" "$O/checks.txt"
