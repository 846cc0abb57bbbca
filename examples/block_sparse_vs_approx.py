"""Block-sparse flashgen against approximate attention (Linformer, Performer)
and exact attention: forward+backward time and memory vs sequence length.

What it reproduces from the FlashAttention paper (Dao et al., 2022): Figure 3
(attention runtime, forward+backward, and memory vs sequence length) and the
benchmark tables of Appendix E, restricted to the exact / block-sparse /
approximate comparison: block-sparse FlashAttention is faster than every
approximate method the paper measured at every length, and exact FlashAttention
is competitive with linear-time approximations up to a few thousand tokens,
while the O(N^2)-memory standard attention runs out of memory.

Implementations (non-causal, as in the paper's attention benchmark):
  flashgen-dense       exact attention, flashgen (a full .attn spec text)
  flashgen-<pattern>   block-sparse flashgen, one per --patterns entry; by
                       default local(width=4), strided(stride=8, global=1) and
                       butterfly, with 128x128 blocks
  linformer            Linformer (Wang et al., 2020): K and V projected along the
                       sequence to k=256 rows with learned [k, N] matrices E, F
                       (shared across heads), softmax(Q (EK)^T / sqrt(d)) (FV)
  performer            Performer FAVOR+ (Choromanski et al., 2021): positive
                       orthogonal random features (256), non-causal linear
                       attention; feature maps in fp32, products in bf16
  standard             unfused exact attention (S and P materialized, softmax fp32)
  sdpa-flash           (optional) SDPA with the FlashAttention-2 backend

Linformer and Performer are small, straightforward PyTorch implementations
written in this file (not the authors' code), so they are roughly what a user
would get from an eager PyTorch implementation.

Setting: head dim 64 and bf16 like the paper; we choose batch 4 x 16 heads
(override with --batch/--heads) so that N = 64k dense still fits the time
budget; N = 1k..64k by default. Time: CUDA events, median of --reps after
--warmup; the backward reuses one forward's graph (retain_graph=True).
Memory: torch.cuda.max_memory_allocated over one forward+backward, total and
above the inputs. OOM is caught and reported; an implementation that ran out
of memory is not retried at longer lengths. At the first length (if <= 4096)
every output is compared against an fp32 exact reference (with the same block
mask for the block-sparse patterns, whose blocks this file recomputes from the
pattern definitions in dialect/lib/Analysis/BlockSparsity.cpp).

Run (one H200; the default takes about 1-2 minutes plus flashgen's kernel JIT):
  python examples/block_sparse_vs_approx.py --out block_sparse.json
  python examples/block_sparse_vs_approx.py --quick --out block_sparse_quick.json   # < 1 min
  python bench/plot.py block_sparse.json --out plots/
CPU debug of the approximations and the script logic (no flashgen):
  python examples/block_sparse_vs_approx.py --device cpu --seqlens 512,1024 \\
      --impls linformer,performer,standard --batch 1 --heads 2
"""
import argparse
import math
import os
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import (add_run_args, add_timing_args, env_info, failure, free,  # noqa: E402
                          load_flashgen, make_inputs, measure, parse_sweep_args,
                          standard_attention, timing_note, write_json)

DEFAULT_PATTERNS = "local(width=4); strided(stride=8, global=1); butterfly"
BASE_IMPLS = ("flashgen-dense", "flashgen-sparse", "linformer", "performer", "standard",
              "sdpa-flash")
DEFAULT_IMPLS = "flashgen-dense,flashgen-sparse,linformer,performer,standard"


# --------------------------------------------------------------------------
# Block masks (exact attention: bench_common.standard_attention)
# --------------------------------------------------------------------------
def parse_pattern(text):
    """'local(width=4)' -> ('local', {'width': 4}); 'butterfly' -> ('butterfly', {})."""
    m = re.fullmatch(r"\s*([a-z_]+)\s*(?:\((.*)\))?\s*", text)
    if not m:
        raise ValueError(f"cannot parse sparsity pattern {text!r}")
    kind, args = m.group(1), {}
    if m.group(2) and m.group(2).strip():
        for part in m.group(2).split(","):
            key, _, val = part.partition("=")
            args[key.strip()] = int(val)
    return kind, args


def block_kept(kind, args, nb):
    """[nb, nb] bool: which (query block, key block) tiles the pattern computes.
    Mirrors BlockSparsity::blockKept; None for patterns it does not know."""
    i = np.arange(nb)[:, None]
    j = np.arange(nb)[None, :]
    if kind == "local":
        return np.abs(i - j) < args["width"]
    if kind == "strided":
        s, g = args["stride"], args.get("global", 0)
        return ((i - j) % s == 0) | (i < g) | (j < g)
    if kind == "butterfly":
        x = i ^ j
        return (i == j) | ((x & (x - 1)) == 0)
    return None


def pattern_spec(kind, args, block_size, dtype, head_dim):
    """A full .attn text for flashgen (dtype and head_dim match the tensors)."""
    a = dict(args)
    a.setdefault("block_size", block_size)
    arg_text = ", ".join(f"{k} = {v}" for k, v in a.items())
    return (f"attention sparse_{kind} {{ dtype = {dtype}; head_dim = {head_dim}; "
            f"sparsity = {kind}({arg_text}); passes = forward, backward; }}")


def dense_spec(dtype, head_dim):
    return (f"attention dense {{ dtype = {dtype}; head_dim = {head_dim}; "
            f"passes = forward, backward; }}")


# --------------------------------------------------------------------------
# Approximate attention
# --------------------------------------------------------------------------
class Linformer:
    """Linformer attention: keys and values projected along the sequence,
    K' = E K, V' = F V with E, F in R^{k x N} (learned; shared by all heads)."""

    def __init__(self, n, k_proj=256, dtype=torch.bfloat16, device="cuda", seed=0):
        g = torch.Generator(device="cpu").manual_seed(seed)
        std = 1.0 / math.sqrt(k_proj)
        self.E = (torch.randn(k_proj, n, generator=g) * std).to(device, dtype).requires_grad_()
        self.F = (torch.randn(k_proj, n, generator=g) * std).to(device, dtype).requires_grad_()

    def params(self):
        return [self.E, self.F]

    def __call__(self, q, k, v):
        kp = torch.matmul(self.E, k)  # [k, N] @ [B, H, N, d] -> [B, H, k, d]
        vp = torch.matmul(self.F, v)
        return standard_attention(q, kp, vp)


def orthogonal_gaussian(m, d, seed=0):
    """[m, d] random features: stacked orthogonal d x d blocks with rows
    rescaled to chi(d) norms (Performer's orthogonal random features)."""
    g = torch.Generator(device="cpu").manual_seed(seed)
    blocks = []
    for _ in range(math.ceil(m / d)):
        qm, _ = torch.linalg.qr(torch.randn(d, d, generator=g))
        blocks.append(qm.T)
    w = torch.cat(blocks)[:m]
    norms = torch.randn(m, d, generator=g).norm(dim=1)
    return w * norms[:, None]


class Performer:
    """Performer FAVOR+ (non-causal): softmax kernel exp(q.k/sqrt(d)) estimated
    with positive random features phi(x) = exp(Wx - |x|^2/2) / sqrt(m)."""

    def __init__(self, d, m=256, dtype=torch.bfloat16, device="cuda", seed=0, eps=1e-4):
        self.m, self.eps, self.dtype = m, eps, dtype
        self.W = orthogonal_gaussian(m, d, seed).to(device, dtype)

    def features(self, x, is_query):
        x = x * (x.shape[-1] ** -0.25)
        wx = torch.matmul(x, self.W.t()).float()  # [B, H, N, m]
        sq = 0.5 * x.float().square().sum(-1, keepdim=True)
        # Stabilizers (cancel between numerator and denominator): per query
        # row, and one per (batch, head) for the keys.
        stab = wx.amax(-1, keepdim=True) if is_query else wx.amax(dim=(-2, -1), keepdim=True)
        return ((torch.exp(wx - sq - stab.detach()) + self.eps) * self.m ** -0.5).to(x.dtype)

    def __call__(self, q, k, v):
        qp, kp = self.features(q, True), self.features(k, False)
        kv = torch.matmul(kp.transpose(-2, -1), v)  # [B, H, m, d]
        ksum = kp.sum(-2, dtype=torch.float32).to(kp.dtype).unsqueeze(-1)  # [B, H, m, 1]
        den = torch.matmul(qp, ksum).float()  # [B, H, N, 1]
        return (torch.matmul(qp, kv).float() / den).to(q.dtype)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Block-sparse flashgen vs Linformer / Performer / exact attention "
                    "(FlashAttention paper, Figure 3 and Appendix E).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--seqlens", default="1k,2k,4k,8k,16k,32k,64k",
                   help="comma-separated sequence lengths (k suffix = 1024)")
    p.add_argument("--impls", default=DEFAULT_IMPLS,
                   help=f"comma list from {', '.join(BASE_IMPLS)} (flashgen-sparse = one "
                        "row per --patterns entry)")
    p.add_argument("--patterns", default=DEFAULT_PATTERNS,
                   help="';'-separated flashgen sparsity patterns (local, strided, butterfly, "
                        "or any .attn sparsity expression)")
    p.add_argument("--block-size", type=int, default=128, help="sparsity block size")
    p.add_argument("--batch", type=int, default=4, help="batch size")
    p.add_argument("--heads", type=int, default=16, help="heads")
    p.add_argument("--head-dim", type=int, default=64, help="head dimension")
    p.add_argument("--proj-k", type=int, default=256, help="Linformer projected length k")
    p.add_argument("--features", type=int, default=256, help="Performer random features")
    add_timing_args(p)
    add_run_args(p, check_help="skip the accuracy check against the fp32 exact reference",
                 quick_help="small run (< 1 min): N = 1k, 4k, 16k, 2 timed reps",
                 device_help="cuda; or cpu to debug the approximations (no flashgen, fp32, "
                             "wall-clock times, no memory numbers)")
    args = parse_sweep_args(p, argv, BASE_IMPLS, quick_seqlens="1k,4k,16k")
    try:
        args.pattern_list = [parse_pattern(t) for t in args.patterns.split(";") if t.strip()]
    except ValueError as e:
        p.error(str(e))
    return args


def main(argv=None):
    args = parse_args(argv)
    dev = args.device
    if dev == "cuda" and not torch.cuda.is_available():
        sys.exit("error: CUDA is not available; this benchmark needs a GPU "
                 "(--device cpu only debugs the approximations)")
    cpu = dev == "cpu"
    dtype = torch.float32 if cpu else torch.bfloat16
    dname = "bf16"
    B, H, D = args.batch, args.heads, args.head_dim
    env = env_info(cpu)
    print(f"# block_sparse_vs_approx: B={B} H={H} D={D} non-causal "
          f"{'fp32 (cpu debug)' if cpu else 'bf16'} N={args.seqlens}")
    if not cpu:
        print(f"# torch {torch.__version__} on {env['gpu']}")

    # Implementations: name -> dict(family, make(n) -> (fn, extra params), ...)
    flashgen, fg_reason = None, ""
    if any(i.startswith("flashgen") for i in args.impls):
        flashgen, fg_reason = load_flashgen(env)

    impls = []  # (name, family, info, factory or None)
    for name in args.impls:
        if name == "flashgen-dense":
            spec = dense_spec(dname, D)
            impls.append((name, "exact", {"spec": spec}, (lambda spec: lambda n: (
                (lambda q, k, v: flashgen.attention(q, k, v, spec)), ()))(spec)
                if flashgen else None))
        elif name == "flashgen-sparse":
            seen = {}
            for kind, pargs in args.pattern_list:
                seen[kind] = seen.get(kind, 0) + 1
                label = f"flashgen-{kind}" + (f"{seen[kind]}" if seen[kind] > 1 else "")
                spec = pattern_spec(kind, pargs, args.block_size, dname, D)
                desc = f"{kind}({', '.join(f'{k}={v}' for k, v in pargs.items())})"
                info = {"spec": spec, "pattern": desc, "kind": kind, "args": pargs}
                impls.append((label, "block-sparse", info, (lambda spec: lambda n: (
                    (lambda q, k, v: flashgen.attention(q, k, v, spec)), ()))(spec)
                    if flashgen else None))
        elif name == "linformer":
            def make_lin(n):
                lin = Linformer(n, args.proj_k, dtype, dev)
                return lin, lin.params()
            impls.append((name, "approximate", {"k": args.proj_k}, make_lin))
        elif name == "performer":
            def make_perf(n):
                return Performer(D, args.features, dtype, dev), ()
            impls.append((name, "approximate", {"features": args.features}, make_perf))
        elif name == "standard":
            impls.append((name, "exact", {}, lambda n: (standard_attention, ())))
        elif name == "sdpa-flash":
            def make_sdpa(n):
                from torch.nn.attention import SDPBackend, sdpa_kernel

                def fn(q, k, v):
                    with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
                        return F.scaled_dot_product_attention(q, k, v)
                return fn, ()
            impls.append((name, "exact", {}, make_sdpa))

    rows, failed_at = [], {}
    hdr = (f"{'impl':20s} {'N':>6s} {'fwd ms':>9s} {'bwd ms':>9s} {'fwd+bwd':>9s} "
           f"{'peak GiB':>9s} {'extra GiB':>9s} {'density':>8s}  note")
    print(hdr)
    for n in args.seqlens:
        free()
        q, k, v, do = make_inputs(B, H, n, D, dev, dtype)
        nb = math.ceil(n / args.block_size)
        check = not args.no_check and n == args.seqlens[0] and n <= 4096
        ref_dense = None
        if check:
            with torch.no_grad():
                ref_dense = standard_attention(q.float(), k.float(), v.float())
        for name, family, info, factory in impls:
            row = {"impl": name, "family": family, "N": n, "B": B, "H": H, "D": D,
                   "causal": False, **{k_: v_ for k_, v_ in info.items() if k_ != "args"}}
            if family == "exact":
                row["fwd_flops"] = 4 * B * H * n * n * D
                row["bwd_flops"] = 2.5 * row["fwd_flops"]
            if family == "block-sparse":
                kept = block_kept(info["kind"], info["args"], nb)
                row["density"] = float(kept.mean()) if kept is not None else None
            if factory is None:
                row.update(status="unavailable", reason=fg_reason)
            elif name in failed_at:
                row.update(status="OOM", reason=f"skipped: OOM already at N={failed_at[name]}",
                           skipped=True)
            else:
                try:
                    fn, extra = factory(n)
                    r = measure(fn, q, k, v, do, args.warmup, args.reps, extra_params=extra)
                    row.update(status="ok", **r)
                    if family == "exact":
                        row["fwd_tflops"] = row["fwd_flops"] / r["fwd_ms"] / 1e9
                        row["bwd_tflops"] = row["bwd_flops"] / r["bwd_ms"] / 1e9
                    if check:
                        with torch.no_grad():
                            out = fn(q, k, v).float()
                            ref = ref_dense
                            if family == "block-sparse":
                                if kept is None:
                                    ref = None
                                else:
                                    bm = torch.from_numpy(~kept).to(dev)
                                    em = bm.repeat_interleave(args.block_size, 0) \
                                        .repeat_interleave(args.block_size, 1)[:n, :n]
                                    ref = standard_attention(q.float(), k.float(), v.float(), em)
                            if ref is not None:
                                row["rel_err_vs_exact"] = (
                                    (out - ref).abs().max() / ref.abs().max()).item()
                        del out, ref
                    del fn, extra
                except Exception as e:
                    row.update(failure(e))
                    if row["status"] == "OOM":
                        failed_at[name] = n
                q.grad = k.grad = v.grad = None
                free()
            rows.append(row)
            dens = f"{row['density']:8.3f}" if row.get("density") is not None else f"{'':8s}"
            if row["status"] == "ok":
                gib = 2 ** 30
                note = (f"rel err {row['rel_err_vs_exact']:.1e}"
                        if "rel_err_vs_exact" in row else "")
                print(f"{name:20s} {n:6d} {row['fwd_ms']:9.2f} {row['bwd_ms']:9.2f} "
                      f"{row['fwd_bwd_ms']:9.2f} {row['peak_mem_bytes'] / gib:9.2f} "
                      f"{row['peak_extra_bytes'] / gib:9.2f} {dens}  {note}")
            else:
                print(f"{name:20s} {n:6d} {row['status']}: {row.get('reason', '')[:110]}")
            sys.stdout.flush()
        del q, k, v, do, ref_dense

    # Paper-style tables: fwd+bwd ms and memory, implementations x N.
    names = list(dict.fromkeys(r["impl"] for r in rows))
    cell = {(r["impl"], r["N"]): r for r in rows}
    for title, key, fmt in (("forward + backward time (ms)", "fwd_bwd_ms", "{:.2f}"),
                            ("peak memory above inputs (GiB)", "peak_extra_bytes", None)):
        if cpu and key == "peak_extra_bytes":
            continue
        print(f"\n# {title}")
        print(f"{'impl':20s}" + "".join(f"{n:>10d}" for n in args.seqlens))
        for name in names:
            line = f"{name:20s}"
            for n in args.seqlens:
                r = cell.get((name, n))
                if r is None or r["status"] != "ok":
                    line += f"{(r or {}).get('status', '-')[:9]:>10s}"
                elif fmt:
                    line += f"{fmt.format(r[key]):>10s}"
                else:
                    line += f"{r[key] / 2**30:10.3f}"
            print(line)

    if args.out:
        cfg = {k_: v_ for k_, v_ in vars(args).items() if k_ != "pattern_list"}
        cfg.update(causal=False, dtype="fp32" if cpu else "bf16",
                   flops="exact rows: fwd 4*B*H*N^2*D, bwd 2.5x fwd",
                   timing=timing_note(args))
        write_json(args.out, "block_sparse_vs_approx", cfg, env, rows=rows)
    return rows


if __name__ == "__main__":
    main()
