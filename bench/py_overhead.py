"""Host overhead of one flashgen call from PyTorch, against SDPA's.

Times many forward (and forward+backward) calls on a problem small enough
that the GPU finishes each kernel before the CPU issues the next, so the
per-call wall time is the host path: Python wrapper, torch.library dispatch,
ctypes, the C++ runtime's argument checks and launch. Then profiles the
flashgen calls with cProfile so the cost is attributed to functions.
    python3 bench/py_overhead.py [--calls 300] [--profile]
"""
import argparse
import cProfile
import pstats
import time

import torch
import torch.nn.functional as F

import flashgen


def per_call_us(fn, calls):
    for _ in range(20):
        fn()
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(calls):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - t) / calls * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--profile", action="store_true")
    a = ap.parse_args()
    q, k, v = (torch.randn(1, 2, 128, 64, device="cuda", dtype=torch.bfloat16, requires_grad=True)
               for _ in range(3))
    spec = flashgen.Spec(causal=True)
    qf, kf, vf = (t.detach().transpose(1, 2).contiguous().requires_grad_() for t in (q, k, v))

    def fg():
        return flashgen.attention(q, k, v, spec)

    def fa():
        return flashgen.flash_attn_func(qf, kf, vf, causal=True)

    def sd():
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)

    rows = []
    for name, f in (("flashgen.attention", fg), ("flash_attn_func", fa), ("sdpa", sd)):
        fwd = per_call_us(lambda: f(), a.calls)
        both = per_call_us(lambda: f().sum().backward(), a.calls)
        rows.append((name, fwd, both))
    with torch.no_grad():
        rows.append(("flashgen.attention no_grad", per_call_us(fg, a.calls), float("nan")))
    print(f"{'path':28s} {'fwd us/call':>12s} {'fwd+bwd us/call':>16s}")
    for n, f, b in rows:
        print(f"{n:28s} {f:12.1f} {b:16.1f}")
    if a.profile:
        pr = cProfile.Profile()
        pr.enable()
        for _ in range(a.calls):
            fg().sum().backward()
        torch.cuda.synchronize()
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
