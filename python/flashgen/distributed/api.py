"""context_parallel_attention and its simulation (see the package's docstring)."""
from __future__ import annotations

from typing import Optional

import torch

from .. import _library
from ..api import _DTYPES, _check_qkv, resolve
from ..errors import ArgumentError, UnsupportedError
from .comm import ProcessGroupComm, SimulatedComm
from .plan import SHARDINGS, RingPlan, chunks_of, num_chunks
from .ring import Problem, ring_backward, ring_forward, seq_dim
from .ulysses import ulysses_backward, ulysses_forward

__all__ = ["context_parallel_attention", "simulate_context_parallel", "shard", "unshard",
           "RingPlan"]

Tensor = torch.Tensor
METHODS = ("ring", "all2all")

# Ring plans by (text, world, N, sharding): the block classes come from the
# compiler's interval analysis, once.
_plans: dict = {}


def shard(x: Tensor, rank: int, world: int, *, sharding: str = "zigzag",
          layout: str = "bhsd") -> Tensor:
    """This rank's positions of a whole-sequence tensor (a copy, contiguous)."""
    dim = seq_dim(layout)
    n = num_chunks(world, sharding)
    if x.shape[dim] % n:
        raise ArgumentError(f"shard: sequence length {x.shape[dim]} must be a multiple of {n} "
                            f"({sharding} over {world} ranks)")
    c = x.shape[dim] // n
    return torch.cat([x.narrow(dim, ch * c, c) for ch in chunks_of(rank, world, sharding)],
                     dim=dim).contiguous()


def unshard(shards, *, sharding: str = "zigzag", layout: str = "bhsd") -> Tensor:
    """The whole-sequence tensor from every rank's shard (rank order)."""
    world = len(shards)
    dim = seq_dim(layout) if shards[0].dim() == 4 else shards[0].dim() - 1  # lse: last dim
    n = num_chunks(world, sharding)
    per = n // world
    c = shards[0].shape[dim] // per
    parts = {}
    for r, t in enumerate(shards):
        for i, ch in enumerate(chunks_of(r, world, sharding)):
            parts[ch] = t.narrow(dim, i * c, c)
    return torch.cat([parts[ch] for ch in range(n)], dim=dim)


def _plan(text: str, world: int, seq_len: int, sharding: str) -> RingPlan:
    key = (text, world, seq_len, sharding)
    plan = _plans.get(key)
    if plan is None:
        plan = RingPlan(world, seq_len, sharding,
                        lambda blocks: _library.classify_blocks(text, seq_len, seq_len, blocks))
        _plans[key] = plan
    return plan


class _ContextParallel(torch.autograd.Function):
    """Forward and backward of the local ranks' shards, all at once (one
    rank per process, or every rank in the simulation)."""

    @staticmethod
    def forward(ctx, pb, comm, method, nloc, *flat):
        ranks = comm.local_ranks
        qs = dict(zip(ranks, flat[:nloc]))
        ks = dict(zip(ranks, flat[nloc:2 * nloc]))
        vs = dict(zip(ranks, flat[2 * nloc:3 * nloc]))
        if method == "ring":
            res = ring_forward(pb, comm, qs, ks, vs)
            ctx.saved = (qs, ks, vs, {r: res[r][0] for r in ranks}, {r: res[r][1] for r in ranks})
        else:
            res, saved = ulysses_forward(pb, comm, qs, ks, vs)
            ctx.saved = saved
        ctx.pb, ctx.comm, ctx.method = pb, comm, method
        outs = [res[r][0] for r in ranks]
        lses = [res[r][1] for r in ranks]
        ctx.mark_non_differentiable(*lses)
        return (*outs, *lses)

    @staticmethod
    def backward(ctx, *grads):
        comm = ctx.comm
        ranks = comm.local_ranks
        # An output without a gradient arrives as zeros (autograd
        # materializes them: ctx.set_materialize_grads is on by default).
        douts = {r: g.contiguous() for r, g in zip(ranks, grads[:len(ranks)])}
        if ctx.method == "ring":
            qs, ks, vs, outs, lses = ctx.saved
            res = ring_backward(ctx.pb, comm, qs, ks, vs, outs, lses, douts)
        else:
            res = ulysses_backward(ctx.pb, comm, ctx.saved, douts)
        ctx.saved = None
        dq = [res[r][0] for r in ranks]
        dk = [res[r][1] for r in ranks]
        dv = [res[r][2] for r in ranks]
        return (None, None, None, None, *dq, *dk, *dv)


def _problem(q, k, v, spec, world, *, method, sharding, tensors, scale, layout, deterministic,
             who):
    if method not in METHODS:
        raise ArgumentError(f"{who}: method must be one of {METHODS}, not {method!r}")
    if sharding not in SHARDINGS:
        raise ArgumentError(f"{who}: sharding must be one of {SHARDINGS}, not {sharding!r}")
    if layout not in ("bhsd", "bshd"):
        raise ArgumentError(f"{who}: layout must be 'bhsd' or 'bshd', not {layout!r}")
    _check_qkv(q, k, v, varlen=False, who=who, bhsd=layout == "bhsd")
    sd, hd = seq_dim(layout), 1 if layout == "bhsd" else 2
    if q.shape[sd] != k.shape[sd]:
        raise ArgumentError(f"{who}: q and k must hold the same positions (self-attention): "
                            f"{q.shape[sd]} query rows, {k.shape[sd]} keys per rank")
    text, names, ts = resolve(spec, dtype=_DTYPES[q.dtype], qk_head_dim=q.shape[-1],
                              v_head_dim=v.shape[-1], scale=scale, tensors=tensors)
    if "dropout" in text:
        raise UnsupportedError(f"{who}: dropout is not supported with context parallelism "
                               "(its random stream is drawn per launch)")
    n_local = q.shape[sd]
    heads = q.shape[hd]
    if method == "all2all" and (heads % world or k.shape[hd] % world):
        raise ArgumentError(f"{who}: all2all needs heads ({heads}) and kv heads "
                            f"({k.shape[hd]}) divisible by the world size {world}")
    per = num_chunks(world, sharding) // world
    if n_local % per:
        raise ArgumentError(f"{who}: {n_local} positions per rank is not a whole number of "
                            f"{sharding} chunks ({per} per rank)")
    seq_len = n_local * world
    pb = Problem(text, names, list(ts), heads, seq_len, layout, sharding, bool(deterministic))
    if method == "ring":
        pb.plan = _plan(text, world, seq_len, sharding)
    return pb


def context_parallel_attention(q: Tensor, k: Tensor, v: Tensor, spec, *, group=None,
                               method: str = "ring", sharding: str = "zigzag",
                               tensors: Optional[dict] = None, scale: Optional[float] = None,
                               layout: str = "bhsd", return_lse: bool = False,
                               deterministic: bool = False):
    """Attention of `spec` over a sequence sharded across the ranks of
    `group` (default: the whole world), forward and backward (autograd).

    q, k, v: this rank's shard, as `shard(x, rank, world, sharding=...)`
    cuts it: [B, H, N/P, D] (layout="bhsd") or [B, N/P, H, D] ("bshd").
    Named tensors (`tensors=`, or captured by a Spec) are the whole
    problem's (a doc_id of all N positions), identical on every rank.
    Returns this rank's output shard (and its logsumexp [B, H, N/P] with
    return_lse=True).
    """
    comm = ProcessGroupComm(group)
    pb = _problem(q, k, v, spec, comm.world, method=method, sharding=sharding, tensors=tensors,
                  scale=scale, layout=layout, deterministic=deterministic,
                  who="context_parallel_attention")
    out, lse = _ContextParallel.apply(pb, comm, method, 1, q, k, v)
    return (out, lse) if return_lse else out


def simulate_context_parallel(q: Tensor, k: Tensor, v: Tensor, spec, world: int, *,
                              method: str = "ring", sharding: str = "zigzag",
                              tensors: Optional[dict] = None, scale: Optional[float] = None,
                              layout: str = "bhsd", return_lse: bool = False,
                              deterministic: bool = False):
    """The whole problem through `world` virtual ranks in this process: q,
    k, v are whole sequences; they are sharded, run through the same
    schedule and kernels as context_parallel_attention, and the outputs
    gathered back. Must equal flashgen.attention (and, being made of the
    same merges and block launches, tests the distributed path on one GPU)."""
    if not isinstance(world, int) or world < 1:
        raise ArgumentError(f"simulate_context_parallel: world must be an int >= 1, not {world!r}")
    comm = SimulatedComm(world)
    qs = [shard(q, r, world, sharding=sharding, layout=layout) for r in range(world)]
    ks = [shard(k, r, world, sharding=sharding, layout=layout) for r in range(world)]
    vs = [shard(v, r, world, sharding=sharding, layout=layout) for r in range(world)]
    pb = _problem(qs[0], ks[0], vs[0], spec, world, method=method, sharding=sharding,
                  tensors=tensors, scale=scale, layout=layout, deterministic=deterministic,
                  who="simulate_context_parallel")
    res = _ContextParallel.apply(pb, comm, method, world, *qs, *ks, *vs)
    out = unshard(list(res[:world]), sharding=sharding, layout=layout)
    lse = unshard(list(res[world:]), sharding=sharding, layout=layout)
    return (out, lse) if return_lse else out
