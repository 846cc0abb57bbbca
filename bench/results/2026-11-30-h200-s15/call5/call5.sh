#!/usr/bin/env bash
# Session 15, call 5: sizes past 2^31 elements from Python (issue 18), and
# the package's attention API tests on the new binaries.
cd "$(dirname "$0")/../.."
start=$(date +%s)
bash scripts/install-python.sh --library .carry/libflashgen.so > "$OUT/install.txt" 2>&1 || { echo "install failed"; tail -20 "$OUT/install.txt"; }
echo "install: $(( $(date +%s) - start )) s"
cd python
FLASHGEN_PYTEST_REPORT=$OUT/large-cases.tsv timeout 300 python3 -m pytest tests/gpu/test_large.py -q -p no:cacheprovider -rs --tb=short -s > "$OUT/pytest-large.txt" 2>&1
echo "large: $(( $(date +%s) - start )) s"
timeout 200 python3 -m pytest tests/gpu/test_attention_api.py -q -p no:cacheprovider -rs --tb=short -x > "$OUT/pytest-api.txt" 2>&1
echo "total: $(( $(date +%s) - start )) s"
tail -3 "$OUT/pytest-large.txt" "$OUT/pytest-api.txt"
