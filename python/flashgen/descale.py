"""fp8 (e4m3) inputs' descale factors, from the values a caller passes.

The real value of an fp8 element is its code's value times its tensor's
factor. A factor is a number (per tensor) or a tensor of FlashAttention-3's
shape [batch, kv_heads] (one factor per kv head, which its query heads
share), any shape that broadcasts to it ([], [1], [1, 1], [batch, 1],
[1, kv_heads]) included. Tensors on q's device are read by the kernel in
place, never synchronized on, so their values are not checked (they must
be positive and finite; a NaN shows in the output); host tensors are copied
there. 16-bit inputs take no factors (None or 1).
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional

import torch
from torch import Tensor

from .errors import ArgumentError

_NAMES = ("q_descale", "k_descale", "v_descale")


class Descale(NamedTuple):
    """Per-tensor factors (floats) and per-head ones (float32 [batch,
    kv_heads] views, stride 0 where broadcast; None: 1) of q, k, v."""
    factors: tuple
    heads: tuple


def descale_of(who: str, q: Tensor, factors, batch: int, kv_heads: int) -> Optional[Descale]:
    """The (q, k, v) descale `factors` of inputs like `q` as a Descale, or
    None for 16-bit inputs (which refuse any factor but None and 1)."""
    if q.dtype != torch.float8_e4m3fn:
        for name, f in zip(_NAMES, factors):
            if f is not None and (isinstance(f, Tensor) or _number(who, name, f) != 1.0):
                raise ArgumentError(f"{who}: {name} applies to torch.float8_e4m3fn inputs; q is "
                                    f"{q.dtype}")
        return None
    scalars, heads = [], []
    for name, f in zip(_NAMES, factors):
        if isinstance(f, Tensor):
            scalars.append(1.0)
            heads.append(_per_head(who, name, f, q.device, batch, kv_heads))
            continue
        x = 1.0 if f is None else _number(who, name, f)
        if not (x > 0 and math.isfinite(x)):
            raise ArgumentError(f"{who}: {name} ({x}) must be a positive finite number")
        scalars.append(x)
        heads.append(None)
    return Descale(tuple(scalars), tuple(heads))


def _number(who: str, name: str, f) -> float:
    """`f` as a float, or an error naming `name`."""
    try:
        return float(f)
    except (TypeError, ValueError):
        raise ArgumentError(f"{who}: {name} must be a number or a tensor, not "
                            f"{type(f).__name__}") from None


def _per_head(who: str, name: str, f: Tensor, device, batch: int, kv_heads: int) -> Tensor:
    """`f` as a float32 [batch, kv_heads] view on `device`."""
    if f.device != device:
        if f.device.type != "cpu":
            raise ArgumentError(f"{who}: {name} is on {f.device}, q on {device}")
        f = f.to(device)  # a host tensor (a copy per call: keep factors on q's device)
    if not f.is_floating_point():
        raise ArgumentError(f"{who}: {name} must be a floating-point tensor, not {f.dtype}")
    # A 1-D tensor of several factors would be per entry or per head only
    # by the accident of its length: FlashAttention-3's shape is 2-D.
    if f.dim() > 2 or (f.dim() == 1 and f.numel() != 1):
        raise ArgumentError(f"{who}: {name} has shape {list(f.shape)}; per-head factors are "
                            f"[batch, kv_heads] = [{batch}, {kv_heads}] (or broadcast to it)")
    try:
        return f.to(torch.float32).expand(batch, kv_heads)
    except RuntimeError:
        raise ArgumentError(f"{who}: {name} has shape {list(f.shape)}, which does not "
                            f"broadcast to [batch, kv_heads] = [{batch}, {kv_heads}]") from None
