#!/usr/bin/env bash
# Session 28, call 3: the wide backward with dQ by the copy engine's bulk
# reduce-add (branch wide-bulk; .carry built from it, .carry-ab holds
# flashgen-main = call 1's kernel and flashgen-wide-bulk). Then:
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s28/scripts/call3.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
export AB_BINS="main wide-bulk"
{ bash bench/ab-run.sh --backward bench/specs/d256_none.attn 8,8,2048 2,8,8192 1,8,16384
  bash bench/ab-run.sh --backward bench/specs/d256_causal.attn 8,8,2048 2,8,8192; } > "$O/ab.txt" 2>&1
echo "ab $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
OUT=$O/t GPU_TEST_TIMEOUT=200 bash bench/device-run.sh tests-all \
  'GpuBackward.WideKernelFeatures:GpuBackward.HeadDims200To256BothDtypes:GpuBackward.SplitsGroupHeadsAtShortSequences:GpuBackward.JitsBesideTheForward:GpuBackward.EveryExampleAtOddSizes' \
  > "$O/tests.txt" 2>&1
echo "tests rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat > "$O/doc2.attn" <<'SPEC'
attention doc2 { head_dim = 256; tensor doc_id : i32[batch, seq_k]; tensor seg : i32[batch, seq_k]; mask = doc_id[b, q] == doc_id[b, k] && seg[b, q] <= seg[b, k] + 2; dropout = 0.1; }
SPEC
{ for shape in 2,4,1000,1000 1,2,4097,4097; do
    echo "== doc2 $shape"; timeout 60 .carry/flashgen run "$O/doc2.attn" --backward --shape "$shape" 2>&1 | tail -3
  done
  echo "== racecheck"; timeout 120 compute-sanitizer --tool racecheck .carry/flashgen run bench/specs/d256_causal.attn --backward --shape 1,2,300,300 2>&1 | tail -4
  echo "== memcheck"; timeout 100 compute-sanitizer --tool memcheck .carry/flashgen run examples/softcap.attn --backward --shape 1,4,333,333 2>&1 | tail -4
} > "$O/checks.txt" 2>&1
echo "checks $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
{ for spec in d256_none d256_causal; do
    for n in 512 1024 2048 4096 8192 16384; do
      b=$(( 16384 / n ))
      t=$(timeout 60 .carry/flashgen run bench/specs/$spec.attn --backward --no-check --reps 20 \
            --shape $b,8,$n 2>&1 | grep -o 'bwd=[0-9.]* ms\|time=[0-9.]* ms' | tr '\n' ' ')
      echo "$spec N=$n B=$b fast $t"
    done
  done; } > "$O/times-bwd.txt" 2>&1
echo "grid $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
timeout $(( 585 - ($(date +%s) - t0) )) python3 bench/torch_bench.py --head-dim 256 > "$O/torch.txt" 2>&1
echo "torch rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cd "$O" && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz "$O/all.tgz"
cat "$O/times.txt"; cat "$O/ab.txt"; grep -E "OK|FAILED|rc=" "$O/tests.txt" | head; grep -E "^ok|rror|ERROR SUMMARY|FAIL" "$O/checks.txt"; cat "$O/times-bwd.txt"
