"""Run-time block masks: the block map of a spec with
`sparsity = runtime(block_size = S)`.

The kernels read it as the named tensor `block_mask`, i32[batch, heads,
ceil(seq_q / S), ceil(seq_k / S)], nonzero where an S x S block is computed.
`BlockMask` builds it from FlexAttention's BSR form (counts and ascending
kv block indices per query block, partial and full), validated by the C
library (flashgenExpandBsrBlockMask: the error names the offending row),
from a FlexAttention BlockMask, or from a dense map; `flashgen.attention(...,
block_mask=m)` passes it. Build it once and reuse it while the mask repeats.
Full and partial blocks are both kept: the kernel decides per tile from the
spec's own mask whether mask math is needed.
"""
from __future__ import annotations

import ctypes
from typing import Optional

import torch
from torch import Tensor

from . import _library
from .errors import ArgumentError


def _blocks(n: int, size: int) -> int:
    return (n + size - 1) // size


class BlockMask:
    """A dense block map [B or 1, H or 1, query blocks, kv blocks] (int32, on
    the GPU) and its block size; B or H of 1 is shared by every batch entry or
    head."""

    def __init__(self, dense: Tensor, block_size: int):
        if not isinstance(dense, Tensor) or dense.dim() != 4:
            raise ArgumentError("BlockMask: the block map must be a 4-d tensor "
                                "[B or 1, H or 1, query blocks, kv blocks]")
        if not isinstance(block_size, int) or block_size < 16 or block_size % 16:
            raise ArgumentError(f"BlockMask: block_size must be a multiple of 16, "
                                f"got {block_size!r}")
        self.dense = dense.to(torch.int32).contiguous()
        self.block_size = block_size

    @classmethod
    def from_dense(cls, mask: Tensor, block_size: int) -> "BlockMask":
        """From a bool or integer map [B|1, H|1, Qb, Kb] (nonzero: computed)."""
        return cls(mask, block_size)

    @classmethod
    def from_bsr(cls, kv_num_blocks: Tensor, kv_indices: Tensor,
                 full_kv_num_blocks: Optional[Tensor] = None,
                 full_kv_indices: Optional[Tensor] = None, *, block_size: int,
                 num_kv_blocks: int) -> "BlockMask":
        """From BSR lists: kv_num_blocks [B, H, Qb] and kv_indices [B, H, Qb, L]
        (the first kv_num_blocks[b, h, i] entries of row (b, h, i), strictly
        ascending), optionally the same for full blocks; num_kv_blocks =
        ceil(seq_k / block_size). ArgumentError names a bad row."""
        if kv_num_blocks.dim() != 3 or kv_indices.dim() != 4 or \
                kv_indices.shape[:3] != kv_num_blocks.shape:
            raise ArgumentError("BlockMask.from_bsr: kv_num_blocks must be [B, H, Qb] and "
                                "kv_indices [B, H, Qb, L]")
        if (full_kv_num_blocks is None) != (full_kv_indices is None):
            raise ArgumentError("BlockMask.from_bsr: give full_kv_num_blocks and "
                                "full_kv_indices together, or neither")
        device = kv_num_blocks.device
        B, H, Qb = (int(x) for x in kv_num_blocks.shape)
        host = lambda t: t.detach().to("cpu", torch.int32).contiguous()  # noqa: E731
        counts, indices = host(kv_num_blocks), host(kv_indices)
        bsr = _library.BsrBlockMask(B, H, Qb, int(num_kv_blocks), counts.data_ptr(),
                                    indices.data_ptr(), int(kv_indices.shape[3]))
        keep = [counts, indices]
        if full_kv_num_blocks is not None:
            if full_kv_num_blocks.shape != kv_num_blocks.shape or full_kv_indices.dim() != 4 or \
                    full_kv_indices.shape[:3] != kv_num_blocks.shape:
                raise ArgumentError("BlockMask.from_bsr: the full lists must have the shapes "
                                    "of the partial ones")
            fc, fi = host(full_kv_num_blocks), host(full_kv_indices)
            keep += [fc, fi]
            bsr.full_counts, bsr.full_indices = fc.data_ptr(), fi.data_ptr()
            bsr.full_index_stride = int(full_kv_indices.shape[3])
        dense = torch.empty((B, H, Qb, max(int(num_kv_blocks), 0)), dtype=torch.int32)
        status = _library.library().flashgenExpandBsrBlockMask(
            ctypes.byref(bsr), ctypes.c_void_p(dense.data_ptr()))
        _library.raise_for(status, "BlockMask.from_bsr: ")
        return cls(dense.to(device), block_size)

    @classmethod
    def from_flex(cls, block_mask) -> "BlockMask":
        """From torch.nn.attention.flex_attention.BlockMask (square blocks)."""
        bq, bk = block_mask.BLOCK_SIZE
        if bq != bk:
            raise ArgumentError(f"BlockMask.from_flex: flashgen's blocks are square, this "
                                f"mask's are {bq} x {bk}")
        seq_k = block_mask.seq_lengths[1]
        return cls.from_bsr(block_mask.kv_num_blocks, block_mask.kv_indices,
                            block_mask.full_kv_num_blocks, block_mask.full_kv_indices,
                            block_size=int(bq), num_kv_blocks=_blocks(int(seq_k), int(bq)))

    @property
    def density(self) -> float:
        """The share of blocks computed."""
        return float((self.dense != 0).float().mean())

    def tensor_for(self, batch: int, heads: int, seq_q: int, seq_k: int) -> Tensor:
        """The `block_mask` tensor of one call: [batch, heads, ceil(seq_q / S),
        ceil(seq_k / S)], shared maps expanded without copies."""
        B, H, Qb, Kb = self.dense.shape
        want = (_blocks(seq_q, self.block_size), _blocks(seq_k, self.block_size))
        if (Qb, Kb) != want:
            raise ArgumentError(f"BlockMask: {Qb} x {Kb} blocks of {self.block_size}, but "
                                f"the call has seq_q={seq_q}, seq_k={seq_k}: {want[0]} x "
                                f"{want[1]} blocks")
        if B not in (1, batch) or H not in (1, heads):
            raise ArgumentError(f"BlockMask: the map is for batch {B} x heads {H}, the call "
                                f"has batch {batch} x heads {heads} (1 broadcasts)")
        return self.dense.expand(batch, heads, Qb, Kb)

    def __repr__(self):
        B, H, Qb, Kb = self.dense.shape
        return (f"BlockMask(batch={B}, heads={H}, blocks={Qb}x{Kb} of {self.block_size}, "
                f"density={self.density:.3f})")
