set -u
o=${OUT:-out}; mkdir -p $o; c=.carry
nvidia-smi --query-gpu=name --format=csv,noheader
( timeout 120 $c/flashgen-gpu-tests --gtest_filter='GpuForward.RejectsBadArguments:GpuBackward.RejectsBadArguments' > $o/reject.txt 2>&1; echo "reject rc=$?" ) &
( FLASHGEN_BWD_ORDERED_DQ=1 FLASHGEN_GPU_REPORT=$o/ordered-cases1.txt timeout 420 $c/flashgen-gpu-tests --gtest_filter='GpuBackward.EveryExampleAtOddSizes' > $o/ordered-log1.txt 2>&1; echo "ordered examples rc=$?" ) &
( FLASHGEN_BWD_ORDERED_DQ=1 FLASHGEN_GPU_REPORT=$o/ordered-cases2.txt timeout 420 $c/flashgen-gpu-tests --gtest_filter='GpuBackward.RuntimeBlockMasks' > $o/ordered-log2.txt 2>&1; echo "ordered blocks rc=$?" ) &
wait
grep -E "OK \]|FAILED|Failure" $o/reject.txt $o/ordered-log*.txt | head -30
FLASHGEN_BWD_ORDERED_DQ=1 timeout 200 $c/flashgen-bench > $o/bench-ordered.txt 2>&1; echo "bench rc=$?"
grep -E "^(bwd|bwdd)" $o/bench-ordered.txt
