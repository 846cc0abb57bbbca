"""Context parallelism: one attention over several GPUs.

    import flashgen.distributed as fd
    # under torchrun, after torch.distributed.init_process_group("nccl"):
    q_local = fd.shard(q, rank, world)            # this rank's positions
    out_local = fd.context_parallel_attention(q_local, k_local, v_local, spec,
                                              method="ring")   # or "all2all"
    out = fd.unshard([...every rank's out_local...])

`method="ring"` keeps each rank's queries and passes key/value shards around
the ring (P2P send/recv on NCCL, overlapped with the kernels), merging
partial results by their logsumexps; blocks the mask makes empty are not
computed and shards travel only as far as some rank needs them.
`method="all2all"` (Ulysses) trades the sequence shards for head shards with
two all-to-alls around one local kernel. Both see global positions: causal
masks, windows, ALiBi, document masks and any spec expression mean what they
mean for the whole sequence. Sharding "zigzag" (default; rank r of P holds
chunks r and 2P-1-r of 2P, balancing causal work) or "contiguous".

`simulate_context_parallel` runs the same schedule for P virtual ranks in
one process, on one GPU: the whole problem in, the whole result out.
"""
from __future__ import annotations

from .plan import SHARDINGS, RingPlan, chunks_of, num_chunks

try:
    import torch as _torch  # noqa: F401
except ImportError:  # the plan needs no torch; the rest does
    _torch = None
if _torch is not None:
    from .api import (METHODS, context_parallel_attention, shard,
                      simulate_context_parallel, unshard)

__all__ = ["context_parallel_attention", "simulate_context_parallel", "shard", "unshard",
           "RingPlan", "SHARDINGS", "METHODS", "chunks_of", "num_chunks"]
