#!/usr/bin/env bash
# Session 18 call 3: host overhead of decoding calls (graph replay vs back
# to back vs host us/call, cProfile of flash_attn_with_kvcache).
set -u
O=$OUT; c=.carry; t0=$(date +%s)
bash scripts/install-python.sh --library $c/libflashgen.so > $O/install.txt 2>&1
cd python 2>/dev/null; cd ..
timeout 300 python3 bench/tmp/host_overhead.py > $O/host-overhead.md 2>&1
echo "host $(( $(date +%s) - t0 )) s" >> $O/times.txt
cd $O && tar czf ../all.tgz . && rm -rf ./* && mv ../all.tgz .
