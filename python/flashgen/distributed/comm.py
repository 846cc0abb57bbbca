"""How ranks exchange tensors: NCCL through torch.distributed, or, for the
one-process simulation, hand-over between virtual ranks.

Both serve the same executor (ring.py, ulysses.py), which runs a set of
local ranks in lockstep: one rank per process with `ProcessGroupComm`, all
of them in one process with `SimulatedComm`.
"""
from __future__ import annotations

from typing import Optional

import torch

Tensor = torch.Tensor


def _alloc(like):
    """A receive buffer for `like`: a tensor (its shape and dtype, contiguous)
    or a (shape, dtype, device) triple, so callers need not keep a tensor
    around just to describe one."""
    if isinstance(like, torch.Tensor):
        return torch.empty_like(like, memory_format=torch.contiguous_format)
    shape, dtype, device = like
    return torch.empty(shape, dtype=dtype, device=device)


class _Done:
    def __init__(self, value):
        self.value = value

    def wait(self):
        return self.value


class SimulatedComm:
    """P virtual ranks in one process: a send is the receiver's tensor."""

    def __init__(self, world: int):
        self.world = world
        self.local_ranks = list(range(world))

    def shift(self, payloads: dict, receives: dict, like: dict):
        """Each local rank r with payloads[r] sends it to r + 1; ranks with
        receives[r] get one from r - 1, in buffers shaped like like[r]
        (tensors or (shape, dtype, device)). Returns a handle whose wait()
        gives {rank: received list}."""
        got = {}
        for r, items in payloads.items():
            if items is not None:
                got[(r + 1) % self.world] = list(items)
        for r, want in receives.items():
            if want and r not in got:
                raise RuntimeError(f"simulated ring: rank {r} expects a shard nobody sent")
        return _Done(got)

    def route(self, sends: dict, receives: dict):
        """sends[r] = [(dst, tensors)], receives[r] = [(src, like)] ->
        {rank: {src: tensors}}."""
        got: dict = {r: {} for r in self.local_ranks}
        for r, items in sends.items():
            for dst, tensors in items:
                got[dst][r] = list(tensors)
        return got

    def all_to_all(self, inputs: dict) -> dict:
        """inputs[r][j] goes to rank j; returns out[j][r]."""
        return {j: [inputs[r][j] for r in range(self.world)] for j in range(self.world)}


class ProcessGroupComm:
    """This process's rank of a torch.distributed group (NCCL on CUDA)."""

    def __init__(self, group=None):
        import torch.distributed as dist
        if not dist.is_available() or not dist.is_initialized():
            raise RuntimeError("flashgen.distributed: torch.distributed is not initialized "
                               "(call torch.distributed.init_process_group, e.g. under torchrun)")
        self.dist, self.group = dist, group
        self.world = dist.get_world_size(group)
        self.rank = dist.get_rank(group)
        self.local_ranks = [self.rank]

    def _global(self, r: int) -> int:
        if self.group is None:
            return r
        return self.dist.get_global_rank(self.group, r)

    def _batch(self, ops):
        return self.dist.batch_isend_irecv(ops) if ops else []

    def shift(self, payloads: dict, receives: dict, like: dict):
        dist, r = self.dist, self.rank
        ops, recv = [], None
        items = payloads.get(r)
        if items is not None and self.world > 1:
            dst = self._global((r + 1) % self.world)
            ops += [dist.P2POp(dist.isend, t.contiguous(), dst, self.group) for t in items]
        if receives.get(r) and self.world > 1:
            src = self._global((r - 1) % self.world)
            recv = [_alloc(t) for t in like[r]]
            ops += [dist.P2POp(dist.irecv, t, src, self.group) for t in recv]
        reqs = self._batch(ops)

        class _Handle:
            def wait(_self):
                for q in reqs:
                    q.wait()
                return {r: recv} if recv is not None else {}
        return _Handle()

    def route(self, sends: dict, receives: dict):
        dist, r = self.dist, self.rank
        ops, got = [], {}
        for dst, tensors in sends.get(r, []):
            ops += [dist.P2POp(dist.isend, t.contiguous(), self._global(dst), self.group)
                    for t in tensors]
        for src, like in receives.get(r, []):
            bufs = [_alloc(t) for t in like]
            got[src] = bufs
            ops += [dist.P2POp(dist.irecv, t, self._global(src), self.group) for t in bufs]
        for q in self._batch(ops):
            q.wait()
        return {r: got}

    def all_to_all(self, inputs: dict) -> dict:
        r = self.rank
        ins = [t.contiguous() for t in inputs[r]]
        outs = [torch.empty_like(t) for t in ins]
        self.dist.all_to_all(outs, ins, group=self.group)
        return {r: outs}


def make_comm(group=None, simulate: Optional[int] = None):
    return SimulatedComm(simulate) if simulate else ProcessGroupComm(group)
