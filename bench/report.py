"""Joins flashgen-bench and torch_bench.py output into one table of TFLOP/s
and ratios (markdown), for bench/results/."""
import sys
from collections import defaultdict

rows = defaultdict(dict)  # (d, causal, N) -> backend -> tflops
header = []
for path in sys.argv[1:]:
    for line in open(path):
        if line.startswith("#") or line.startswith("jit"):
            header.append(line.rstrip())
            continue
        f = line.split("\t")
        if f[0] != "fwd":
            continue
        if f[1].isdigit():  # flashgen line: fwd d causal N B H ms tflops
            rows[(int(f[1]), int(f[2]), int(f[3]))]["flashgen"] = float(f[7])
        else:
            rows[(int(f[2]), int(f[3]), int(f[4]))][f[1]] = float(f[8])

print("\n".join(f"    {h}" for h in header))
print()
print("| d | causal | N | flashgen | FA2 (SDPA flash) | cuDNN | Flex | flashgen/FA2 | flashgen/cuDNN |")
print("|---|---|---|---|---|---|---|---|---|")
for (d, c, n), r in sorted(rows.items()):
    fg, fa, cu, fx = (r.get(k) for k in ("flashgen", "flash", "cudnn", "flex"))
    fmt = lambda x: f"{x:.0f}" if x else "-"
    ratio = lambda a, b: f"{a / b:.2f}" if a and b else "-"
    print(f"| {d} | {'yes' if c else 'no'} | {n} | {fmt(fg)} | {fmt(fa)} | {fmt(cu)} | {fmt(fx)} | {ratio(fg, fa)} | {ratio(fg, cu)} |")
