#!/usr/bin/env bash
# Session 22 call 2: the Python package's whole suite (CPU + GPU tests), the
# run-time block-map masks vs FlexAttention, and cold JIT of five examples.
set -u
O=$OUT; c=.carry; t0=$(date +%s)
bash scripts/install-python.sh --library $c/libflashgen.so > $O/install.txt 2>&1
echo "install rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
for s in mha_bf16 document_mask softcap mqa sparse_runtime causal; do
  jc=$(mktemp -d); CUDA_CACHE_PATH=$jc/nv FLASHGEN_CACHE_DIR=$jc FLASHGEN_TUNING_DB=off timeout 30 $c/flashgen-bench --jit examples/$s.attn 2>&1 | grep -o 'jit .*cold_total_s=[0-9.]*'; rm -rf $jc
done > $O/jit.txt 2>&1
echo "jit $(( $(date +%s) - t0 )) s" >> $O/times.txt
(cd python && FLASHGEN_PYTEST_REPORT=$O/pytest-cases.tsv PYTHONUNBUFFERED=1 \
    timeout 330 python3 -m pytest tests -q -p no:cacheprovider -rs -x) > $O/pytest.txt 2>&1
echo "pytest rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
PYTHONUNBUFFERED=1 timeout $(( 560 - ($(date +%s) - t0) )) python3 bench/mask_bench.py --out $O \
  --dims 128 --seqlens 2048,8192 --masks blocks50,blocks20,blocks05 > $O/mask-bench.txt 2>&1
echo "masks rc=$? $(( $(date +%s) - t0 )) s" >> $O/times.txt
tail -6 $O/pytest.txt; cat $O/jit.txt; grep '^|' $O/mask-bench.txt; cat $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
