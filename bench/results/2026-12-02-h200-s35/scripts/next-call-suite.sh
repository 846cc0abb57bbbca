#!/usr/bin/env bash
# For the next session (written in session 35, not run): the whole GPU
# suite on main, every test in its own process side by side (session 32:
# 452 s). Session 35's call 5 ran `tests` (one after another) and got
# through 8 forward tests only. Issue 16's "the GPU suite passes".
#   FLASHGEN_CARRY_PACK=1 scripts/device-prep.sh; carry .carry-pack;
#   tar xJf .carry-pack/bins.tar.xz && bash bench/results/2026-12-02-h200-s35/scripts/next-call-suite.sh
set -u
O=${OUT:-$PWD/out}; mkdir -p "$O"; t0=$(date +%s)
OUT=$O/t GPU_TEST_TIMEOUT=470 bash bench/device-run.sh tests-all > "$O/tests.txt" 2>&1
echo "tests-all rc=$? $(( $(date +%s) - t0 )) s" >> "$O/times.txt"
cat "$O/times.txt"; head -3 "$O/tests.txt"; grep -E "FAILED|Failure|rc=" "$O/tests.txt" | head -20
grep -c "OK \]" "$O/tests.txt"
cd "$O" && tar czf t.tgz t && rm -rf t
