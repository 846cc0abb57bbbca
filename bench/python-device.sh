#!/usr/bin/env bash
#===- bench/python-device.sh - the Python package's GPU work, one device call ===#
#
# On the GPU machine, from the repository root, after scripts/device-prep.sh
# here (carry .carry): installs the package with the carried libflashgen.so,
# then runs the pytest suite on the second GPU (its cuda:1 test uses the
# first too) while the paper's examples run and are timed alone on the first:
# py_overhead.py (host cost per call), long_context.py, block_sparse_vs_approx.py, gpt_train.py at 1k and 4k
# tokens, and bench/plot.py over their JSON. With one GPU the two parts run
# one after the other. Everything lands in $OUT: a summary on stdout,
# pytest.txt, and results.tgz (JSON, logs, PNGs).
#   bench/python-device.sh [examples|tests|all] [--quick]
#
#===------------------------------------------------------------------------===#
set -uo pipefail
what=${1:-all}
quick=${2:-}
out=${OUT:-$PWD/out}
res=$out/python
mkdir -p "$res/plots"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$res/device.txt"
bash scripts/install-python.sh --library .carry/libflashgen.so > "$res/install.txt" 2>&1 ||
  { echo "install failed"; tail -20 "$res/install.txt"; exit 1; }
gpus=$(nvidia-smi -L | wc -l)

tests() {
  (cd python && CUDA_VISIBLE_DEVICES=$1 FLASHGEN_PYTEST_REPORT=$res/pytest-cases.tsv \
     timeout 560 python3 -m pytest tests -q -p no:cacheprovider -rs --tb=short) \
    > "$out/pytest.txt" 2>&1
  echo "pytest rc=$?: $(tail -1 "$out/pytest.txt")"
}
examples() {
  local q=() t=480
  [[ -n $quick ]] && { q=(--quick); t=120; }
  export CUDA_VISIBLE_DEVICES=0
  timeout 120 python3 bench/py_overhead.py > "$res/py_overhead.txt" 2>&1
  echo "py_overhead rc=$?"
  timeout $t python3 examples/long_context.py "${q[@]}" --out "$res/long_context.json" \
    > "$res/long_context.txt" 2>&1; echo "long_context rc=$?"
  timeout $t python3 examples/block_sparse_vs_approx.py "${q[@]}" --out "$res/block_sparse.json" \
    > "$res/block_sparse.txt" 2>&1; echo "block_sparse rc=$?"
  for n in 1024 4096; do
    timeout $t python3 examples/gpt_train.py "${q[@]}" --seq $n --out "$res/gpt_$n.json" \
      > "$res/gpt_$n.txt" 2>&1; echo "gpt_train $n rc=$?"
  done
  python3 bench/plot.py "$res"/*.json --out "$res/plots" > "$res/plot.txt" 2>&1
  echo "plot rc=$?"
  unset CUDA_VISIBLE_DEVICES
}

case $what in
  tests) tests 0,1 ;;
  examples) examples ;;
  all)
    if ((gpus >= 2)); then
      tests 1,0 &
      pid=$!
      examples
      wait $pid
    else
      tests 0
      examples
    fi ;;
esac
for f in "$res"/*.txt; do echo "== $f"; tail -12 "$f"; done 2>/dev/null | cut -c1-200
tar czf "$out/results.tgz" -C "$res" . && rm -rf "$res"
