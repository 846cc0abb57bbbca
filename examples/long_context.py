"""Long-context attention: forward + backward of one causal attention layer at
16k-128k tokens, flashgen against SDPA (FlashAttention-2 and cuDNN backends)
and standard (unfused) attention.

What it reproduces from the FlashAttention paper (Dao et al., 2022): the
memory/runtime scaling argument of Section 4.3 (Figure 3, "attention runtime and
memory vs sequence length"): exact attention with an IO-aware kernel needs
memory linear in N (no N x N matrix is ever stored), so it runs at sequence
lengths where standard attention -- which materializes S and P -- runs out of
memory, and its runtime stays compute-bound as N grows. Here: one attention
layer (the attention op on given Q, K, V; no projections), causal, head dim 128,
16 heads, batch 1, bf16, at N = 16k, 32k, 64k, 128k by default.

Implementations:
  flashgen     flashgen.attention(q, k, v, flashgen.Spec(causal=True))
  sdpa-flash   F.scaled_dot_product_attention under sdpa_kernel(FLASH_ATTENTION)
  sdpa-cudnn   F.scaled_dot_product_attention under sdpa_kernel(CUDNN_ATTENTION)
  standard     S = QK^T * scale, causal mask, softmax (fp32), O = PV
  flex         (optional) compiled flex_attention with a causal block mask

Measured per (implementation, N): forward time, backward time (median of
--reps CUDA-event-timed runs after --warmup runs; the backward reuses one
forward's graph with retain_graph=True, so gradients accumulate as in training),
TFLOP/s counted as FlashAttention does (forward 4*B*H*N^2*D / 2 for causal,
backward 2.5x forward), and the peak memory of one forward+backward
(torch.cuda.max_memory_allocated, reset before; both the total and the part
above the inputs). Out-of-memory is caught: it is reported per row, and
standard attention is not retried at longer lengths after it fails; the first
failing length is reported as standard_first_oom_N.

Run (one H200; the default takes about 1 minute plus flashgen's kernel JIT):
  python examples/long_context.py --out long_context.json
  python examples/long_context.py --quick --out long_context_quick.json   # < 1 min
  python bench/plot.py long_context.json --out plots/
CPU debug of the script logic (standard and SDPA only, fp32, wall-clock times):
  python examples/long_context.py --device cpu --impls standard,sdpa-flash \
      --seqlens 256,512 --heads 2 --head-dim 64
"""
import argparse
import gc
import json
import math
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F

IMPLS = ("flashgen", "sdpa-flash", "sdpa-cudnn", "standard", "flex")
DEFAULT_IMPLS = ("flashgen", "sdpa-flash", "sdpa-cudnn", "standard")


def standard_attention(q, k, v, causal):
    """Unfused attention on [B, H, N, D]: S and P are materialized."""
    n, m = q.shape[-2], k.shape[-2]
    s = torch.matmul(q, k.transpose(-2, -1)) * (q.shape[-1] ** -0.5)
    if causal:
        mask = torch.ones(n, m, dtype=torch.bool, device=q.device).triu(1)
        s = s.masked_fill(mask, float("-inf"))
    p = torch.softmax(s, dim=-1, dtype=torch.float32).to(q.dtype)
    return torch.matmul(p, v)


def load_flashgen():
    try:
        import flashgen
        return flashgen, ""
    except Exception as e:
        return None, f"import flashgen failed: {type(e).__name__}: {e}"


def make_impl(name, causal, flashgen=None, dtype="bf16", head_dim=128):
    """Returns (fn(q, k, v) -> out, context manager factory)."""
    import contextlib
    from torch.nn.attention import SDPBackend, sdpa_kernel
    nullctx = contextlib.nullcontext
    if name == "flashgen":
        if causal:
            spec = flashgen.Spec(causal=True)
        else:  # a full .attn text: dtype and head_dim must match the tensors
            spec = (f"attention dense {{ dtype = {dtype}; head_dim = {head_dim}; "
                    f"passes = forward, backward; }}")
        return (lambda q, k, v: flashgen.attention(q, k, v, spec)), nullctx
    if name == "sdpa-flash":
        return (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=causal)), \
            (lambda: sdpa_kernel([SDPBackend.FLASH_ATTENTION]))
    if name == "sdpa-cudnn":
        return (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=causal)), \
            (lambda: sdpa_kernel([SDPBackend.CUDNN_ATTENTION]))
    if name == "standard":
        return (lambda q, k, v: standard_attention(q, k, v, causal)), nullctx
    if name == "flex":
        from torch.nn.attention.flex_attention import create_block_mask, flex_attention
        torch._dynamo.config.cache_size_limit = 1024
        flex = torch.compile(flex_attention, dynamic=False)
        masks = {}

        def fn(q, k, v):
            n = q.shape[-2]
            if causal and n not in masks:
                masks[n] = create_block_mask(lambda b, h, qi, ki: ki <= qi, None, None,
                                             n, n, device=q.device)
            return flex(q, k, v, block_mask=masks.get(n))
        return fn, nullctx
    raise ValueError(name)


def cuda_time(fn, warmup, reps):
    """Median milliseconds of fn() over reps runs, after warmup runs (CUDA
    events; wall clock on the CPU debug device)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        if torch.cuda.is_available():
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b))
        else:
            t = time.perf_counter()
            fn()
            times.append(1e3 * (time.perf_counter() - t))
    return statistics.median(times)


def free():
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def mem_allocated():
    return torch.cuda.memory_allocated() if torch.cuda.is_available() else 0


def mem_peak():
    return torch.cuda.max_memory_allocated() if torch.cuda.is_available() else 0


def mem_reset():
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def measure(fn, ctx, q, k, v, do, warmup, reps, backward=True):
    """Peak memory of one fwd+bwd, then fwd and bwd times. Raises on OOM."""
    res = {}
    with ctx():
        q.grad = k.grad = v.grad = None
        sync()
        base = mem_allocated()
        mem_reset()
        out = fn(q, k, v)
        if backward:
            out.backward(do)
        sync()
        peak = mem_peak()
        res["peak_mem_bytes"] = peak
        res["peak_extra_bytes"] = peak - base
        del out
        q.grad = k.grad = v.grad = None
        free()
        res["fwd_ms"] = cuda_time(lambda: fn(q, k, v), warmup, reps)
        if backward:
            out = fn(q, k, v)
            res["bwd_ms"] = cuda_time(lambda: out.backward(do, retain_graph=True), warmup, reps)
            res["fwd_bwd_ms"] = res["fwd_ms"] + res["bwd_ms"]
            del out
        q.grad = k.grad = v.grad = None
    return res


def check_close(fn, ctx, q, k, v, causal):
    """max |fn - standard attention in fp32| / max |reference| on the first
    2048 queries and keys (a prefix of a causal problem is itself causal)."""
    n = min(q.shape[-2], 2048)
    qs, ks, vs = (t[..., :n, :].detach().contiguous() for t in (q, k, v))
    with torch.no_grad():
        with ctx():
            out = fn(qs, ks, vs).float()
        ref = standard_attention(qs.float(), ks.float(), vs.float(), causal)
    return ((out - ref).abs().max() / ref.abs().max()).item()


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Forward+backward of one causal attention layer at 16k-128k tokens: "
                    "flashgen vs SDPA (flash, cuDNN) vs standard attention.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--seqlens", default="16384,32768,65536,131072",
                   help="comma-separated sequence lengths (k suffix allowed: 16k,32k)")
    p.add_argument("--impls", default=",".join(DEFAULT_IMPLS),
                   help=f"comma list from {', '.join(IMPLS)}")
    p.add_argument("--batch", type=int, default=1, help="batch size")
    p.add_argument("--heads", type=int, default=16, help="number of heads")
    p.add_argument("--head-dim", type=int, default=128, help="head dimension")
    p.add_argument("--dtype", default="bf16", choices=("bf16", "fp16"), help="input dtype")
    p.add_argument("--no-causal", action="store_true", help="full (non-causal) attention")
    p.add_argument("--no-backward", action="store_true", help="forward only")
    p.add_argument("--warmup", type=int, default=2, help="untimed runs before timing")
    p.add_argument("--reps", type=int, default=5, help="timed runs (median reported)")
    p.add_argument("--retry-standard", action="store_true",
                   help="keep trying standard attention at lengths above its first OOM")
    p.add_argument("--no-check", action="store_true",
                   help="skip the accuracy check against an fp32 reference (first 2048 rows)")
    p.add_argument("--quick", action="store_true",
                   help="small run (< 1 min): N = 4k, 8k, 16k, 2 timed reps")
    p.add_argument("--device", default="cuda",
                   help="cuda; or cpu to debug the script logic (standard, sdpa-flash; "
                        "times are wall clock, memory is not measured)")
    p.add_argument("--out", default=None, help="write a JSON result here")
    args = p.parse_args(argv)
    if args.quick:
        args.seqlens, args.reps, args.warmup = "4096,8192,16384", 2, 1

    def length(s):
        s = s.strip().lower()
        return int(s[:-1]) * 1024 if s.endswith("k") else int(s)
    args.seqlens = [length(s) for s in args.seqlens.split(",") if s.strip()]
    args.impls = [s.strip() for s in args.impls.split(",") if s.strip()]
    for i in args.impls:
        if i not in IMPLS:
            p.error(f"unknown impl {i!r}; choose from {', '.join(IMPLS)}")
    return args


def main(argv=None):
    args = parse_args(argv)
    dev = args.device
    if dev == "cuda" and not torch.cuda.is_available():
        sys.exit("error: CUDA is not available; this benchmark needs a GPU "
                 "(--device cpu only debugs the script)")
    if dev == "cpu" and any(i not in ("standard", "sdpa-flash") for i in args.impls):
        sys.exit("error: --device cpu supports only --impls standard,sdpa-flash")
    dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float16
    if dev == "cpu":
        dtype = torch.float32
    causal = not args.no_causal
    B, H, D = args.batch, args.heads, args.head_dim
    env = {"torch": torch.__version__, "python": platform.python_version(),
           "gpu": torch.cuda.get_device_name() if dev == "cuda" else "cpu (debug)",
           "cuda": torch.version.cuda}
    print(f"# long_context: B={B} H={H} D={D} {args.dtype} causal={causal} "
          f"N={args.seqlens} impls={args.impls}")
    print(f"# torch {torch.__version__} on {env['gpu']}")

    flashgen, fg_reason = (None, "")
    if "flashgen" in args.impls:
        flashgen, fg_reason = load_flashgen()
        if flashgen is None:
            print(f"# flashgen unavailable: {fg_reason}")
        else:
            env["flashgen"] = getattr(flashgen, "__version__", "?")

    impls = {}
    for name in args.impls:
        if name == "flashgen" and flashgen is None:
            continue
        try:
            impls[name] = make_impl(name, causal, flashgen, args.dtype, D)
        except Exception as e:
            impls[name] = e

    rows = []
    standard_oom = None
    print(f"{'impl':11s} {'N':>7s} {'fwd ms':>9s} {'bwd ms':>9s} {'fwd TF/s':>9s} "
          f"{'bwd TF/s':>9s} {'peak GiB':>9s} {'extra GiB':>9s}  note")
    for n in args.seqlens:
        flops = 4 * B * H * n * n * D / (2 if causal else 1)
        free()
        g = torch.Generator(device=dev).manual_seed(n)
        q, k, v = (torch.randn(B, H, n, D, device=dev, dtype=dtype, generator=g)
                   .requires_grad_() for _ in range(3))
        do = torch.randn(B, H, n, D, device=dev, dtype=dtype, generator=g)
        for name in args.impls:
            row = {"impl": name, "N": n, "B": B, "H": H, "D": D, "causal": causal,
                   "fwd_flops": flops, "bwd_flops": 2.5 * flops}
            if name == "flashgen" and flashgen is None:
                row.update(status="unavailable", reason=fg_reason)
            elif isinstance(impls[name], Exception):
                e = impls[name]
                row.update(status="error", reason=f"{type(e).__name__}: {e}")
            elif name == "standard" and standard_oom is not None and not args.retry_standard:
                row.update(status="OOM", reason=f"skipped: OOM already at N={standard_oom}",
                           skipped=True)
            else:
                fn, ctx = impls[name]
                try:
                    r = measure(fn, ctx, q, k, v, do, args.warmup, args.reps,
                                backward=not args.no_backward)
                    row.update(status="ok", **r)
                    row["fwd_tflops"] = flops / r["fwd_ms"] / 1e9
                    if "bwd_ms" in r:
                        row["bwd_tflops"] = 2.5 * flops / r["bwd_ms"] / 1e9
                    if not args.no_check and n == args.seqlens[0]:
                        row["rel_err_vs_fp32"] = check_close(fn, ctx, q, k, v, causal)
                except torch.OutOfMemoryError as e:
                    row.update(status="OOM", reason=str(e).split("\n")[0][:300])
                    if name == "standard" and standard_oom is None:
                        standard_oom = n
                except Exception as e:  # a backend refusing a shape, a kernel error
                    row.update(status="error", reason=f"{type(e).__name__}: {str(e)[:400]}")
                q.grad = k.grad = v.grad = None
                free()
            rows.append(row)
            if row["status"] == "ok":
                gib = 2 ** 30
                note = (f"rel err {row['rel_err_vs_fp32']:.1e}"
                        if "rel_err_vs_fp32" in row else "")
                print(f"{name:11s} {n:7d} {row['fwd_ms']:9.2f} {row.get('bwd_ms', float('nan')):9.2f} "
                      f"{row['fwd_tflops']:9.1f} {row.get('bwd_tflops', float('nan')):9.1f} "
                      f"{row['peak_mem_bytes'] / gib:9.2f} {row['peak_extra_bytes'] / gib:9.2f}  {note}")
            else:
                print(f"{name:11s} {n:7d} {row['status']}: {row.get('reason', '')[:120]}")
            sys.stdout.flush()
        del q, k, v, do
    if "standard" in args.impls:
        print(f"# standard attention first fails (OOM) at N = {standard_oom}"
              if standard_oom else "# standard attention did not run out of memory")

    if args.out:
        cfg = {k: v for k, v in vars(args).items()}
        cfg.update(causal=causal, flops="fwd 4*B*H*N^2*D (/2 causal); bwd 2.5x fwd",
                   timing=f"CUDA events, median of {args.reps} after {args.warmup} warm-up")
        doc = {"kind": "long_context", "config": cfg, "env": env, "rows": rows,
               "standard_first_oom_N": standard_oom}
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=1)
        print(f"# wrote {args.out}")
    return rows


if __name__ == "__main__":
    main()
