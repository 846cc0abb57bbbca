"""The float64 reference and flash-attn's accuracy criterion for the GPU tests.

The reference is the naive formula in PyTorch: scores = scale * Q K^T, a score
transform, a boolean mask, softmax (rows with no key give 0 and an infinite
logsumexp, as flashgen and flash-attn do), an optional dropout multiplier,
then P V. Computed once in float64 (the truth) and once in the input dtype
(what plain PyTorch would give): flashgen passes when its error is at most
twice PyTorch's own low-precision error plus 1e-5, flash-attn's criterion.
"""
from __future__ import annotations

import math

import torch


def reference(q, k, v, *, scale=None, mask=None, score=None, keep=None, dropout_p=0.0,
              dtype=torch.float64):
    """O and logsumexp of attention on BSHD q [B, Sq, H, D], k/v [B, Sk, Hk, D].

    mask: bool broadcastable to [B, H, Sq, Sk] (True = attend); score: a
    function of the scaled scores [B, H, Sq, Sk] (float64 or dtype); keep:
    bool [B, H, Sq, Sk] dropout keep mask."""
    b, sq, h, d = q.shape
    hk = k.shape[2]
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    qq, kk, vv = (t.to(dtype) for t in (q, k, v))
    if hk != h:
        kk = kk.repeat_interleave(h // hk, dim=2)
        vv = vv.repeat_interleave(h // hk, dim=2)
    s = torch.einsum("bqhd,bkhd->bhqk", qq, kk) * scale
    if score is not None:
        s = score(s)
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    lse = torch.logsumexp(s.float() if dtype != torch.float64 else s, dim=-1)
    p = torch.softmax(s, dim=-1)
    p = torch.nan_to_num(p, nan=0.0)  # rows with no key
    if keep is not None:
        p = p * keep.to(p.dtype) / (1.0 - dropout_p)
    o = torch.einsum("bhqk,bkhd->bqhd", p, vv)
    return o, lse


def varlen_reference(q, k, v, cu_q, cu_k, **kw_fn):
    """Per-sequence reference on packed [total, H, D] tensors; kw_fn(sq, sk)
    gives the keyword arguments (mask, score) of one sequence."""
    outs, lses = [], []
    for i in range(cu_q.numel() - 1):
        a, e = int(cu_q[i]), int(cu_q[i + 1])
        ka, ke = int(cu_k[i]), int(cu_k[i + 1])
        kw = kw_fn["kw"](e - a, ke - ka) if "kw" in kw_fn else {}
        o, l = reference(q[None, a:e], k[None, ka:ke], v[None, ka:ke],
                         dtype=kw_fn.get("dtype", torch.float64), **kw)
        outs.append(o[0])
        lses.append(l[0])
    return torch.cat(outs, 0), torch.cat(lses, -1)


def max_err(x, ref):
    return (x.double() - ref.double()).abs().max().item() if x.numel() else 0.0


def assert_close(name, got, ref64, ref_low, report=None, factor=2.0, atol=1e-5):
    """flash-attn's criterion: max|got - ref64| <= factor * max|ref_low - ref64| + atol,
    and no NaN."""
    assert not torch.isnan(got).any(), f"{name}: NaN in flashgen's output"
    err, base = max_err(got, ref64), max_err(ref_low, ref64)
    if report is not None:
        report.append((name, err, base))
    assert err <= factor * base + atol, (
        f"{name}: max error {err:.3e} > {factor} x PyTorch's {base:.3e} + {atol}")
    return err, base


def fp8_values(shape, scale):
    """An e4m3 tensor of `shape` (N(0, 1) / scale, rounded) and its exact
    values, code x scale, in float64. scale: a number, or a CUDA tensor that
    broadcasts to `shape` (per-head descale factors)."""
    x8 = (torch.randn(shape, device="cuda") / scale).to(torch.float8_e4m3fn)
    return x8, x8.double() * scale


def fp8_emulated(q, k, v, mask=None):
    """Attention on BSHD q [B, Sq, H, D], k/v [B, Sk, Hk, D] with P rounded to
    e4m3 on its way to P V, unnormalized (FlashAttention-3's and flashgen's
    fp8 path), in bf16: the error fp8 itself allows, the low-precision side
    of assert_close. mask: bool broadcastable to [B, H, Sq, Sk]."""
    h, hk = q.shape[2], k.shape[2]
    kk = k.double().repeat_interleave(h // hk, dim=2)
    vv = v.double().repeat_interleave(h // hk, dim=2)
    s = torch.einsum("bqhd,bkhd->bhqk", q.double(), kk) / q.shape[-1] ** 0.5
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    m = s.amax(-1, keepdim=True).clamp_min(-1e30)
    p = torch.exp(s - m)
    l = p.sum(-1, keepdim=True)
    p8 = p.float().to(torch.float8_e4m3fn).double()
    o = torch.einsum("bhqk,bkhd->bqhd", p8, vv) / l.permute(0, 2, 1, 3)
    return torch.nan_to_num(o, nan=0.0).to(torch.bfloat16)  # rows with no key: 0


def fa_mask(sq, sk, causal, window, device):
    """flash-attn 2.x's mask: causal and windows aligned bottom-right."""
    i = torch.arange(sq, device=device)[:, None]
    j = torch.arange(sk, device=device)[None, :]
    shift = sk - sq
    m = torch.ones(sq, sk, dtype=torch.bool, device=device)
    left, right = window
    if causal:
        right = 0
    if left >= 0:
        m &= j >= i + shift - left
    if right >= 0:
        m &= j <= i + shift + right
    return m


def fa_score(sq, sk, softcap, alibi, device, batch=None):
    """flash-attn's score transform: softcap, then -slope * |i + sk - sq - j|."""
    def f(s):
        if softcap:
            s = softcap * torch.tanh(s / softcap)
        if alibi is not None:
            i = torch.arange(sq, device=device)[:, None]
            j = torch.arange(sk, device=device)[None, :]
            dist = (i + sk - sq - j).abs().to(s.dtype)
            sl = alibi.to(s.dtype)
            sl = sl[None, :, None, None] if sl.dim() == 1 else sl[:, :, None, None]
            s = s - sl * dist
        return s
    return f


# Helpers of the SDPA-layout tests (test_attention_api.py, test_distributed.py).

def _bhsd(b, h, hk, sq, sk, d, dtype=torch.bfloat16):
    q = torch.randn(b, h, sq, d, device="cuda", dtype=dtype)
    k = torch.randn(b, hk, sk, d, device="cuda", dtype=dtype)
    v = torch.randn(b, hk, sk, d, device="cuda", dtype=dtype)
    return q, k, v


def _grid(b, h, sq, sk):
    bb = torch.arange(b, device="cuda")[:, None, None, None]
    hh = torch.arange(h, device="cuda")[None, :, None, None]
    qq = torch.arange(sq, device="cuda")[None, None, :, None]
    kk = torch.arange(sk, device="cuda")[None, None, None, :]
    return bb, hh, qq, kk


def _check_bhsd(name, fn, q, k, v, mask, score, report, grads=True, scale=None):
    """fn takes and returns SDPA-layout tensors; the reference is BSHD."""
    t = lambda x: x.transpose(1, 2)
    q, k, v = (x.detach().requires_grad_(grads) for x in (q, k, v))
    out = fn(q, k, v)
    ref, _ = reference(t(q.detach().double()), t(k.detach().double()),
                       t(v.detach().double()), mask=mask, score=score, scale=scale)
    low, _ = reference(t(q.detach()), t(k.detach()), t(v.detach()), mask=mask, score=score,
                       dtype=q.dtype, scale=scale)
    assert_close(f"{name} out", t(out), ref, low, report)
    if not grads:
        return
    dout = torch.randn_like(out)
    g = torch.autograd.grad(out, (q, k, v), dout)
    qr, kr, vr = (t(x.detach()).double().requires_grad_() for x in (q, k, v))
    r, _ = reference(qr, kr, vr, mask=mask, score=score, scale=scale)
    rg = torch.autograd.grad(r, (qr, kr, vr), t(dout).double())
    ql, kl, vl = (t(x.detach()).requires_grad_() for x in (q, k, v))
    lo, _ = reference(ql, kl, vl, mask=mask, score=score, dtype=q.dtype, scale=scale)
    lg = torch.autograd.grad(lo, (ql, kl, vl), t(dout))
    for nm, a, b, c in zip(("dq", "dk", "dv"), g, rg, lg):
        assert_close(f"{name} {nm}", t(a), b, c, report)
