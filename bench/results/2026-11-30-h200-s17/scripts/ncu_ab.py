"""Median kernel time per kernel name from `ncu --metrics gpu__time_duration.sum --csv`
files named ncu-<build>-<shape>.csv in DIR; ratios against the first build.
Usage: python3 ncu_ab.py DIR plain checked noguard [rolled]"""
import collections
import csv
import glob
import os
import statistics
import sys

d, builds = sys.argv[1], sys.argv[2:]
shapes = sorted({os.path.basename(f).split("-", 2)[2][:-4] for f in glob.glob(f"{d}/ncu-*.csv")})
for sh in shapes:
    res = {}
    for t in builds:
        rows = csv.DictReader(l for l in open(f"{d}/ncu-{t}-{sh}.csv") if l.startswith('"'))
        times = collections.defaultdict(list)
        for r in rows:  # gpu__time_duration in ns
            times[r["Kernel Name"].split("(")[0]].append(float(r["Metric Value"].replace(",", "")) / 1000)
        res[t] = {k: statistics.median(v) for k, v in times.items()}
    print(sh, "(us, median over launches)")
    base = res[builds[0]]
    for k in base:
        cells = " ".join(f"{t} {res[t][k]:8.1f} ({res[t][k] / base[k] - 1:+.1%})" for t in builds)
        print(f"  {k:42s} {cells}")
