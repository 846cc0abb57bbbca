set -u
o=${OUT:-out}; mkdir -p $o; c=.carry
( FLASHGEN_GPU_REPORT=$o/det-cases1.txt timeout 420 $c/flashgen-gpu-tests --gtest_filter='GpuBackward.EveryExampleAtOddSizes' > $o/det-log1.txt 2>&1; echo "examples rc=$?" ) &
( FLASHGEN_GPU_REPORT=$o/det-cases2.txt timeout 420 $c/flashgen-gpu-tests --gtest_filter='GpuBackward.RuntimeBlockMasks:GpuBackward.BothWgmmaKernelFamilies' > $o/det-log2.txt 2>&1; echo "blocks+families rc=$?" ) &
( { $c/flashgen run examples/mqa.attn --backward --deterministic --shape 1,16,1000;
    $c/flashgen run examples/document_mask.attn --backward --deterministic --shape 2,8,4097;
    $c/flashgen run examples/causal.attn --backward --deterministic --shape 1,8,17; } > $o/cli-det.txt 2>&1; echo "cli rc=$?" ) &
wait
grep -E "OK \]|FAILED|Failure" $o/det-log*.txt | head -30
grep -iE "bit|max|error|identical" $o/cli-det.txt | head -20
timeout 170 bash bench/device-run.sh jit 2>&1 | tail -3
grep "jit-bwd" $o/jit.txt | head -40
