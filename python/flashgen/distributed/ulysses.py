"""All-to-all (Ulysses-style) context parallelism: an all-to-all turns the
sequence-sharded Q, K, V into head-sharded ones holding the whole sequence,
each rank runs flashgen's kernel on its heads (at their global head
indices, so per-head score modifiers read the right entries), and a second
all-to-all turns the output back. Needs heads and kv heads divisible by
the world size.
"""
from __future__ import annotations

import torch

from .. import ops
from .plan import chunks_of, num_chunks
from .ring import bshd

Tensor = torch.Tensor


def _order(world: int, sharding: str) -> list:
    """Chunk indices in the order the gathered sequence lists them."""
    return [c for r in range(world) for c in chunks_of(r, world, sharding)]


def seq_to_heads(comm, shards: dict, world: int, sharding: str) -> dict:
    """{rank: [B, S/P, H, D] (BSHD views)} -> {rank: [B, S, H/P, D]} in
    position order."""
    ins = {}
    for r in comm.local_ranks:
        t = shards[r]
        hp = t.shape[2] // world
        ins[r] = [t[:, :, j * hp:(j + 1) * hp] for j in range(world)]
    got = comm.all_to_all(ins)
    order = _order(world, sharding)
    out = {}
    for r in comm.local_ranks:
        seq = torch.cat(got[r], dim=1)  # chunks in rank order
        n = num_chunks(world, sharding)
        c = seq.shape[1] // n
        if order != list(range(n)):
            parts = {ch: seq[:, i * c:(i + 1) * c] for i, ch in enumerate(order)}
            seq = torch.cat([parts[ch] for ch in range(n)], dim=1)
        out[r] = seq
    return out


def heads_to_seq(comm, full: dict, world: int, sharding: str) -> dict:
    """The inverse of seq_to_heads: {rank: [B, S, H/P, D]} -> {rank: [B, S/P, H, D]}."""
    n = num_chunks(world, sharding)
    ins = {}
    for r in comm.local_ranks:
        t = full[r]
        c = t.shape[1] // n
        ins[r] = [torch.cat([t[:, ch * c:(ch + 1) * c] for ch in chunks_of(j, world, sharding)],
                            dim=1) for j in range(world)]
    got = comm.all_to_all(ins)
    return {r: torch.cat(got[r], dim=2) for r in comm.local_ranks}


def ulysses_forward(pb, comm, qs, ks, vs):
    """{rank: (out in the caller's layout, lse [B, H, S_local])}, and what
    the backward keeps: the head-sharded inputs, outputs and lse."""
    world, lay = comm.world, pb.layout
    q = seq_to_heads(comm, {r: bshd(qs[r], lay) for r in comm.local_ranks}, world, pb.sharding)
    k = seq_to_heads(comm, {r: bshd(ks[r], lay) for r in comm.local_ranks}, world, pb.sharding)
    v = seq_to_heads(comm, {r: bshd(vs[r], lay) for r in comm.local_ranks}, world, pb.sharding)
    o, lse = {}, {}
    n = pb.seq_len
    for r in comm.local_ranks:
        hp = q[r].shape[2]
        o[r], lse[r] = ops.forward_call(q[r], k[r], v[r], pb.text, pb.names, pb.tensors, None,
                                        None, n, n, None, ops.O_BSHD,
                                        positions=(0, 0, r * hp, n, n, pb.heads))
    out = heads_to_seq(comm, o, world, pb.sharding)
    # lse [B, H/P, S] -> [B, S, H/P, 1] so it rides the same all-to-all.
    lse_seq = heads_to_seq(comm, {r: lse[r].transpose(1, 2).unsqueeze(-1)
                                  for r in comm.local_ranks}, world, pb.sharding)
    result = {}
    for r in comm.local_ranks:
        ot = out[r].transpose(1, 2).contiguous() if lay == "bhsd" else out[r].contiguous()
        result[r] = (ot, lse_seq[r].squeeze(-1).transpose(1, 2).contiguous())
    return result, (q, k, v, o, lse)


def ulysses_backward(pb, comm, saved, douts):
    q, k, v, o, lse = saved
    world, lay, n = comm.world, pb.layout, pb.seq_len
    do = seq_to_heads(comm, {r: bshd(douts[r], lay) for r in comm.local_ranks}, world,
                      pb.sharding)
    dq, dk, dv = {}, {}, {}
    for r in comm.local_ranks:
        hp = q[r].shape[2]
        dq[r], dk[r], dv[r] = ops.backward_call(
            do[r], q[r], k[r], v[r], o[r], lse[r], pb.text, pb.names, pb.tensors, None, None,
            n, n, None, pb.deterministic, positions=(0, 0, r * hp, n, n, pb.heads))
    grads = [heads_to_seq(comm, g, world, pb.sharding) for g in (dq, dk, dv)]
    result = {}
    for r in comm.local_ranks:
        result[r] = tuple(g[r].transpose(1, 2).contiguous() if lay == "bhsd" else
                          g[r].contiguous() for g in grads)
    return result
