"""Context parallelism across real GPUs, under torchrun:

    NCCL_NVLS_ENABLE=0 torchrun --nproc_per_node=2 python/tests/multigpu/cp_check.py

Every rank draws the same whole problem, runs its shard through
flashgen.distributed.context_parallel_attention (NCCL P2P or all-to-all),
forward and backward; rank 0 gathers outputs and gradients and compares
them with single-GPU flashgen.attention and with float64 attention
(flash-attn's criterion: error <= 2x PyTorch's own in bf16). Prints one
line per case and "N passed, N failed"; exits 1 on any failure.
"""
import os
import sys

import torch
import torch.distributed as dist

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "gpu"))
import flashgen  # noqa: E402
import flashgen.distributed as fd  # noqa: E402
from reference import reference  # noqa: E402


def cases(n, h):
    dev = "cuda"
    g = torch.Generator(device=dev).manual_seed(7)
    doc = torch.cumsum(torch.rand(1, n, device=dev, generator=g) < 0.002, dim=1).to(torch.int32)
    slopes = torch.rand(h, device=dev, generator=g) * 0.05
    qq = torch.arange(n, device=dev)[:, None]
    kk = torch.arange(n, device=dev)[None, :]
    hh = torch.arange(h, device=dev)[:, None, None]
    return {
        "causal": ("attention c { head_dim = 128; mask = causal; }", None, qq >= kk, None),
        "window": ("attention w { head_dim = 128; mask = sliding_window(left = 256, right = 0); }",
                   None, (qq - kk <= 256) & (qq >= kk), None),
        "documents": ("attention d { head_dim = 128; tensor doc : i32[batch, seq_k]; "
                      "mask = causal && doc[b, q] == doc[b, k]; }", {"doc": doc},
                      (qq >= kk) & (doc[0][:, None] == doc[0][None, :]), None),
        "alibi": ("attention a { head_dim = 128; tensor slopes : f32[heads]; mask = causal; "
                  "score = score + slopes[h] * float(k - q); }", {"slopes": slopes}, qq >= kk,
                  lambda s: s + (slopes.double()[hh] * (kk - qq)).to(s.dtype)),
    }


def main():
    dist.init_process_group("nccl")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.cuda.set_device(rank)
    n, h = int(os.environ.get("CP_CHECK_N", "4096")), 8
    passed = failed = 0
    for name, (spec, tensors, mask, score) in cases(n, h).items():
        for method in ("ring", "all2all"):
            for sharding in ("zigzag", "contiguous"):
                g = torch.Generator(device="cuda").manual_seed(11)
                q, k, v, dout = (torch.randn(1, h, n, 128, device="cuda", generator=g,
                                             dtype=torch.bfloat16) for _ in range(4))
                ql, kl, vl = (fd.shard(x, rank, world, sharding=sharding).requires_grad_()
                              for x in (q, k, v))
                out = fd.context_parallel_attention(ql, kl, vl, spec, method=method,
                                                    sharding=sharding, tensors=tensors)
                grads = torch.autograd.grad(out, (ql, kl, vl),
                                            fd.shard(dout, rank, world, sharding=sharding))
                got = []
                for t in (out, *grads):
                    parts = [torch.empty_like(t) for _ in range(world)]
                    dist.all_gather(parts, t.contiguous())
                    got.append(fd.unshard(parts, sharding=sharding))
                if rank == 0:
                    ok, msg = check(q, k, v, dout, spec, tensors, mask, score, got)
                    label = f"{name} {method} {sharding} P={world} N={n}"
                    print(("PASS " if ok else "FAIL ") + label + " " + msg, flush=True)
                    passed, failed = passed + ok, failed + (not ok)
    if rank == 0:
        print(f"{passed} passed, {failed} failed", flush=True)
    result = torch.tensor([failed], device="cuda")
    dist.broadcast(result, 0)
    dist.destroy_process_group()
    sys.exit(1 if result.item() else 0)


def check(q, k, v, dout, spec, tensors, mask, score, got):
    t = lambda x: x.transpose(1, 2)
    q64, k64, v64 = (t(x).double().requires_grad_() for x in (q, k, v))
    ref, _ = reference(q64, k64, v64, mask=mask, score=score)
    rg = torch.autograd.grad(ref, (q64, k64, v64), t(dout).double())
    ql, kl, vl = (t(x).requires_grad_() for x in (q, k, v))
    low, _ = reference(ql, kl, vl, mask=mask, score=score, dtype=q.dtype)
    lg = torch.autograd.grad(low, (ql, kl, vl), t(dout))
    # Single-GPU flashgen on the same inputs.
    qs, ks, vs = (x.detach().requires_grad_() for x in (q, k, v))
    one = flashgen.attention(qs, ks, vs, spec, tensors=tensors)
    og = torch.autograd.grad(one, (qs, ks, vs), dout)
    msgs, ok = [], True
    for nm, a, r64, rlow, single in zip(("out", "dq", "dk", "dv"), got, (ref, *rg), (low, *lg),
                                        (one, *og)):
        a = t(a)
        if torch.isnan(a).any():
            return False, f"{nm}: NaN"
        err = (a.double() - r64).abs().max().item()
        base = (rlow.double() - r64).abs().max().item()
        single_err = (t(single).double() - r64).abs().max().item()
        msgs.append(f"{nm} {err:.2e} (torch bf16 {base:.2e}, 1-GPU flashgen {single_err:.2e})")
        ok &= err <= 2 * base + 1e-5
    return ok, "; ".join(msgs)


if __name__ == "__main__":
    main()
