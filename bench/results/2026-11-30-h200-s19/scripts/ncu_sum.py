"""ncu --csv on stdin: per kernel the median duration (us), and their sum."""
import csv, collections, sys
rows = [r for r in csv.reader(sys.stdin) if len(r) > 10]
if not rows:
    print("no kernels"); sys.exit()
h = rows[0]; k = h.index("Kernel Name"); v = h.index("Metric Value")
t = collections.defaultdict(list)
for r in rows[1:]:
    t[r[k]].append(float(r[v].replace(",", "")) / 1000)
med = {n.replace("flashgen_", "")[:14]: sorted(x)[len(x) // 2] for n, x in t.items()}
print(" + ".join(f"{n} {m:.1f}" for n, m in med.items()), "=", round(sum(med.values()), 1))
