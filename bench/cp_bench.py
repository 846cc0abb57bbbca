"""Context parallelism: tokens/s and peak memory per GPU vs world size, under
torchrun (issue 19's scaling table):

    NCCL_NVLS_ENABLE=0 torchrun --nproc_per_node=P bench/cp_bench.py \
        [--seqlens 131072,262144,524288,1048576] [--heads 8] [--dim 128] \
        [--methods ring,all2all] [--torch-cp] [--out DIR]

Causal bf16 attention, batch 1, over N tokens sharded across the P ranks
(zig-zag for the ring, so each rank has the same causal work). Times the
forward and forward+backward of flashgen.distributed.context_parallel_attention
with CUDA events (warm-up, median of repeats, a barrier around each), and,
on one GPU flashgen.attention over the whole sequence ("single"), and
with --torch-cp, PyTorch's own context-parallel SDPA
(torch.distributed.tensor.experimental.context_parallel, ring over the
SDPA backends) on the same shapes. Tokens/s = N / time; TFLOP/s per GPU
counts causal FLOPs (2 B H N^2 D fwd, 2.5x for bwd) / P. Peak memory:
torch.cuda.max_memory_allocated on each rank (the max over ranks). Rank 0
prints a markdown table and writes DIR/cp-bench-P{P}.json.
"""
import argparse
import json
import os
import statistics
import traceback

import torch
import torch.distributed as dist

import flashgen.distributed as fd

SPEC = "attention c { head_dim = %d; mask = causal; }"


def timed(fn, reps):
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        dist.barrier()
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        t = torch.tensor([a.elapsed_time(b)], device="cuda")
        dist.all_reduce(t, op=dist.ReduceOp.MAX)  # the slowest rank's time
        times.append(t.item())
    return statistics.median(times)


def peak_gib():
    t = torch.tensor([torch.cuda.max_memory_allocated() / 2**30], device="cuda")
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return t.item()


def time_attention(attend, shape, reps):
    """Forward and forward+backward times of attend(q, k, v) on random bf16
    inputs of `shape`, and the peak memory per GPU."""
    q, k, v, do = (torch.randn(*shape, device="cuda", dtype=torch.bfloat16) for _ in range(4))
    q.requires_grad_(), k.requires_grad_(), v.requires_grad_()

    def fwd():
        with torch.no_grad():
            attend(q, k, v)

    def fwd_bwd():
        torch.autograd.grad(attend(q, k, v), (q, k, v), do)

    torch.cuda.reset_peak_memory_stats()
    return timed(fwd, reps), timed(fwd_bwd, reps), peak_gib()


def run_flashgen(method, n, h, d, world, reps):
    spec = SPEC % d
    return time_attention(
        lambda q, k, v: fd.context_parallel_attention(q, k, v, spec, method=method),
        (1, h, n // world, d), reps)


def run_single(n, h, d, reps):
    """flashgen.attention on the whole sequence (one GPU): the baseline."""
    import flashgen
    spec = SPEC % d
    return time_attention(lambda q, k, v: flashgen.attention(q, k, v, spec), (1, h, n, d), reps)


def run_torch_cp(n, h, d, world, reps):
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor.experimental import context_parallel
    import torch.nn.functional as F
    mesh = init_device_mesh("cuda", (world,))
    q, k, v = (torch.randn(1, h, n, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))

    def run(backward):
        # context_parallel shards its buffers in place (load-balanced for
        # causal), so they may not require grad until inside it.
        qq, kk, vv = (x.clone() for x in (q, k, v))
        with context_parallel(mesh, buffers=[qq, kk, vv], buffer_seq_dims=[2, 2, 2]):
            # The buffers are resized back on exit: the leaves that take
            # gradients are detached aliases.
            ql, kl, vl = (x.detach().requires_grad_(backward) for x in (qq, kk, vv))
            out = F.scaled_dot_product_attention(ql, kl, vl, is_causal=True)
            if backward:
                out.backward(torch.ones_like(out))

    torch.cuda.reset_peak_memory_stats()
    t_f = timed(lambda: run(False), reps)
    t_fb = timed(lambda: run(True), reps)
    return t_f, t_fb, peak_gib()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seqlens", default="131072,262144,524288,1048576")
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--methods", default="ring,all2all")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--torch-cp", action="store_true")
    ap.add_argument("--out", default=".")
    a = ap.parse_args()
    dist.init_process_group("nccl")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.cuda.set_device(rank)
    rows = []
    impls = ([m for m in a.methods.split(",") if m] + (["torch_cp"] if a.torch_cp else []) +
             (["single"] if world == 1 else []))
    for n in [int(x) for x in a.seqlens.split(",")]:
        flops = 2.0 * a.heads * n * n * a.dim  # causal forward
        for impl in impls:
            try:
                if impl == "single":
                    t_f, t_fb, mem = run_single(n, a.heads, a.dim, a.reps)
                elif impl == "torch_cp":
                    t_f, t_fb, mem = run_torch_cp(n, a.heads, a.dim, world, a.reps)
                else:
                    t_f, t_fb, mem = run_flashgen(impl, n, a.heads, a.dim, world, a.reps)
                row = dict(impl=impl, world=world, n=n, fwd_ms=t_f, fwd_bwd_ms=t_fb,
                           fwd_tokens_per_s=n / (t_f / 1e3), train_tokens_per_s=n / (t_fb / 1e3),
                           fwd_tflops_per_gpu=flops / (t_f / 1e3) / 1e12 / world,
                           fwd_bwd_tflops_per_gpu=3.5 * flops / (t_fb / 1e3) / 1e12 / world,
                           peak_gib=mem)
            except Exception as e:  # report and go on (e.g. out of memory, no torch CP)
                row = dict(impl=impl, world=world, n=n, error=f"{type(e).__name__}: {e}"[:300])
                if rank == 0:
                    traceback.print_exc()
            torch.cuda.empty_cache()
            rows.append(row)
            if rank == 0:
                print(json.dumps(row), flush=True)
    if rank == 0:
        print(f"\n| impl | P | N | fwd ms | fwd+bwd ms | train tokens/s | fwd TFLOP/s/GPU | "
              "fwd+bwd TFLOP/s/GPU | peak GiB/GPU |\n|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            if "error" in r:
                print(f"| {r['impl']} | {r['world']} | {r['n']} | {r['error'][:80]} |")
            else:
                print(f"| {r['impl']} | {r['world']} | {r['n']} | {r['fwd_ms']:.1f} | "
                      f"{r['fwd_bwd_ms']:.1f} | {r['train_tokens_per_s']:.0f} | "
                      f"{r['fwd_tflops_per_gpu']:.0f} | {r['fwd_bwd_tflops_per_gpu']:.0f} | "
                      f"{r['peak_gib']:.1f} |")
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, f"cp-bench-P{world}.json"), "w") as f:
            json.dump(rows, f, indent=1)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
