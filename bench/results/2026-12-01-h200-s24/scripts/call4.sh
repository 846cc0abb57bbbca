#!/usr/bin/env bash
# Session 24 call 4, on main with p-allkept + desc-add merged (device-prep
# build; carry .carry/flashgen-bench .carry/flashgen-gpu-tests
# .carry/libflashgen.so): (1) the quick standard grid (d64/d128, N 2k/8k,
# causal or not, forward and backward) against SDPA's cuDNN and flash
# backends, same call; (2) every GPU test.
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
c=.carry
timeout 170 $c/flashgen-bench --quick > $O/flashgen-bench.tsv 2>&1
echo "flashgen-bench rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
PYTHONUNBUFFERED=1 timeout 150 python3 bench/torch_bench.py --quick --no-flex > $O/torch-bench.tsv 2> $O/torch-bench.err
echo "torch-bench rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
python3 bench/report.py $O/flashgen-bench.tsv $O/torch-bench.tsv > $O/report.md 2>&1
left=$(( 575 - ($(date +%s) - t0) ))
OUT=$O/t GPU_TEST_TIMEOUT=$left bash bench/device-run.sh tests-all > $O/tests.txt 2>&1
echo "tests-all rc=$? $(( $(date +%s) - t0 )) s (limit $left)" >> $O/times.txt
cd $O && tar czf all.tgz --exclude=all.tgz * 2>/dev/null
cat $O/report.md | tail -40; tail -4 $O/tests.txt; grep -E "FAILED" $O/tests.txt | head; cat $O/times.txt
