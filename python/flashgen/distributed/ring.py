"""Ring attention: each rank keeps its queries and passes key/value shards
around the ring (the schedule is plan.RingPlan), computing each block with
flashgen's kernels at the block's global positions and merging the partial
results by their logsumexps (merge.py). The backward passes the key and
value gradients along with the shards and returns them to their origin.

One executor serves both the process-per-rank case (NCCL) and the
one-process simulation: it runs the comm's local ranks in lockstep.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from .. import ops
from ..merge import finish_lse, merge_into
from .plan import RingPlan

Tensor = torch.Tensor


@dataclass
class Problem:
    """What every block launch shares."""
    text: str
    names: str
    tensors: list
    heads: int          # query heads of the whole problem
    seq_len: int        # positions of the whole problem
    layout: str         # the caller's: "bhsd" or "bshd"
    sharding: str       # plan.SHARDINGS
    deterministic: bool
    plan: Optional[RingPlan] = None  # the ring's schedule

    @property
    def chunk(self) -> int:
        return self.plan.chunk

    def positions(self, qc: int, kc: int) -> tuple:
        n = self.plan.seq_len
        return (qc * self.chunk, kc * self.chunk, 0, n, n, self.heads)


def seq_dim(layout: str) -> int:
    return 2 if layout == "bhsd" else 1


def bshd(t: Tensor, layout: str) -> Tensor:
    """A [B, S, H, D] view of t (no copy)."""
    return t.transpose(1, 2) if layout == "bhsd" else t


def chunk(t: Tensor, i: int, size: int, layout: str) -> Tensor:
    """Local chunk i of a shard, as a [B, C, H, D] view."""
    return bshd(t.narrow(seq_dim(layout), i * size, size), layout)


def _forward_block(pb: Problem, q: Tensor, k: Tensor, v: Tensor, qc: int, kc: int):
    return ops.forward_call(q, k, v, pb.text, pb.names, pb.tensors, None, None, q.shape[1],
                            k.shape[1], None, ops.O_BSHD, positions=pb.positions(qc, kc))


def ring_forward(pb: Problem, comm, qs: dict, ks: dict, vs: dict):
    """{rank: (out [caller's layout], lse [B, H, S] fp32)} for the comm's
    local ranks; qs/ks/vs: {rank: shard in the caller's layout}."""
    plan, c, lay = pb.plan, pb.chunk, pb.layout
    nq = qs[comm.local_ranks[0]].shape[seq_dim(lay)] // c
    acc = {}
    for r in comm.local_ranks:
        q = qs[r]
        b, h, dv = q.shape[0], q.shape[1 if lay == "bhsd" else 2], vs[r].shape[-1]
        acc[r] = [(torch.zeros(b, c, h, dv, dtype=torch.float32, device=q.device),
                   torch.full((b, h, c), float("-inf"), dtype=torch.float32, device=q.device))
                  for _ in range(nq)]
    kv = {r: (ks[r], vs[r]) for r in comm.local_ranks}
    for s in range(plan.steps()):
        handle = comm.shift({r: kv[r] if plan.sends(r, s) else None for r in comm.local_ranks},
                            {r: plan.receives(r, s) for r in comm.local_ranks},
                            {r: (ks[r], vs[r]) for r in comm.local_ranks})
        for r in comm.local_ranks:
            if plan.origin(r, s) is None:
                continue
            k, v = kv[r]
            for p in plan.pairs[r][s]:
                out, lse = _forward_block(pb, chunk(qs[r], p.qi, c, lay), chunk(k, p.ki, c, lay),
                                          chunk(v, p.ki, c, lay), p.qc, p.kc)
                merge_into(acc[r][p.qi][0], acc[r][p.qi][1], out, lse)
        got = handle.wait()
        kv = {r: tuple(got[r]) if r in got else None for r in comm.local_ranks}
    result = {}
    for r in comm.local_ranks:
        q = qs[r]
        shape = list(q.shape)
        shape[-1] = vs[r].shape[-1]
        out = torch.empty(shape, dtype=q.dtype, device=q.device)  # the caller's layout
        for i, (o, _) in enumerate(acc[r]):
            bshd(out, lay)[:, i * c:(i + 1) * c].copy_(o)
        lse = finish_lse(torch.cat([l for _, l in acc[r]], dim=2))
        acc[r] = None
        result[r] = (out, lse)
    return result


def ring_backward(pb: Problem, comm, qs, ks, vs, outs, lses, douts):
    """{rank: (dq, dk, dv)} like the shards; outs/lses: ring_forward's.

    The key and value gradients of a shard travel with it as one pair of
    fp32 sums: the rank holding the shard in a step has its kernels add
    their blocks to the sums (accumulateF32), then passes them on; where
    the shard stops, the sums go home. Query gradients are summed in fp32
    on their own rank. Nothing is rounded to the input dtype before the end.
    """
    plan, c, lay = pb.plan, pb.chunk, pb.layout
    ranks = comm.local_ranks
    nq = qs[ranks[0]].shape[seq_dim(lay)] // c
    dq = {r: torch.zeros(bshd(qs[r], lay).shape, dtype=torch.float32, device=qs[r].device)
          for r in ranks}
    lse_chunks = {r: [lses[r][:, :, i * c:(i + 1) * c].contiguous() for i in range(nq)]
                  for r in ranks}
    # (shape, dtype, device) of each rank's fp32 key and value sums.
    sums_like = {r: [(tuple(bshd(t, lay).shape), torch.float32, t.device) for t in (ks[r], vs[r])]
                 for r in ranks}
    kv = {r: (ks[r], vs[r]) for r in ranks}
    dkv = {r: tuple(torch.zeros(*x[0], dtype=x[1], device=x[2]) for x in sums_like[r])
           for r in ranks}  # the held shard's sums (own shard in step 0)
    final = {r: {} for r in ranks}  # origin -> its finished (dk, dv) sums
    for s in range(plan.steps()):
        kv_handle = comm.shift({r: kv[r] if plan.sends(r, s) else None for r in ranks},
                               {r: plan.receives(r, s) for r in ranks},
                               {r: (ks[r], vs[r]) for r in ranks})
        for r in ranks:
            o = plan.origin(r, s)
            if o is None:
                continue
            k, v = kv[r]
            dk, dv = dkv[r]
            for p in plan.pairs[r][s]:
                sl = slice(p.qi * c, (p.qi + 1) * c)
                ksl = slice(p.ki * c, (p.ki + 1) * c)
                ops.backward_call(
                    chunk(douts[r], p.qi, c, lay), chunk(qs[r], p.qi, c, lay),
                    chunk(k, p.ki, c, lay), chunk(v, p.ki, c, lay),
                    chunk(outs[r], p.qi, c, lay), lse_chunks[r][p.qi], pb.text, pb.names,
                    pb.tensors, None, None, c, c, None, pb.deterministic,
                    positions=pb.positions(p.qc, p.kc),
                    accumulate=(dq[r][:, sl], dk[:, ksl], dv[:, ksl]))
            if not plan.sends(r, s):
                final[r][o] = dkv[r]
        dkv_handle = comm.shift({r: dkv[r] if plan.sends(r, s) else None for r in ranks},
                                {r: plan.receives(r, s) for r in ranks}, sums_like)
        got = kv_handle.wait()
        kv = {r: tuple(got[r]) if r in got else None for r in ranks}
        got = dkv_handle.wait()
        dkv = {r: tuple(got[r]) if r in got else None for r in ranks}
    # Each origin's sums go home from the rank that held them last.
    sends = {r: [(o, final[r][o]) for o in final[r] if o != r] for r in ranks}
    receives = {r: [(plan.final_holder(r), sums_like[r])] if plan.final_holder(r) != r else []
                for r in ranks}
    routed = comm.route(sends, receives)
    del sends
    result = {}
    for r in ranks:
        holder = plan.final_holder(r)
        dk, dv = final[r][r] if holder == r else routed[r][holder]
        final[r] = None
        grads = []
        for g, like in ((dq[r], qs[r]), (dk, ks[r]), (dv, vs[r])):
            out = torch.empty(like.shape, dtype=like.dtype, device=like.device)
            bshd(out, lay).copy_(g)  # one pass: fp32 BSHD -> the input's dtype and layout
            grads.append(out)
        dq[r] = None
        result[r] = tuple(grads)
    return result
