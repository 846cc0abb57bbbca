#!/usr/bin/env bash
# Session 28, call 4: the wide backward's dQ four columns per reduction
# (branch wide-v4) vs main; float64 checks of wide-v4. Carry .carry-pack
# with .carry-ab/flashgen-{main,wide-v4}, then:
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-01-h200-s28/scripts/call4.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
export AB_BINS="main wide-v4"
{ bash bench/ab-run.sh --backward bench/specs/d256_none.attn 8,8,2048 2,8,8192 1,8,16384
  bash bench/ab-run.sh --backward bench/specs/d256_causal.attn 8,8,2048 2,8,8192; } > "$O/ab.txt" 2>&1
{ for s in examples/softcap.attn bench/specs/d256_causal.attn bench/specs/d256_none.attn; do
    for shape in 2,4,1000,1000 1,4,17,333 1,2,4097,4097; do
      echo "== $s $shape"; timeout 60 .carry-ab/flashgen-wide-v4 run "$s" --backward --shape "$shape" 2>&1 | tail -2
    done
  done; } > "$O/checks.txt" 2>&1
# racecheck of main's wide kernel (call 3 flagged 38 hazards on wide-bulk's).
timeout 150 compute-sanitizer --tool racecheck --racecheck-report hazard .carry-ab/flashgen-main run \
  bench/specs/d256_causal.attn --backward --shape 1,2,300,300 > "$O/racecheck.txt" 2>&1
echo "done $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat "$O/times.txt" "$O/ab.txt"; grep -E "^ok|rror|FAIL" "$O/checks.txt"
grep -E "SUMMARY|^ok" "$O/racecheck.txt"; grep -m3 -A3 "hazard" "$O/racecheck.txt" | grep -E "hazard|in |at " | head -12
