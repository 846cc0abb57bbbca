"""Rotary position embeddings (RoPE) as flash-attn's flash_attn_with_kvcache
applies them before attending: the first rotary_dim = 2 x cos.shape[1]
columns of each head are rotated by the angles of a token's position, the
rest pass through. Interleaved: column pairs (0, 1), (2, 3), ... (GPT-J);
otherwise (i, i + rotary_dim / 2) (GPT-NeoX). In fp32, rounded once to the
input's dtype."""
from __future__ import annotations

import torch
from torch import Tensor

from .errors import ArgumentError


def check_rotary(cos, sin, head_dim: int, like: Tensor, who: str) -> None:
    """ArgumentError naming the argument when cos/sin cannot rotate heads of
    `head_dim` columns of `like`'s device: both [seqlen_ro, rotary_dim / 2],
    rotary_dim a multiple of 16 no wider than the head (flash-attn's rule)."""
    if cos is None or sin is None:
        raise ArgumentError(f"{who}: give both rotary_cos and rotary_sin, or neither")
    for name, t in (("rotary_cos", cos), ("rotary_sin", sin)):
        if not isinstance(t, Tensor) or t.dim() != 2 or not t.is_floating_point():
            raise ArgumentError(f"{who}: {name} must be a float tensor [seqlen_ro, "
                                f"rotary_dim / 2], got "
                                f"{list(t.shape) if isinstance(t, Tensor) else type(t).__name__}")
        if t.device != like.device:
            raise ArgumentError(f"{who}: {name} is on {t.device}, q on {like.device}")
    if cos.shape != sin.shape:
        raise ArgumentError(f"{who}: rotary_cos {list(cos.shape)} and rotary_sin "
                            f"{list(sin.shape)} differ")
    rotary_dim = 2 * cos.shape[1]
    if rotary_dim == 0 or rotary_dim % 16 or rotary_dim > head_dim:
        raise ArgumentError(f"{who}: rotary_dim = 2 x {cos.shape[1]} = {rotary_dim} must be a "
                            f"multiple of 16 no wider than the head dim {head_dim}")


def apply_rotary(x: Tensor, cos: Tensor, sin: Tensor, positions: Tensor,
                 interleaved: bool) -> Tensor:
    """x [B, S, H, D] with its first 2 x cos.shape[1] columns rotated by the
    angles of positions [B, S] (rows of cos and sin: a position past them
    is torch's index error, not a wrap); a new tensor of x's dtype."""
    half = cos.shape[1]
    c = cos.float()[positions][:, :, None, :]  # [B, S, 1, half]
    s = sin.float()[positions][:, :, None, :]
    xf = x.float()
    out = xf.clone()
    if interleaved:
        x0, x1 = xf[..., 0:2 * half:2], xf[..., 1:2 * half:2]
        out[..., 0:2 * half:2] = x0 * c - x1 * s
        out[..., 1:2 * half:2] = x0 * s + x1 * c
    else:
        x0, x1 = xf[..., :half], xf[..., half:2 * half]
        out[..., :half] = x0 * c - x1 * s
        out[..., half:2 * half] = x0 * s + x1 * c
    return out.to(x.dtype)
