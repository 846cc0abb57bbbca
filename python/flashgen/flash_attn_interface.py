"""flash-attn 2.x's functions on flashgen kernels: change the import, nothing else.

    from flashgen import flash_attn_func            # was: from flash_attn import ...
    out = flash_attn_func(q, k, v, dropout_p=0.1, causal=True)

Same argument names, defaults and layouts as flash-attn 2.x: q [B, Sq, H, D],
k/v [B, Sk, Hk, D] (Hk dividing H is GQA/MQA), packed forms as strided views
(no copies), varlen inputs [total, H, D] with int32 cu_seqlens. Conventions
kept: causal and local windows are aligned to the bottom-right corner when
Sq != Sk; window_size=(-1, -1) is no window; softcap=0.0 is off; ALiBi adds
-slope * |i + Sk - Sq - j| to the scaled scores; the returned logsumexp is
[B, H, Sq] (varlen [H, total_q]) in fp32.

Each distinct combination of options is one flashgen variant, compiled once
per process (and kept on disk by the runtime).
"""
from __future__ import annotations

from typing import Optional

import torch

from . import api, ops
from .errors import ArgumentError, UnsupportedError
from .spec import Spec

Tensor = torch.Tensor


class _ShapeOnly:
    """Stands for the alibi_slopes tensor while the spec text is made: the
    text depends only on its rank (slopes[h] or slopes[b, h])."""

    def __init__(self, shape):
        self.shape = tuple(shape)
        self.dtype = "torch.float32"


def _key(causal, window_size, softcap, alibi_slopes, dropout_p, softmax_scale):
    if window_size is None:
        window_size = (-1, -1)
    try:
        left, right = (int(w) for w in window_size)
    except (TypeError, ValueError):
        raise ArgumentError(f"window_size must be a pair of ints, got {window_size!r}") from None
    alibi_rank = None
    if alibi_slopes is not None:
        if not isinstance(alibi_slopes, Tensor) or alibi_slopes.dim() not in (1, 2):
            raise ArgumentError("alibi_slopes must be a tensor of shape [nheads] or "
                                "[batch, nheads]")
        alibi_rank = alibi_slopes.dim()
    return ("fa", bool(causal), (left, right), float(softcap or 0.0), alibi_rank,
            float(dropout_p), None if softmax_scale is None else float(softmax_scale))


def _build(key) -> Spec:
    _, causal, window, softcap, alibi_rank, dropout_p, scale = key
    alibi = None if alibi_rank is None else _ShapeOnly((1,) * alibi_rank)
    return Spec.from_flash_attn(causal=causal, window_size=window, softcap=softcap,
                                alibi_slopes=alibi, dropout_p=dropout_p, softmax_scale=scale)


api.register_key_builder("fa", _build)


def _attention(q, k, v, *, cu_q=None, cu_k=None, max_q=0, max_k=0, dropout_p=0.0,
               softmax_scale=None, causal=False, window_size=(-1, -1), softcap=0.0,
               alibi_slopes=None, deterministic=False, return_attn_probs=False,
               who="flash_attn_func"):
    varlen = cu_q is not None
    api._check_qkv(q, k, v, varlen=varlen, who=who)
    if not 0.0 <= dropout_p < 1.0:
        raise ArgumentError(f"{who}: dropout_p must be in [0, 1), got {dropout_p}")
    key = _key(causal, window_size, softcap, alibi_slopes, dropout_p, softmax_scale)
    dtype = api._DTYPES[q.dtype]
    text, names = api._resolve(key, dtype, q.shape[-1], v.shape[-1], varlen, None)
    tensors = []
    if alibi_slopes is not None:
        heads = q.shape[-2]
        batch = (cu_q.numel() - 1) if varlen else q.shape[0]
        want = (heads,) if alibi_slopes.dim() == 1 else (batch, heads)
        if tuple(alibi_slopes.shape) != want:
            raise ArgumentError(f"{who}: alibi_slopes must have shape {list(want)}, got "
                                f"{list(alibi_slopes.shape)}")
        tensors = [alibi_slopes]
    if varlen:
        for name, c in (("cu_seqlens_q", cu_q), ("cu_seqlens_k", cu_k)):
            if not isinstance(c, Tensor) or c.dtype != torch.int32 or c.dim() != 1:
                raise ArgumentError(f"{who}: {name} must be a 1-D torch.int32 tensor")
            if c.device != q.device:
                raise ArgumentError(f"{who}: {name} is on {c.device}, q on {q.device}")
        if cu_q.numel() != cu_k.numel() or cu_q.numel() < 2:
            raise ArgumentError(f"{who}: cu_seqlens_q and cu_seqlens_k must both hold "
                                "batch + 1 offsets")
        cu_q, cu_k = cu_q.contiguous(), cu_k.contiguous()
    seed = api._seed_tensor(text, None)
    out, lse = api._call(q, k, v, text, names, tensors, cu_q, cu_k, int(max_q), int(max_k),
                         seed, ops.O_BSHD, deterministic)
    if not return_attn_probs:
        return out
    probs = _attn_probs(q, k, key, dtype, tensors, seed, cu_q, cu_k, int(max_q), int(max_k))
    return out, lse, probs


def _attn_probs(q, k, key, dtype, tensors, seed, cu_q=None, cu_k=None, max_q=0, max_k=0):
    """The attention probabilities [B, H, Sq, Sk] the kernel used, dropped
    entries negated (a debug path: Sk / 256 extra launches per call). Varlen:
    [B, H, max_seqlen_q, max_seqlen_k], zero past each sequence's end.

    P is read off the kernel itself: with V = the identity (256 key columns
    at a time) the output is P; with dropout the same launch returns kept
    entries scaled by 1/(1-p) and dropped ones as 0, from the same Philox
    stream (it is indexed by (batch*head, q, k), not by head dim or tile)."""
    varlen = cu_q is not None
    dev = q.device
    if varlen:
        b, h = cu_q.numel() - 1, q.shape[1]
        sq, sk, hk = max_q, max_k, k.shape[1]
        # Each packed row's sequence and its position in it.
        lens_q, lens_k = (cu_q[1:] - cu_q[:-1]).long(), (cu_k[1:] - cu_k[:-1]).long()
        seq_q = torch.repeat_interleave(torch.arange(b, device=dev), lens_q)
        seq_k = torch.repeat_interleave(torch.arange(b, device=dev), lens_k)
        pos_q = torch.arange(q.shape[0], device=dev) - cu_q.long()[seq_q]
        pos_k = torch.arange(k.shape[0], device=dev) - cu_k.long()[seq_k]
    else:
        b, sq, h, _ = q.shape
        sk, hk = k.shape[1], k.shape[2]
        pos_k = torch.arange(sk, device=dev)
    nodrop = key[:5] + (0.0,) + key[6:]
    chunk = 256
    probs = torch.zeros(b, h, sq, sk, dtype=q.dtype, device=dev)
    for c0 in range(0, sk, chunk):
        c = min(chunk, sk - c0)
        width = (c + 7) // 8 * 8
        # V = one-hot rows: key j of a sequence puts a one in column j - c0.
        rows = ((pos_k >= c0) & (pos_k < c0 + c)).nonzero().squeeze(1)
        eye = torch.zeros(*k.shape[:-1], width, dtype=q.dtype, device=dev)
        if varlen:
            eye[rows, :, pos_k[rows] - c0] = 1
        else:
            eye[:, rows, :, pos_k[rows] - c0] = 1

        def run(kind, s):
            text, names = api._resolve(kind, dtype, q.shape[-1], width, varlen, None)
            o, _ = ops.attention_fwd(q, k, eye, text, names, tensors, cu_q, cu_k, sq, sk, s,
                                     ops.O_BSHD, False)
            return o[..., :c]

        p = run(nodrop, None)
        if key[5] > 0:
            kept = run(key, seed)
            p = torch.where((kept == 0) & (p != 0), -p, p)
        if varlen:  # [total_q, H, c] -> [B, H, max_q, c] by each row's sequence and position
            probs[seq_q, :, pos_q, c0:c0 + c] = p
        else:
            probs[..., c0:c0 + c] = p.permute(0, 2, 1, 3)
    return probs


def flash_attn_func(q, k, v, dropout_p=0.0, softmax_scale=None, causal=False,
                    window_size=(-1, -1), softcap=0.0, alibi_slopes=None, deterministic=False,
                    return_attn_probs=False):
    """flash-attn's flash_attn_func: q [B, Sq, H, D], k, v [B, Sk, Hk, D]."""
    return _attention(q, k, v, max_q=q.shape[1] if q.dim() == 4 else 0,
                      max_k=k.shape[1] if k.dim() == 4 else 0, dropout_p=dropout_p,
                      softmax_scale=softmax_scale, causal=causal, window_size=window_size,
                      softcap=softcap, alibi_slopes=alibi_slopes, deterministic=deterministic,
                      return_attn_probs=return_attn_probs, who="flash_attn_func")


def _unpack(packed, n, axis, who, name):
    if not isinstance(packed, Tensor) or packed.dim() <= axis or packed.shape[axis] != n:
        shape = "[B, S, 3, H, D]" if n == 3 else "[B, S, 2, H, D]"
        raise ArgumentError(f"{who}: '{name}' must have {n} at dimension {axis} ({shape} or "
                            f"varlen without B), got shape "
                            f"{tuple(packed.shape) if isinstance(packed, Tensor) else packed}")
    return packed.unbind(axis)


def flash_attn_qkvpacked_func(qkv, dropout_p=0.0, softmax_scale=None, causal=False,
                              window_size=(-1, -1), softcap=0.0, alibi_slopes=None,
                              deterministic=False, return_attn_probs=False):
    """flash-attn's flash_attn_qkvpacked_func: qkv [B, S, 3, H, D]."""
    q, k, v = _unpack(qkv, 3, 2, "flash_attn_qkvpacked_func", "qkv")
    return _attention(q, k, v, max_q=q.shape[1], max_k=k.shape[1], dropout_p=dropout_p,
                      softmax_scale=softmax_scale, causal=causal, window_size=window_size,
                      softcap=softcap, alibi_slopes=alibi_slopes, deterministic=deterministic,
                      return_attn_probs=return_attn_probs, who="flash_attn_qkvpacked_func")


def flash_attn_kvpacked_func(q, kv, dropout_p=0.0, softmax_scale=None, causal=False,
                             window_size=(-1, -1), softcap=0.0, alibi_slopes=None,
                             deterministic=False, return_attn_probs=False):
    """flash-attn's flash_attn_kvpacked_func: q [B, Sq, H, D], kv [B, Sk, 2, Hk, D]."""
    k, v = _unpack(kv, 2, 2, "flash_attn_kvpacked_func", "kv")
    return _attention(q, k, v, max_q=q.shape[1] if q.dim() == 4 else 0, max_k=k.shape[1],
                      dropout_p=dropout_p, softmax_scale=softmax_scale, causal=causal,
                      window_size=window_size, softcap=softcap, alibi_slopes=alibi_slopes,
                      deterministic=deterministic, return_attn_probs=return_attn_probs,
                      who="flash_attn_kvpacked_func")


def flash_attn_varlen_func(q, k, v, cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k,
                           dropout_p=0.0, softmax_scale=None, causal=False,
                           window_size=(-1, -1), softcap=0.0, alibi_slopes=None,
                           deterministic=False, return_attn_probs=False, block_table=None):
    """flash-attn's flash_attn_varlen_func: q [total_q, H, D], k, v [total_k, Hk, D]."""
    if block_table is not None:
        raise UnsupportedError("flash_attn_varlen_func: block_table (a paged KV cache) is not "
                               "supported yet")
    return _attention(q, k, v, cu_q=cu_seqlens_q, cu_k=cu_seqlens_k, max_q=max_seqlen_q,
                      max_k=max_seqlen_k, dropout_p=dropout_p, softmax_scale=softmax_scale,
                      causal=causal, window_size=window_size, softcap=softcap,
                      alibi_slopes=alibi_slopes, deterministic=deterministic,
                      return_attn_probs=return_attn_probs, who="flash_attn_varlen_func")


def flash_attn_varlen_qkvpacked_func(qkv, cu_seqlens, max_seqlen, dropout_p=0.0,
                                     softmax_scale=None, causal=False, window_size=(-1, -1),
                                     softcap=0.0, alibi_slopes=None, deterministic=False,
                                     return_attn_probs=False):
    """flash-attn's flash_attn_varlen_qkvpacked_func: qkv [total, 3, H, D]."""
    q, k, v = _unpack(qkv, 3, 1, "flash_attn_varlen_qkvpacked_func", "qkv")
    return _attention(q, k, v, cu_q=cu_seqlens, cu_k=cu_seqlens, max_q=max_seqlen,
                      max_k=max_seqlen, dropout_p=dropout_p, softmax_scale=softmax_scale,
                      causal=causal, window_size=window_size, softcap=softcap,
                      alibi_slopes=alibi_slopes, deterministic=deterministic,
                      return_attn_probs=return_attn_probs,
                      who="flash_attn_varlen_qkvpacked_func")


def flash_attn_varlen_kvpacked_func(q, kv, cu_seqlens_q, cu_seqlens_k, max_seqlen_q,
                                    max_seqlen_k, dropout_p=0.0, softmax_scale=None,
                                    causal=False, window_size=(-1, -1), softcap=0.0,
                                    alibi_slopes=None, deterministic=False,
                                    return_attn_probs=False):
    """flash-attn's flash_attn_varlen_kvpacked_func: q [total_q, H, D], kv [total_k, 2, Hk, D]."""
    k, v = _unpack(kv, 2, 1, "flash_attn_varlen_kvpacked_func", "kv")
    return _attention(q, k, v, cu_q=cu_seqlens_q, cu_k=cu_seqlens_k, max_q=max_seqlen_q,
                      max_k=max_seqlen_k, dropout_p=dropout_p, softmax_scale=softmax_scale,
                      causal=causal, window_size=window_size, softcap=softcap,
                      alibi_slopes=alibi_slopes, deterministic=deterministic,
                      return_attn_probs=return_attn_probs,
                      who="flash_attn_varlen_kvpacked_func")
