"""Where context parallelism's peak memory goes, under torchrun:

    NCCL_NVLS_ENABLE=0 torchrun --nproc_per_node=P bench/cp_memory.py [--seqlen 524288] [--method ring]

One forward+backward of causal bf16 attention (B=1, H=8, d=128) with
PyTorch's allocator history on; rank 0 replays the trace to the moment of
peak allocated memory and prints the live blocks there, grouped by the
innermost flashgen (or bench) source line that allocated them. Also
max_memory_allocated and NCCL's part (what torch.cuda.mem_get_info sees
beyond PyTorch's reserved memory).
"""
import argparse
import collections

import torch
import torch.distributed as dist

import flashgen.distributed as fd


def site(frames):
    for f in frames:
        name = f.get("filename", "")
        if "flashgen" in name or "cp_memory" in name:
            return f"{name.split('python/')[-1].split('site-packages/')[-1]}:{f.get('line')} {f.get('name')}"
    return "(other)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seqlen", type=int, default=524288)
    ap.add_argument("--method", default="ring")
    a = ap.parse_args()
    dist.init_process_group("nccl")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.cuda.set_device(rank)
    local = a.seqlen // world
    q, k, v, do = (torch.randn(1, 8, local, 128, device="cuda", dtype=torch.bfloat16)
                   for _ in range(4))
    for t in (q, k, v):
        t.requires_grad_()
    spec = "attention c { head_dim = 128; mask = causal; }"
    out = fd.context_parallel_attention(q, k, v, spec, method=a.method)  # warm-up: JIT
    torch.autograd.grad(out, (q, k, v), do)
    del out
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    torch.cuda.memory._record_memory_history(max_entries=200000)
    out = fd.context_parallel_attention(q, k, v, spec, method=a.method)
    grads = torch.autograd.grad(out, (q, k, v), do)
    torch.cuda.synchronize()
    snap = torch.cuda.memory._snapshot()
    torch.cuda.memory._record_memory_history(enabled=None)
    peak = torch.cuda.max_memory_allocated() / 2**30
    free, total = torch.cuda.mem_get_info()
    outside = (total - free - torch.cuda.memory_reserved()) / 2**30
    if rank == 0:
        trace = snap["device_traces"][rank]
        live, cur, best, best_live = {}, 0, 0, {}
        for e in trace:
            act = e["action"]
            if act == "alloc":
                live[e["addr"]] = e
                cur += e["size"]
                if cur > best:
                    best, best_live = cur, dict(live)
            elif act in ("free_requested",) and e["addr"] in live:
                cur -= live.pop(e["addr"])["size"]
        by = collections.Counter()
        for e in best_live.values():
            by[site(e.get("frames", []))] += e["size"]
        print(f"P={world} N={a.seqlen} {a.method}: max_memory_allocated {peak:.1f} GiB; traced peak "
              f"(allocations during the traced step) {best / 2**30:.1f} GiB; outside PyTorch "
              f"(NCCL, context) {outside:.1f} GiB")
        for s, b in by.most_common(15):
            print(f"  {b / 2**30:6.2f} GiB  {s}")
    del grads
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
