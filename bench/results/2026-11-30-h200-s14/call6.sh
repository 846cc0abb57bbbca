set -u
o=${OUT:-out}; mkdir -p $o; c=.carry
timeout 100 $c/flashgen-gpu-tests --gtest_filter='GpuBackward.JitsBesideTheForward' > $o/test.txt 2>&1; echo "test rc=$?"
grep -E "OK \]|FAILED|Failure" $o/test.txt
timeout 150 bash bench/device-run.sh jit 2 8 > $o/jit-run.txt 2>&1; echo "jit rc=$?"
grep -E "^jit(-bwd|-train)? " $o/jit.txt | awk '{print $1, $2, $3}' | paste - - - | head -40
