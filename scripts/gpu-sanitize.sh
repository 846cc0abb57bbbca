#!/usr/bin/env bash
#===- scripts/gpu-sanitize.sh - the kernels under compute-sanitizer ----------===#
#
# Runs `flashgen run SPEC --backward` (forward, backward, both checked
# against float64) under each compute-sanitizer tool for a representative
# set of variants: the sm_80 mma.sync kernels forward and backward (causal
# and document masks with `mma = sync; bwd_mma = sync`), warp-specialized
# wgmma forward and backward (d64 causal, d128), run-time tile classes and lookups
# (document mask; doc_id[b, q] of seq_k with seq_q > seq_k), the split GQA/MQA backward (mqa), head dim 256's
# separate backward kernels (softcap), varlen, run-time block masks and
# dropout; and decoding forwards (`flashgen run` flags after a third colon,
# commas for spaces): split-KV with per-entry key lengths, NaN past them,
# from a paged pool (pages of 48 rows straddle the tiles) and not. Odd
# sizes, so every kernel has partial tiles.
#   scripts/gpu-sanitize.sh [FLASHGEN] [OUTDIR]       (GPU machine)
#   TOOLS="memcheck racecheck" JOBS=4 scripts/gpu-sanitize.sh ...
#   CASES="sync" scripts/gpu-sanitize.sh ...   (only the cases whose spec
#   path contains one of the words)
# One log per (variant, shape, tool) in OUTDIR, and OUTDIR/summary.txt with each
# run's error count; exit status 1 if any run reported errors or failed.
#
#===------------------------------------------------------------------------===#
set -uo pipefail
bin=${1:-build/bin/flashgen}
out=${2:-sanitize-out}
tools=${TOOLS:-memcheck racecheck synccheck initcheck}
mkdir -p "$out"
command -v compute-sanitizer > /dev/null ||
  { echo "compute-sanitizer not found (it ships with the CUDA toolkit)"; exit 2; }
# The sm_80 kernel family, which the planner does not pick on sm_90a.
mkdir -p "$out/specs"
for e in causal document_mask; do
  sed '0,/{/s//{ mma = sync; bwd_mma = sync;/' "examples/$e.attn" > "$out/specs/${e}_sync.attn"
done
# spec:shape
cases="$out/specs/causal_sync.attn:2,3,257,257
$out/specs/document_mask_sync.attn:2,2,600,600
examples/causal.attn:2,3,257,257
examples/mha_bf16.attn:1,16,300,300
examples/document_mask.attn:2,2,600,600
examples/document_mask.attn:2,2,700,300
examples/mqa.attn:1,16,300,300
examples/softcap.attn:1,16,257,257
examples/varlen.attn:2,3,300,300
examples/sparse_runtime.attn:1,16,512,512
examples/dropout.attn:2,3,257,257
examples/causal_bottom_right.attn:5,4,1,3001:--kv-lengths,--page-size=48
examples/causal_bottom_right.attn:5,4,3,1000:--kv-lengths"
if [[ -n ${CASES:-} ]]; then
  cases=$(for c in $cases; do for w in $CASES; do [[ $c == *"$w"* ]] && echo "$c" && break; done; done)
  [[ -n $cases ]] || { echo "CASES=\"$CASES\" matches no case"; exit 2; }
fi
# A JIT cache of its own, warmed without the sanitizer, so the sanitized
# runs time kernels, not NVRTC.
export FLASHGEN_CACHE_DIR=${FLASHGEN_CACHE_DIR:-$out/cache}
# A case's flags: after the shape's colon, commas for spaces (default
# --backward).
flags_of() { local f; f=$(cut -d: -f3 <<< "$1"); tr ',' ' ' <<< "${f:---backward}"; }
shape_of() { cut -d: -f2 <<< "$1"; }
for c in $cases; do
  # shellcheck disable=SC2046
  "$bin" run "${c%%:*}" $(flags_of "$c") --shape "$(shape_of "$c")" > /dev/null 2>&1
done
run_one() {
  local tool=$1 spec=$2 shape=$3 flags=$4
  local log="$5/$(basename "$spec" .attn)-${shape//,/x}-$tool.log"
  # shellcheck disable=SC2086
  timeout "${SANITIZE_TIMEOUT:-300}" compute-sanitizer --tool "$tool" --error-exitcode 99 \
    "$6" run "$spec" ${flags//,/ } --shape "$shape" > "$log" 2>&1
  local rc=$?
  local summary
  summary=$(grep -o "ERROR SUMMARY: [0-9]* error[s]*\|RACECHECK SUMMARY: [0-9]* hazard[s]*[^)]*" "$log" | tail -1)
  printf "%-22s %-13s %-10s rc=%-3s %s\n" "$(basename "$spec")" "$shape" "$tool" "$rc" \
    "${summary:-no summary}"
}
export -f run_one
for tool in $tools; do
  for c in $cases; do
    f=$(cut -d: -f3 <<< "$c")
    echo "$tool ${c%%:*} $(shape_of "$c") ${f:---backward}"
  done
done | xargs -P "${JOBS:-4}" -L 1 bash -c 'run_one "$0" "$1" "$2" "$3" '"$out $bin" | sort > "$out/summary.txt"
cat "$out/summary.txt"
! grep -qv "rc=0 " "$out/summary.txt"
