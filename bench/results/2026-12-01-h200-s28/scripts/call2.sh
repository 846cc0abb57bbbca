#!/usr/bin/env bash
# Session 28, call 2: A/B of the wide backward (main = call 1's kernel;
# wide-db = two P^T/dS^T buffers, one warpgroup meeting per item;
# wide-noatomic = an ablation without the dQ atomics, timing only), float64
# checks of wide-db, and ncu of main's wide kernel. Carry .carry-pack
# (scripts/ab-build.sh main wide-db wide-noatomic; FLASHGEN_CARRY_PACK=1
# scripts/device-prep.sh), then:
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s28/scripts/call2.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
export AB_BINS="main wide-db wide-noatomic"
{ bash bench/ab-run.sh --backward bench/specs/d256_none.attn 8,8,2048 2,8,8192 1,8,16384
  bash bench/ab-run.sh --backward bench/specs/d256_causal.attn 8,8,2048 2,8,8192; } > "$O/ab.txt" 2>&1
echo "ab $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat > "$O/doc1.attn" <<'SPEC'
attention doc1 { head_dim = 256; tensor doc_id : i32[batch, seq_k]; mask = causal && doc_id[b, q] == doc_id[b, k]; }
SPEC
cat > "$O/doc2.attn" <<'SPEC'
attention doc2 { head_dim = 256; tensor doc_id : i32[batch, seq_k]; tensor seg : i32[batch, seq_k]; mask = doc_id[b, q] == doc_id[b, k] && seg[b, q] <= seg[b, k] + 2; dropout = 0.1; }
SPEC
{
  for s in examples/softcap.attn bench/specs/d256_causal.attn "$O/doc1.attn" "$O/doc2.attn"; do
    for shape in 2,4,1000,1000 1,4,17,333 1,2,4097,4097; do
      echo "== $s $shape"; timeout 60 .carry-ab/flashgen-wide-db run "$s" --backward --shape "$shape" 2>&1 | tail -3
    done
  done
  .carry-ab/flashgen-wide-db compile "$O/doc2.attn" --backward -o "$O/doc2.cu" && grep -m1 "ConfigWide =" "$O/doc2.cu"
  .carry-ab/flashgen-wide-db compile "$O/doc1.attn" --backward -o "$O/doc1.cu" && grep -m1 "ConfigWide =" "$O/doc1.cu"
} > "$O/checks.txt" 2>&1
echo "checks $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
timeout 150 ncu --section SpeedOfLight --section WarpStateStats --section ComputeWorkloadAnalysis \
  --section MemoryWorkloadAnalysis --section Occupancy -k regex:bwd_fused -c 1 \
  .carry/flashgen run bench/specs/d256_none.attn --backward --no-check --reps 1 --shape 2,8,8192 > "$O/ncu.txt" 2>&1
echo "ncu rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cd "$O" && tar czf /tmp/all.tgz * 2>/dev/null; mv /tmp/all.tgz "$O/all.tgz"
cat "$O/times.txt"; cat "$O/ab.txt"; grep -E "^ok|error|FAIL|ConfigWide" "$O/checks.txt"
