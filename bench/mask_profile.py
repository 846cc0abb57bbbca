"""Where a masked attention call's time goes: GPU kernels vs host, flashgen vs FlexAttention.

    python3 bench/mask_profile.py [--cases blocks05:128:2048,local_global:128:16384]
        [--calls 50] [--out DIR]

For each case (mask of bench/mask_bench.py : head dim : N, same grid: 16k
tokens, 16 heads) and each of forward and forward + backward: the wall time
per call of a loop of back-to-back calls (one synchronize at the end; the
larger of host and GPU time), the GPU time per call (CUDA events over the
same loop), and torch.profiler's kernel table (name, launches per call, us
per call) -- every kernel on the device, flashgen's driver-API launches
included. A call whose wall time is far above its kernels' sum is bound by
the host. Prints markdown and writes DIR/mask-profile.json.
"""
import argparse
import json
import os
import time

import torch
from torch.profiler import ProfilerActivity, profile

import mask_bench  # same masks, same Flex compile settings
import flashgen


def timed(fn, calls):
    """(wall us per call, GPU-event us per call) over `calls` back-to-back calls."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    t0 = time.perf_counter()
    start.record()
    for _ in range(calls):
        fn()
    end.record()
    torch.cuda.synchronize()
    wall = (time.perf_counter() - t0) * 1e6 / calls
    return wall, start.elapsed_time(end) * 1e3 / calls


def host_only(fn, calls):
    """Host us per call with the GPU out of the way: the calls are issued
    behind a long spin kernel (torch.cuda._sleep), so none waits on a full
    launch queue or on the GPU; they run after the timing."""
    torch.cuda.synchronize()
    torch.cuda._sleep(500_000_000)  # ~0.25 s of GPU clock: longer than the loop's issue
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    host = (time.perf_counter() - t0) * 1e6 / calls
    torch.cuda.synchronize()
    return host


def kernels(fn, calls):
    """[(kernel name, launches per call, us per call)] under torch.profiler."""
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(calls):
            fn()
        torch.cuda.synchronize()
    out = []
    for e in prof.key_averages():
        us = getattr(e, "device_time_total", None)
        if us is None:
            us = e.cuda_time_total
        if us and e.count:
            out.append((e.key[:90], e.count / calls, us / calls))
    out.sort(key=lambda r: -r[2])
    return out[:12]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", default="blocks05:128:2048,blocks50:128:16384,dense:128:16384,"
                   "local_global:128:16384,docs_tensor:128:16384")
    p.add_argument("--calls", type=int, default=50)
    p.add_argument("--out", default=os.environ.get("OUT", "."))
    args = p.parse_args()
    dev = "cuda"
    results = []
    for case in args.cases.split(","):
        name, d, n = case.split(":")
        d, n = int(d), int(n)
        b, h = max(1, 16384 // n), 16
        q, k, v = (torch.randn(b, h, n, d, device=dev, dtype=torch.bfloat16, requires_grad=True)
                   for _ in range(3))
        do = torch.randn(b, h, n, d, device=dev, dtype=torch.bfloat16)
        spec, tensors, mod = mask_bench.case(mask_bench.masks(n, b, dev), name, d, b, h)
        bm = mask_bench.create_block_mask(mod, b, None, n, n, device=dev)
        impls = {"flashgen": lambda: flashgen.attention(q, k, v, spec, tensors=tensors),
                 "flex": lambda: mask_bench.flex(q, k, v, block_mask=bm)}
        for impl, run in impls.items():
            for pas in ("fwd", "fwd+bwd"):
                if pas == "fwd":
                    def fn(run=run):
                        with torch.no_grad():
                            run()
                else:
                    def fn(run=run):
                        run().backward(do)
                        q.grad = k.grad = v.grad = None
                r = {"case": case, "impl": impl, "pass": pas}
                try:
                    r["wall_us"], r["gpu_us"] = timed(fn, args.calls)
                    r["host_us"] = host_only(fn, min(args.calls, 30))
                    r["kernels"] = kernels(fn, 10)
                    r["kernel_sum_us"] = sum(x[2] for x in r["kernels"])
                except Exception as e:
                    r["error"] = f"{type(e).__name__}: {str(e)[:300]}"
                results.append(r)
                print(json.dumps(r), flush=True)
        del q, k, v, do
        torch.cuda.empty_cache()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "mask-profile.json"), "w") as f:
        json.dump({"device": torch.cuda.get_device_name(), "rows": results}, f, indent=1)
    print("\n| case | impl | pass | wall us/call | GPU us/call | host us/call | kernels' sum us | "
          "kernels (us per call) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        if "error" in r:
            print(f"| {r['case']} | {r['impl']} | {r['pass']} | error: {r['error'][:80]} | | | | |")
            continue
        ks = "; ".join(f"{name} x{cnt:g}: {us:.1f}" for name, cnt, us in r["kernels"][:6])
        print(f"| {r['case']} | {r['impl']} | {r['pass']} | {r['wall_us']:.1f} | "
              f"{r['gpu_us']:.1f} | {r['host_us']:.1f} | {r['kernel_sum_us']:.1f} | {ks} |")


if __name__ == "__main__":
    main()
