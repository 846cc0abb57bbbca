"""Plots the JSON results of the example benchmarks (and kernel benchmark rows)
as PNG files, FlashAttention-paper style.

Inputs (the kind is detected from each file's content):
  examples/gpt_train.py --out F.json           -> F_loss.png (loss vs step per
      implementation), and across all such files gpt_throughput.png
      (tokens/s) and gpt_memory.png (peak memory), grouped by sequence length
  examples/long_context.py --out F.json        -> F_fwd_tflops.png,
      F_bwd_tflops.png, F_fwd_bwd_time.png, F_memory.png (vs sequence length;
      OOM lengths marked in the legend)
  examples/block_sparse_vs_approx.py --out F.json -> F_fwd_bwd_time.png
      (the paper's Figure 3 runtime panel), F_fwd_time.png, F_bwd_time.png,
      F_memory.png (Figure 3 memory panel)
  kernel benchmark rows: a JSON list of {impl, pass, N, tflops} (optionally d,
      causal), or {"rows": [...]} of those, or the TSV printed by
      bench/torch_bench.py / flashgen-bench  -> F_<pass>[_d<d>][_causal].png,
      TFLOP/s vs N per implementation

Usage:
  python bench/plot.py gpt_1k.json gpt_4k.json long_context.json \\
      block_sparse.json --out plots/
"""
import argparse
import json
import os
import sys
from collections import defaultdict

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("error: matplotlib is not installed (pip install matplotlib)")

GIB = 2 ** 30
MARKERS = "osD^v<>pP*hX"


def style(impl, names):
    """A stable marker per implementation name within one figure."""
    return MARKERS[names.index(impl) % len(MARKERS)]


def fmt_n(n):
    return f"{n // 1024}k" if n >= 1024 and n % 1024 == 0 else str(n)


def log2_x(ax, ns):
    ax.set_xscale("log", base=2)
    ax.set_xticks(ns)
    ax.set_xticklabels([fmt_n(n) for n in ns])
    ax.minorticks_off()


def save(fig, out, name, written):
    path = os.path.join(out, name)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    written.append(path)


def subtitle(doc):
    env = doc.get("env", {})
    return f"{env.get('gpu', '?')}, torch {env.get('torch', '?')}"


# --------------------------------------------------------------------------
def line_plot(rows, key, scale, ylabel, title, out, name, written, logy=False):
    """One line per implementation: rows[key] * scale vs N. Implementations
    that ran out of memory get '(OOM at N >= ...)' in their legend label."""
    impls = list(dict.fromkeys(r["impl"] for r in rows))
    ns = sorted({r["N"] for r in rows})
    fig, ax = plt.subplots(figsize=(7, 4.5))
    plotted = False
    for impl in impls:
        rs = [r for r in rows if r["impl"] == impl]
        pts = sorted((r["N"], r[key] * scale) for r in rs
                     if r.get("status") == "ok" and r.get(key) is not None
                     and (r[key] > 0 or not logy))
        bad = sorted(r["N"] for r in rs if r.get("status") == "OOM")
        err = [r for r in rs if r.get("status") in ("error", "unavailable")]
        label = impl
        if bad:
            label += f" (OOM at N \u2265 {fmt_n(bad[0])})"
        if not pts:
            if err and not bad:
                continue  # unavailable everywhere: leave it out
            ax.plot([], [], marker=style(impl, impls), linestyle="none", label=label)
            continue
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=style(impl, impls), label=label)
        plotted = True
    if not plotted:
        plt.close(fig)
        return
    log2_x(ax, ns)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("sequence length N")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, out, name, written)


def plot_long_context(doc, stem, out, written):
    c = doc.get("config", {})
    rows = doc["rows"]
    desc = (f"B={c.get('batch')} H={c.get('heads')} d={c.get('head_dim')} "
            f"{'causal' if c.get('causal', True) else 'non-causal'}; {subtitle(doc)}")
    line_plot(rows, "fwd_tflops", 1, "TFLOP/s", f"Attention forward\n{desc}", out,
              f"{stem}_fwd_tflops.png", written)
    line_plot(rows, "bwd_tflops", 1, "TFLOP/s", f"Attention backward\n{desc}", out,
              f"{stem}_bwd_tflops.png", written)
    line_plot(rows, "fwd_bwd_ms", 1, "time (ms)", f"Attention forward + backward\n{desc}",
              out, f"{stem}_fwd_bwd_time.png", written, logy=True)
    line_plot(rows, "peak_extra_bytes", 1 / GIB, "peak memory above inputs (GiB)",
              f"Attention forward + backward memory\n{desc}", out, f"{stem}_memory.png",
              written, logy=True)


def plot_block_sparse(doc, stem, out, written):
    c = doc.get("config", {})
    rows = doc["rows"]
    desc = (f"B={c.get('batch')} H={c.get('heads')} d={c.get('head_dim')} non-causal; "
            f"{subtitle(doc)}")
    line_plot(rows, "fwd_bwd_ms", 1, "time (ms)",
              f"Forward + backward: exact vs block-sparse vs approximate\n{desc}", out,
              f"{stem}_fwd_bwd_time.png", written, logy=True)
    line_plot(rows, "fwd_ms", 1, "time (ms)", f"Forward\n{desc}", out,
              f"{stem}_fwd_time.png", written, logy=True)
    line_plot(rows, "bwd_ms", 1, "time (ms)", f"Backward\n{desc}", out,
              f"{stem}_bwd_time.png", written, logy=True)
    line_plot(rows, "peak_extra_bytes", 1 / GIB, "peak memory above inputs (GiB)",
              f"Memory (forward + backward)\n{desc}", out, f"{stem}_memory.png", written,
              logy=True)


def plot_gpt_loss(doc, stem, out, written):
    """Top: training loss per implementation (EMA-smoothed; the raw curve is
    in the JSON). Bottom: raw loss minus the first successful implementation's
    (the kernels are exact, so this should be noise around 0)."""
    c = doc.get("config", {})
    ok = [r for r in doc["results"] if r.get("status") == "ok"]
    if not ok:
        return
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(7, 6.5), sharex=True,
                                  gridspec_kw={"height_ratios": [3, 1.3]})
    ref = ok[0]
    for r in doc["results"]:
        if r.get("status") != "ok":
            ax.plot([], [], label=f"{r['impl']} ({r.get('status')})")
            continue
        lc = r["loss_curve"]
        ema, sm = None, []
        for v in lc["loss"]:
            ema = v if ema is None else 0.9 * ema + 0.1 * v
            sm.append(ema)
        line, = ax.plot(lc["step"], sm, label=f"{r['impl']} (final {r['final_loss']:.3f})",
                        lw=1.3)
        if r is not ref:
            m = min(len(lc["loss"]), len(ref["loss_curve"]["loss"]))
            ax2.plot(lc["step"][:m], [a - b for a, b in zip(lc["loss"][:m],
                                                             ref["loss_curve"]["loss"][:m])],
                     lw=0.8, color=line.get_color(), label=r["impl"])
    ax.set_ylabel("training loss (nats/byte, EMA 0.9)")
    ax.set_title(f"GPT-2 small, seq {c.get('seq')}, {c.get('tokens_per_step')} tokens/step\n"
                 f"{subtitle(doc)}", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    ax2.axhline(0, color="k", lw=0.5)
    ax2.set_xlabel("step")
    ax2.set_ylabel(f"loss \u2212 {ref['impl']}", fontsize=8)
    ax2.grid(True, alpha=0.3)
    save(fig, out, f"{stem}_loss.png", written)


def plot_gpt_bars(docs, out, written):
    """Grouped bars: tokens/s and peak memory per implementation, per seq."""
    data = defaultdict(dict)  # seq -> impl -> result
    for doc in docs:
        for r in doc["results"]:
            data[doc["config"].get("seq")][r["impl"]] = r
    seqs = sorted(s for s in data if s is not None)
    impls = list(dict.fromkeys(i for s in seqs for i in data[s]))
    if not seqs or not impls:
        return
    for key, scale, ylabel, name in (("tokens_per_s", 1e-3, "throughput (k tokens/s)",
                                      "gpt_throughput.png"),
                                     ("peak_mem_bytes", 1 / GIB, "peak memory (GiB)",
                                      "gpt_memory.png")):
        if not any(r.get(key) is not None for s in seqs for r in data[s].values()):
            continue
        fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(seqs) * max(1, len(impls)) / 3, 4.5))
        width = 0.8 / len(impls)
        for i, impl in enumerate(impls):
            xs, ys, labels = [], [], []
            for j, s in enumerate(seqs):
                r = data[s].get(impl)
                x = j + (i - (len(impls) - 1) / 2) * width
                if r and r.get("status") == "ok" and r.get(key) is not None:
                    xs.append(x)
                    ys.append(r[key] * scale)
                elif r:
                    ax.text(x, 0, r.get("status", "?"), rotation=90, ha="center",
                            va="bottom", fontsize=7)
            bars = ax.bar(xs, ys, width, label=impl)
            ax.bar_label(bars, fmt="%.0f" if key == "tokens_per_s" else "%.1f", fontsize=7)
        ax.set_xticks(range(len(seqs)))
        ax.set_xticklabels([f"seq {s}" for s in seqs])
        ax.set_ylabel(ylabel)
        ax.set_title(f"GPT-2 small training, {subtitle(docs[0])}", fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=8)
        save(fig, out, name, written)


# --------------------------------------------------------------------------
def parse_bench_tsv(path):
    """Rows from torch_bench.py / flashgen-bench TSV (see bench/report.py)."""
    rows = []
    for line in open(path):
        if line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        if len(f) < 8 or f[0] not in ("fwd", "bwd", "bwdd"):
            continue
        try:
            if f[1].isdigit():  # flashgen: pass d causal N B H ms tflops
                impl = "flashgen deterministic" if f[0] == "bwdd" else "flashgen"
                d, causal, n, tf = int(f[1]), int(f[2]), int(f[3]), float(f[7])
            else:  # torch: pass backend d causal N B H ms tflops
                impl, d, causal, n, tf = f[1], int(f[2]), int(f[3]), int(f[4]), float(f[8])
        except (ValueError, IndexError):
            continue
        rows.append({"impl": impl, "pass": "bwd" if f[0] == "bwdd" else f[0], "N": n,
                     "tflops": tf, "d": d, "causal": bool(causal), "status": "ok"})
    return rows


def plot_bench_rows(rows, stem, out, written):
    groups = defaultdict(list)
    for r in rows:
        if "tflops" not in r or "N" not in r:
            continue
        r = dict(r)
        r.setdefault("status", "ok")
        groups[(r.get("pass", "fwd"), r.get("d"), r.get("causal"))].append(r)
    for (pas, d, causal), rs in sorted(groups.items(), key=lambda kv: str(kv[0])):
        name = f"{stem}_{pas}" + (f"_d{d}" if d is not None else "") + \
            ("_causal" if causal else "") + ".png"
        title = (f"{'Forward' if pas == 'fwd' else 'Backward' if pas == 'bwd' else pas}"
                 + (f", head dim {d}" if d is not None else "")
                 + (", causal" if causal else ", non-causal" if causal is not None else ""))
        line_plot(rs, "tflops", 1, "TFLOP/s", title, out, name, written)


def load(path):
    """Returns (kind, payload)."""
    with open(path) as f:
        text = f.read()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        rows = parse_bench_tsv(path)
        return ("bench", rows) if rows else (None, None)
    if isinstance(doc, list):
        return "bench", doc
    if isinstance(doc, dict):
        kind = doc.get("kind")
        if kind in ("gpt_train", "long_context", "block_sparse_vs_approx"):
            return kind, doc
        if isinstance(doc.get("rows"), list):
            return "bench", doc["rows"]
    return None, None


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Plot gpt_train / long_context / block_sparse_vs_approx JSON results "
                    "and kernel benchmark rows as PNGs.")
    p.add_argument("inputs", nargs="+", help="JSON (or benchmark TSV) files")
    p.add_argument("--out", default="plots", help="output directory")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    written, gpt_docs = [], []
    for path in args.inputs:
        stem = os.path.splitext(os.path.basename(path))[0]
        try:
            kind, payload = load(path)
        except OSError as e:
            print(f"# {path}: {e}", file=sys.stderr)
            continue
        if kind is None:
            print(f"# {path}: not a recognized result file, skipped", file=sys.stderr)
            continue
        if kind == "gpt_train":
            plot_gpt_loss(payload, stem, args.out, written)
            gpt_docs.append(payload)
        elif kind == "long_context":
            plot_long_context(payload, stem, args.out, written)
        elif kind == "block_sparse_vs_approx":
            plot_block_sparse(payload, stem, args.out, written)
        else:
            plot_bench_rows(payload, stem, args.out, written)
    if gpt_docs:
        plot_gpt_bars(gpt_docs, args.out, written)
    for w in written:
        print(w)
    if not written:
        print("# nothing plotted", file=sys.stderr)
    return written


if __name__ == "__main__":
    main()
