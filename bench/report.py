"""Joins flashgen-bench and torch_bench.py output into tables of TFLOP/s and
ratios (markdown, forward then backward), for bench/results/."""
import sys
from collections import defaultdict

rows = defaultdict(dict)  # (pass, d, causal, N) -> backend -> tflops
header = []
for path in sys.argv[1:]:
    for line in open(path):
        if line.startswith("#") or line.startswith("jit"):
            header.append(line.rstrip())
            continue
        f = line.rstrip("\n").split("\t")
        if f[0] not in ("fwd", "bwd") or len(f) < 8:
            continue
        if f[1].isdigit():  # flashgen line: pass d causal N B H ms tflops
            rows[(f[0], int(f[1]), int(f[2]), int(f[3]))]["flashgen"] = float(f[7])
        else:
            rows[(f[0], int(f[2]), int(f[3]), int(f[4]))][f[1]] = float(f[8])

print("\n".join(f"    {h}" for h in header))
for pas in ("fwd", "bwd"):
    cells = sorted((k, r) for k, r in rows.items() if k[0] == pas)
    if not cells:
        continue
    print()
    print(f"{'Forward' if pas == 'fwd' else 'Backward'} (TFLOP/s, bf16)")
    print()
    print("| d | causal | N | flashgen | FA2 (SDPA flash) | cuDNN | Flex | flashgen/FA2 | flashgen/cuDNN |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (_, d, c, n), r in cells:
        fg, fa, cu, fx = (r.get(k) for k in ("flashgen", "flash", "cudnn", "flex"))
        fmt = lambda x: f"{x:.0f}" if x else "-"
        ratio = lambda a, b: f"{a / b:.2f}" if a and b else "-"
        print(f"| {d} | {'yes' if c else 'no'} | {n} | {fmt(fg)} | {fmt(fa)} | {fmt(cu)} | {fmt(fx)} | {ratio(fg, fa)} | {ratio(fg, cu)} |")
