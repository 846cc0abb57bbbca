set -u
o=${OUT:-out}; mkdir -p $o; c=.carry
( FLASHGEN_GPU_REPORT=$o/fwd-cases.txt timeout 200 $c/flashgen-gpu-tests --gtest_filter='GpuForward.RuntimeBlockMasks' > $o/fwd-log.txt 2>&1; echo "fwd tests rc=$?" ) &
bash scripts/install-python.sh --library $c/libflashgen.so > $o/install.txt 2>&1 || { echo install failed; tail -5 $o/install.txt; }
wait
grep -E "OK \]|FAILED|Failure" $o/fwd-log.txt | head
PYTHONUNBUFFERED=1 timeout 200 python3 bench/mask_bench.py --out $o --dims 64 --seqlens 8192,16384 --masks dense,docs_tensor,docs_arith,dilated > $o/mask-bench.txt 2>&1
echo "mask bench rc=$?"; grep '^|' $o/mask-bench.txt | tail -12
