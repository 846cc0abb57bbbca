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
        dtype = qs[r].dtype
        out = torch.cat([o for o, _ in acc[r]], dim=1).to(dtype)  # [B, S, H, Dv]
        lse = finish_lse(torch.cat([l for _, l in acc[r]], dim=2))
        result[r] = (out.transpose(1, 2).contiguous() if lay == "bhsd" else out, lse)
    return result


def ring_backward(pb: Problem, comm, qs, ks, vs, outs, lses, douts):
    """{rank: (dq, dk, dv)} like the shards; outs/lses: ring_forward's."""
    plan, c, lay = pb.plan, pb.chunk, pb.layout
    r0 = comm.local_ranks[0]
    nq = qs[r0].shape[seq_dim(lay)] // c
    dq = {r: torch.zeros(bshd(qs[r], lay).shape, dtype=torch.float32, device=qs[r].device)
          for r in comm.local_ranks}
    lse_chunks = {r: [lses[r][:, :, i * c:(i + 1) * c].contiguous() for i in range(nq)]
                  for r in comm.local_ranks}
    zeros_kv = {r: (torch.zeros(bshd(ks[r], lay).shape, dtype=torch.float32, device=ks[r].device),
                    torch.zeros(bshd(vs[r], lay).shape, dtype=torch.float32, device=vs[r].device))
                for r in comm.local_ranks}
    kv = {r: (ks[r], vs[r]) for r in comm.local_ranks}
    dkv_in = {r: None for r in comm.local_ranks}  # accumulators of the held origin, so far
    final = {r: {} for r in comm.local_ranks}     # origin -> its finished (dk, dv)
    for s in range(plan.steps()):
        kv_handle = comm.shift({r: kv[r] if plan.sends(r, s) else None for r in comm.local_ranks},
                               {r: plan.receives(r, s) for r in comm.local_ranks},
                               {r: (ks[r], vs[r]) for r in comm.local_ranks})
        dkv_out = {}
        for r in comm.local_ranks:
            o = plan.origin(r, s)
            if o is None:
                continue
            k, v = kv[r]
            dk_acc = torch.zeros_like(zeros_kv[r][0])
            dv_acc = torch.zeros_like(zeros_kv[r][1])
            for p in plan.pairs[r][s]:
                sl = slice(p.qi * c, (p.qi + 1) * c)
                ksl = slice(p.ki * c, (p.ki + 1) * c)
                # The kernels add this block's gradients to the fp32 sums.
                ops.backward_call(
                    chunk(douts[r], p.qi, c, lay), chunk(qs[r], p.qi, c, lay),
                    chunk(k, p.ki, c, lay), chunk(v, p.ki, c, lay),
                    chunk(outs[r], p.qi, c, lay), lse_chunks[r][p.qi], pb.text, pb.names,
                    pb.tensors, None, None, c, c, None, pb.deterministic,
                    positions=pb.positions(p.qc, p.kc),
                    accumulate=(dq[r][:, sl], dk_acc[:, ksl], dv_acc[:, ksl]))
            if dkv_in[r] is not None:
                dk_acc.add_(dkv_in[r][0])
                dv_acc.add_(dkv_in[r][1])
            if plan.sends(r, s):
                dkv_out[r] = (dk_acc, dv_acc)
            else:
                final[r][o] = (dk_acc, dv_acc)
        dkv_handle = comm.shift({r: dkv_out.get(r) for r in comm.local_ranks},
                                {r: plan.receives(r, s) for r in comm.local_ranks},
                                zeros_kv)
        got = kv_handle.wait()
        kv = {r: tuple(got[r]) if r in got else None for r in comm.local_ranks}
        got = dkv_handle.wait()
        dkv_in = {r: tuple(got[r]) if r in got else None for r in comm.local_ranks}
    # Each origin's gradients go home from the rank that held them last.
    sends = {r: [(o, final[r][o]) for o in final[r] if o != r] for r in comm.local_ranks}
    receives = {r: [(plan.final_holder(r), zeros_kv[r])] if plan.final_holder(r) != r else []
                for r in comm.local_ranks}
    routed = comm.route(sends, receives)
    result = {}
    for r in comm.local_ranks:
        holder = plan.final_holder(r)
        dk, dv = final[r][r] if holder == r else routed[r][holder]
        grads = []
        for g, like in ((dq[r], qs[r]), (dk, ks[r]), (dv, vs[r])):
            g = g.to(like.dtype)
            grads.append(g.transpose(1, 2).contiguous() if lay == "bhsd" else g)
        result[r] = tuple(grads)
    return result
