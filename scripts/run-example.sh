#!/usr/bin/env bash
#===- scripts/run-example.sh - set up, build, compile an example spec -------===#
#
# The main job: checks an example .attn spec and prints it as attn dialect IR.
#   scripts/run-example.sh [spec.attn]     (default: examples/alibi.attn)
#
#===------------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FLASHGEN_BUILD_DIR:-$root/build}
spec=${1:-$root/examples/alibi.attn}

bash "$root/scripts/build.sh"
echo "== flashgen check $spec"
"$build/bin/flashgen" check "$spec"
echo "ok"
echo "== flashgen emit-ir $spec"
"$build/bin/flashgen" emit-ir "$spec"
