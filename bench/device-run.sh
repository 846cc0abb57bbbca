#!/usr/bin/env bash
#===- bench/device-run.sh - everything GPU, in one device command -----------===#
#
# Run on the GPU machine from the repository root, after
# scripts/device-prep.sh here.
#   bench/device-run.sh tests-all|tests|tests-bwd|tests-bwd2|bench|all [bench args]
#   bench/device-run.sh gtest FILTER
#   bench/device-run.sh jit [COUNT SEED]
#   bench/device-run.sh masks [mask_bench args]
#   bench/device-run.sh tests-all [FILTER]
# Writes logs and tables under $OUT (or ./out), as one results.tgz when
# they are more than the device tool brings back (8 files):
#   tests-all: every GPU test, each in its own process, all at once (the
#          machine has 16 cores; NVRTC and the float64 references are
#          CPU-bound), then the CLI checks: the whole suite in one call;
#          with FILTER only the GPU tests it names, side by side, no CLI
#   tests: the forward GPU tests and the backward examples (gpu-log.txt,
#          gpu-fwd.txt one line per case), the C++ example, `flashgen run`
#          on examples, the C API test
#   tests-bwd, tests-bwd2: the rest of the backward GPU tests
#   gtest FILTER: the GPU tests FILTER names (a change's own part)
#   bench: flashgen-bench and torch_bench.py back to back, report.md; bench
#          args (--head-dim 64, --quick, --no-backward) go to both
#   jit: cold JIT and disk-hit times of every example and COUNT random
#          specs, and the cold forward + backward pair JITted side by side
#          (jit.txt, the specs in random-specs.tgz)
#   masks [args]: installs the Python package and runs bench/mask_bench.py
#          (flashgen vs FlexAttention on masks and run-time block maps;
#          args such as --dims 64 --seqlens 2048 --masks blocks05 go to it;
#          mask-bench.txt, mask-bench.json)
#   cp [cp_bench args]: context parallelism on every GPU of the machine
#          (torchrun, NCCL, multicast off): python/tests/multigpu/cp_check.py
#          (cp-check.txt: outputs and gradients vs float64 and one GPU),
#          then bench/cp_bench.py on 1 GPU and on all of them (cp-bench-P*.txt,
#          cp-bench-P*.json)
#   python [pytest args]: installs the Python package with the carried
#          libflashgen.so and runs its pytest suite (CPU and GPU tests;
#          pytest.txt, pytest-cases.tsv with every accuracy check)
#
#===------------------------------------------------------------------------===#
set -uo pipefail
what=${1:-all}
shift || true
out=${OUT:-$PWD/out}
mkdir -p "$out"
touch "$out/gpu-fwd.txt"
c=.carry
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$out/device.txt"
# The whole GPU suite takes ~17 minutes one test after another (backward:
# NVRTC per variant and the float64 CPU reference), more than one 10-minute
# device call: `tests-all` runs the tests side by side; `tests`, `tests-bwd`
# and `tests-bwd2` split them into three sequential calls.
#
# One test process for a gtest filter, its case lines to $2, its log to $3;
# bounded, so that a hanging kernel leaves its logs behind instead of taking
# the whole device call with it.
run_tests() {
  FLASHGEN_GPU_REPORT=$2 timeout "${GPU_TEST_TIMEOUT:-540}" \
    $c/flashgen-gpu-tests --gtest_filter="$1" >> "$3" 2>&1
}
# The counts and each test's verdict (skipped ones too: a skip is no pass).
summarize() {
  echo "gpu tests rc=$1 ($2$(grep -c rel_err "$out/gpu-fwd.txt") fwd cases, $(grep -c dQ= "$out/gpu-fwd.txt") bwd cases)"
  grep -E "OK \] |FAILED \] |Failure|SKIPPED \] Gpu" "$out/gpu-log.txt" | head -40
}
gtest() {
  run_tests "$1" "$out/gpu-fwd.txt" "$out/gpu-log.txt"
  summarize $? ""
}
[[ $what == gtest ]] && gtest "$1"
# Every test of the binary in its own process, in parallel; logs and case
# lines are joined in test order afterwards.
gtest_parallel() {
  local tests=() suite="" line i pids=() rc=0
  while IFS= read -r line; do
    case $line in
      Running*) ;;
      "  "*) tests+=("$suite${line#  }") ;;
      *) suite=$line ;;
    esac
  done < <($c/flashgen-gpu-tests --gtest_list_tests --gtest_filter="${1:-*}")
  for i in "${!tests[@]}"; do
    run_tests "${tests[$i]}" "$out/cases-$i.txt" "$out/log-$i.txt" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || { rc=1; echo "FAILED: ${tests[$i]}"; }; done
  for i in "${!tests[@]}"; do
    cat "$out/log-$i.txt" >> "$out/gpu-log.txt"
    [[ -f $out/cases-$i.txt ]] && cat "$out/cases-$i.txt" >> "$out/gpu-fwd.txt"
    rm -f "$out/log-$i.txt" "$out/cases-$i.txt"
  done
  summarize $rc "${#tests[@]} tests; "
}
[[ $what == tests-all ]] && gtest_parallel "${1:-*}"
# The device tool brings back at most 8 files from $OUT: past that, one
# archive of everything instead.
pack() {
  local n tgz
  n=$(find "$out" -type f | wc -l)
  ((n > 8)) || return 0
  tgz=$(mktemp) && tar czf "$tgz" -C "$out" . && find "$out" -mindepth 1 -delete &&
    mv "$tgz" "$out/results.tgz" && echo "($n files packed into results.tgz)"
}
[[ $what == tests-all && -n ${1:-} ]] && { pack; exit 0; }
[[ $what == tests-bwd ]] && gtest 'GpuBackward.HeadDims8To64*:GpuBackward.HeadDims72To128*:GpuBackward.UnequalHeadDims:GpuBackward.ScoreExpressions*:GpuBackward.RejectsBadArguments'
[[ $what == tests-bwd2 ]] && gtest 'GpuBackward.HeadDims136To192*:GpuBackward.HeadDims200To256*:GpuBackward.MmaSyncFastPathOnHopper'
if [[ $what == tests || $what == tests-all || $what == all ]]; then
  [[ $what == tests-all ]] || gtest 'GpuForward.*:GpuBackward.EveryExampleAtOddSizes'
  { $c/flashgen-jit-example; $c/flashgen run examples/alibi.attn --shape 1,32,1000,1000;
    $c/flashgen run examples/document_mask.attn --shape 2,8,4097; $c/flashgen-capi-test;
    $c/flashgen run examples/softcap.attn --backward --shape 1,4,1000,1000;
    $c/flashgen run examples/dropout.attn --backward --shape 2,4,777;
    $c/flashgen run examples/mqa.attn --backward --deterministic --shape 1,16,1000; } \
    > "$out/cli.txt" 2>&1
  echo "cli rc=$?"; tail -5 "$out/cli.txt"
fi
if [[ $what == jit ]]; then
  # Cold JIT (a spec no cache has seen, the CUDA context already up) and a
  # disk hit in a new process, one process per spec: every example, then
  # random specs (bench/random_specs.py; args: COUNT SEED, default 12 8).
  python3 bench/random_specs.py --count "${1:-12}" --seed "${2:-8}" --out /tmp/random-specs > /dev/null
  for spec in examples/*.attn /tmp/random-specs/*.attn; do
    jc=$(mktemp -d)
    # CUDA_CACHE_PATH: NVRTC reuses ptxas results from the driver's compute
    # cache across processes (bench/results/2026-11-30-h200-s13.md).
    CUDA_CACHE_PATH=$jc/nv FLASHGEN_CACHE_DIR=$jc FLASHGEN_TUNING_DB=off \
      $c/flashgen-bench --jit "$spec" 2>&1
    # The disk hit of a later process: without the tuning database, then
    # with one (the first run creates it; the second is the one to read).
    CUDA_CACHE_PATH=$jc/nv FLASHGEN_CACHE_DIR=$jc FLASHGEN_TUNING_DB=off \
      $c/flashgen-bench --jit-disk "$spec" 2>&1
    for run in create read; do
      CUDA_CACHE_PATH=$jc/nv FLASHGEN_CACHE_DIR=$jc FLASHGEN_TUNING_DB=$jc/tuning.db \
        $c/flashgen-bench --jit-disk "$spec" 2>&1 | sed "s/^jit-disk /jit-disk-db-$run /"
    done
    rm -rf "$jc"
    # Cold again, for training: the backward JITted beside the forward.
    jc=$(mktemp -d)
    CUDA_CACHE_PATH=$jc/nv FLASHGEN_CACHE_DIR=$jc FLASHGEN_TUNING_DB=off \
      $c/flashgen-bench --jit-train "$spec" 2>&1
    rm -rf "$jc"
  done > "$out/jit.txt"
  tar czf "$out/random-specs.tgz" -C /tmp random-specs
  grep -o 'jit [^ ]* cold_total_s=[0-9.]*' "$out/jit.txt" | sort -t= -k2 -n | tail -8
  grep -oE 'jit-disk(-db-read)? [^ ]* total_ms=[0-9.]*' "$out/jit.txt" | sort -t= -k2 -n | tail -6
fi
if [[ $what == masks ]]; then
  bash scripts/install-python.sh --library $c/libflashgen.so > "$out/install.txt" 2>&1 ||
    { echo "install failed"; tail -20 "$out/install.txt"; }
  PYTHONUNBUFFERED=1 timeout "${MASK_BENCH_TIMEOUT:-540}" python3 bench/mask_bench.py \
    --out "$out" "$@" > "$out/mask-bench.txt" 2>&1
  echo "mask bench rc=$?"; grep '^|' "$out/mask-bench.txt" | tail -40
fi
if [[ $what == cp ]]; then
  bash scripts/install-python.sh --library $c/libflashgen.so > "$out/install.txt" 2>&1 ||
    { echo "install failed"; tail -20 "$out/install.txt"; }
  # NVLink multicast stays off (the device docs: it can take the host's GPUs down).
  export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
  ngpu=$(nvidia-smi -L | wc -l)
  PYTHONUNBUFFERED=1 timeout "${CP_CHECK_TIMEOUT:-240}" torchrun --nproc_per_node="$ngpu" \
    python/tests/multigpu/cp_check.py > "$out/cp-check.txt" 2>&1
  echo "cp check rc=$? ($ngpu GPUs)"; grep -E "^(PASS|FAIL)|passed" "$out/cp-check.txt" | tail -40
  for p in $(printf '%s\n' 1 "$ngpu" | sort -un); do
    PYTHONUNBUFFERED=1 timeout "${CP_BENCH_TIMEOUT:-300}" torchrun --nproc_per_node="$p" \
      bench/cp_bench.py --out "$out" "$@" > "$out/cp-bench-P$p.txt" 2>&1
    echo "cp bench P=$p rc=$?"; grep '^|' "$out/cp-bench-P$p.txt"
  done
fi
if [[ $what == python ]]; then
  bash scripts/install-python.sh --library $c/libflashgen.so > "$out/install.txt" 2>&1 ||
    { echo "install failed"; tail -20 "$out/install.txt"; }
  (cd python && FLASHGEN_PYTEST_REPORT=$out/pytest-cases.tsv PYTHONUNBUFFERED=1 \
    timeout "${PYTEST_TIMEOUT:-560}" python3 -m pytest tests -q -p no:cacheprovider -rs "$@") \
    > "$out/pytest.txt" 2>&1
  echo "pytest rc=$?"; tail -25 "$out/pytest.txt"
fi
if [[ $what == bench || $what == all ]]; then
  $c/flashgen-bench "$@" > "$out/flashgen-bench.tsv" 2>&1
  PYTHONUNBUFFERED=1 python3 bench/torch_bench.py "$@" > "$out/torch-bench.tsv" 2> "$out/torch-bench.err"
  python3 bench/report.py "$out/flashgen-bench.tsv" "$out/torch-bench.tsv" > "$out/report.md"
  tail -60 "$out/report.md"
fi
pack
