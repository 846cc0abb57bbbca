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
        if f[0] not in ("fwd", "bwd", "bwdd") or len(f) < 8:
            continue
        if f[0] == "bwdd":  # flashgen's deterministic backward
            rows[("bwd", int(f[1]), int(f[2]), int(f[3]))]["det"] = float(f[7])
        elif f[1].isdigit():  # flashgen line: pass d causal N B H ms tflops
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
    det = any("det" in r for _, r in cells)
    print("| d | causal | N | flashgen | " + ("flashgen deterministic | " if det else "") +
          "FA2 (SDPA flash) | cuDNN | Flex | flashgen/FA2 | flashgen/cuDNN |" +
          (" deterministic/FA2 |" if det else ""))
    print("|---|---|---|---|" + ("---|" if det else "") + "---|---|---|---|---|" + ("---|" if det else ""))
    for (_, d, c, n), r in cells:
        fg, fa, cu, fx, dt = (r.get(k) for k in ("flashgen", "flash", "cudnn", "flex", "det"))
        fmt = lambda x: f"{x:.0f}" if x else "-"
        ratio = lambda a, b: f"{a / b:.2f}" if a and b else "-"
        print(f"| {d} | {'yes' if c else 'no'} | {n} | {fmt(fg)} | " +
              (f"{fmt(dt)} | " if det else "") +
              f"{fmt(fa)} | {fmt(cu)} | {fmt(fx)} | {ratio(fg, fa)} | {ratio(fg, cu)} |" +
              (f" {ratio(dt, fa)} |" if det else ""))
    # The issues' targets in one line: flashgen against FA2 and cuDNN.
    for other, name in (("flash", "FA2"), ("cudnn", "cuDNN")):
        pairs = [(r["flashgen"] / r[other], k) for k, r in cells
                 if r.get("flashgen") and r.get(other)]
        if pairs:
            worst, (_, d, c, n) = min(pairs)
            above = sum(1 for q, _ in pairs if q >= 1.0)
            print(f"\nflashgen >= {name} on {above} of {len(pairs)} cells; lowest "
                  f"{worst:.2f}x (d{d}{' causal' if c else ''} N={n})")
    # Issue 16's target (forward >= 1.05x cuDNN, backward >= 1.0x): the
    # cells below it, for the closing note's list.
    target = 1.05 if pas == "fwd" else 1.0
    below = [f"d{d}{' causal' if c else ''} N={n} {r['flashgen'] / r['cudnn']:.2f}x"
             for (_, d, c, n), r in cells
             if r.get("flashgen") and r.get("cudnn") and r["flashgen"] / r["cudnn"] < target]
    print(f"\nbelow {target:.2f}x cuDNN ({len(below)}): " + ("; ".join(below) or "none"))
