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
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import (add_run_args, add_timing_args, env_info, failure, free,  # noqa: E402
                          load_flashgen, make_inputs, measure, parse_sweep_args, timing_note,
                          write_json)
from bench_common import standard_attention as _attention  # noqa: E402

IMPLS = ("flashgen", "sdpa-flash", "sdpa-cudnn", "standard", "flex")
DEFAULT_IMPLS = ("flashgen", "sdpa-flash", "sdpa-cudnn", "standard")


def standard_attention(q, k, v, causal):
    """Unfused attention on [B, H, N, D]: S and P are materialized."""
    n, m = q.shape[-2], k.shape[-2]
    mask = torch.ones(n, m, dtype=torch.bool, device=q.device).triu(1) if causal else None
    return _attention(q, k, v, mask)


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
    add_timing_args(p)
    p.add_argument("--retry-standard", action="store_true",
                   help="keep trying standard attention at lengths above its first OOM")
    add_run_args(p, check_help="skip the accuracy check against an fp32 reference (first 2048 rows)",
                 quick_help="small run (< 1 min): N = 4k, 8k, 16k, 2 timed reps",
                 device_help="cuda; or cpu to debug the script logic (standard, sdpa-flash; "
                             "times are wall clock, memory is not measured)")
    return parse_sweep_args(p, argv, IMPLS, quick_seqlens="4096,8192,16384")


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
    env = env_info(cpu=dev != "cuda")
    print(f"# long_context: B={B} H={H} D={D} {args.dtype} causal={causal} "
          f"N={args.seqlens} impls={args.impls}")
    print(f"# torch {torch.__version__} on {env['gpu']}")

    flashgen, fg_reason = (None, "")
    if "flashgen" in args.impls:
        flashgen, fg_reason = load_flashgen(env)

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
        q, k, v, do = make_inputs(B, H, n, D, dev, dtype)
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
                    r = measure(fn, q, k, v, do, args.warmup, args.reps,
                                backward=not args.no_backward, ctx=ctx)
                    row.update(status="ok", **r)
                    row["fwd_tflops"] = flops / r["fwd_ms"] / 1e9
                    if "bwd_ms" in r:
                        row["bwd_tflops"] = 2.5 * flops / r["bwd_ms"] / 1e9
                    if not args.no_check and n == args.seqlens[0]:
                        row["rel_err_vs_fp32"] = check_close(fn, ctx, q, k, v, causal)
                except Exception as e:  # OOM, a backend refusing a shape, a kernel error
                    row.update(failure(e))
                    if row["status"] == "OOM" and name == "standard" and standard_oom is None:
                        standard_oom = n
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
                   timing=timing_note(args))
        write_json(args.out, "long_context", cfg, env, rows=rows,
                   standard_first_oom_N=standard_oom)
    return rows


if __name__ == "__main__":
    main()
