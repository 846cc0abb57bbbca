#!/usr/bin/env bash
#===- bench/tune-grid.sh - the auto-tuner on the standard grid, one device call ===#
#
# On the GPU machine, from the repository root, after scripts/device-prep.sh
# here (carry .carry): installs the Python package with the carried
# libflashgen.so, then runs bench/tune_grid.py with the carried CLI; its
# arguments pass through. Writes $OUT/tune-grid[-TAG].md, .json and
# -raw.tgz (specs, the tuner's JSON and logs, the database and its export).
#   bash bench/tune-grid.sh --quick                       # smoke test
#   bash bench/tune-grid.sh --dims 64 --tag d64           # one call per head dim
#   bash bench/tune-grid.sh --dims 128 --passes fwd --tag d128-fwd
# and here, afterwards: python3 bench/tune_grid.py --merge A.json B.json --out DIR
# The whole run keeps within --deadline (540 s by default), install included.
#
#===------------------------------------------------------------------------===#
set -uo pipefail
start=$SECONDS
out=${OUT:-$PWD/out}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.used --format=csv,noheader
bash scripts/install-python.sh --library .carry/libflashgen.so > /tmp/tune-grid-install.txt 2>&1 ||
  { echo "install failed"; tail -20 /tmp/tune-grid-install.txt; exit 1; }
tail -1 /tmp/tune-grid-install.txt
deadline=540
args=("$@")
for ((i = 0; i < ${#args[@]}; ++i)); do
  [[ ${args[i]} == --deadline ]] && deadline=${args[i + 1]}
done
python3 bench/tune_grid.py --flashgen .carry/flashgen --out "$out" "$@" \
  --deadline $((${deadline%.*} - (SECONDS - start)))
rc=$?
for md in "$out"/tune-grid*.md; do [[ -f $md ]] && cat "$md"; done | head -120
exit $rc
