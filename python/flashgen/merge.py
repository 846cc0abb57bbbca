"""Combining partial attention results by their logsumexps.

Attention over keys A and B (disjoint) from attention over each:
lse = log(exp(lse_A) + exp(lse_B)), out = out_A exp(lse_A - lse) +
out_B exp(lse_B - lse). Split-KV decoding, prefix sharing and context
parallelism all reduce to it. flashgen's kernels write lse = +inf for a row
with nothing to attend (so a backward recomputes P = 0); here such a row
carries no weight, and a row empty in both results stays out = 0, +inf.
"""
from __future__ import annotations

import torch

Tensor = torch.Tensor


def _mass(lse: Tensor) -> Tensor:
    """log of a row's probability mass: -inf for an empty row (+inf written)."""
    return torch.where(torch.isposinf(lse), torch.full_like(lse, float("-inf")), lse)


def merge_into(acc_out: Tensor, acc_lse: Tensor, out: Tensor, lse: Tensor) -> None:
    """acc (fp32, [B, S, H, D] and mass-lse [B, H, S], -inf = empty) merged
    with the partial result out ([B, S, H, D], any float dtype) and its lse
    ([B, H, S] as the kernels write it), in place."""
    lse = _mass(lse.float())
    m = torch.maximum(acc_lse, lse)
    m = torch.where(torch.isneginf(m), torch.zeros_like(m), m)
    wa, wb = torch.exp(acc_lse - m), torch.exp(lse - m)
    s = wa + wb
    inv = torch.where(s > 0, 1.0 / s, torch.zeros_like(s))
    ca = (wa * inv).transpose(1, 2).unsqueeze(-1)
    cb = (wb * inv).transpose(1, 2).unsqueeze(-1)
    acc_out.mul_(ca).add_(out.to(torch.float32, copy=True).mul_(cb))
    acc_lse.copy_(torch.where(s > 0, m + torch.log(s), torch.full_like(s, float("-inf"))))


def finish_lse(acc_lse: Tensor) -> Tensor:
    """A merged lse in the kernels' convention (+inf for an empty row)."""
    return torch.where(torch.isneginf(acc_lse), torch.full_like(acc_lse, float("inf")), acc_lse)


def merge_attention(out_a: Tensor, lse_a: Tensor, out_b: Tensor, lse_b: Tensor, *,
                    layout: str = "bhsd") -> tuple[Tensor, Tensor]:
    """(out, lse) of attention over the union of two disjoint key sets, from
    each set's (out, lse) as flashgen.attention(..., return_lse=True)
    returns them: out [B, H, N, D] (layout="bhsd") or [B, N, H, D] ("bshd"),
    lse [B, H, N] fp32. The result has out_a's dtype; computed in fp32."""
    if layout not in ("bhsd", "bshd"):
        raise ValueError(f"merge_attention: layout must be 'bhsd' or 'bshd', not {layout!r}")
    if out_a.shape != out_b.shape or lse_a.shape != lse_b.shape:
        raise ValueError(f"merge_attention: shapes differ: out {tuple(out_a.shape)} vs "
                         f"{tuple(out_b.shape)}, lse {tuple(lse_a.shape)} vs "
                         f"{tuple(lse_b.shape)}")
    oa, ob = (out_a.transpose(1, 2), out_b.transpose(1, 2)) if layout == "bhsd" else (out_a, out_b)
    if tuple(lse_a.shape) != (oa.shape[0], oa.shape[2], oa.shape[1]):
        raise ValueError(f"merge_attention: lse {tuple(lse_a.shape)} must be [B, H, N] for out "
                         f"{tuple(out_a.shape)} ({layout})")
    acc = oa.float().clone()
    acc_lse = _mass(lse_a.float())
    merge_into(acc, acc_lse, ob, lse_b)
    out = acc.to(out_a.dtype)
    return (out.transpose(1, 2) if layout == "bhsd" else out), finish_lse(acc_lse)
