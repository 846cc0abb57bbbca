#!/usr/bin/env bash
#===- scripts/run-example.sh - set up, build, compile and run an example spec ===#
#
# The main job, end to end: checks an example .attn spec, prints its attn IR
# and the planner's tiling with the predicted HBM traffic (`explain`),
# compiles its forward and backward kernels to CUBINs for sm_90a with NVRTC
# (no GPU needed), and, where a GPU is present, JITs them for it, runs them
# on random inputs against the float64 reference and times them.
#   scripts/run-example.sh [spec.attn] [--shape B,H,Nq,Nk]
#   (default: examples/alibi.attn, shape 1,32,1024,1024)
#
#===------------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FLASHGEN_BUILD_DIR:-$root/build}
spec=${1:-$root/examples/alibi.attn}
shift || true
shape=(--shape 1,32,1024,1024)
[[ $# -gt 0 ]] && shape=("$@")
fg=$build/bin/flashgen
out=${FLASHGEN_EXAMPLE_OUT:-$build/example}

bash "$root/scripts/build.sh"
mkdir -p "$out"
name=$(basename "$spec" .attn)
echo "== flashgen check $spec"
"$fg" check "$spec"
echo "ok"
echo "== flashgen emit-ir $spec"
"$fg" emit-ir "$spec"
echo "== flashgen explain $spec --arch sm_90a ${shape[*]}"
"$fg" explain "$spec" --arch sm_90a "${shape[@]}"
echo "== flashgen compile (forward and backward CUBINs for sm_90a)"
"$fg" compile "$spec" --arch sm_90a -o "$out/$name.cubin"
"$fg" compile "$spec" --arch sm_90a --backward -o "$out/$name.bwd.cubin"
ls -l "$out/$name.cubin" "$out/$name.bwd.cubin"
if "$fg" run "$spec" "${shape[@]}" --reps 1 --no-check >/dev/null 2>&1; then
  echo "== flashgen run $spec ${shape[*]} --backward (GPU: vs float64, timed)"
  "$fg" run "$spec" "${shape[@]}" --backward
else
  echo "== no GPU here: the kernels were compiled, not run" \
       "($("$fg" run "$spec" "${shape[@]}" --reps 1 --no-check 2>&1 | head -1))"
fi
