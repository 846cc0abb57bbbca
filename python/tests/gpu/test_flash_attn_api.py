"""flash-attn 2.x drop-ins on the GPU: outputs, logsumexp and gradients against
float64, for every option flash-attn has (causal both alignments, windows,
softcap, ALiBi, dropout, GQA/MQA, varlen, packed forms, odd lengths, head
dims 32..256, fp16/bf16), with flash-attn's own pass criterion."""
import math

import pytest
import torch

import flashgen
from flashgen import (flash_attn_func, flash_attn_kvpacked_func, flash_attn_qkvpacked_func,
                      flash_attn_varlen_func, flash_attn_varlen_kvpacked_func,
                      flash_attn_varlen_qkvpacked_func)
from reference import assert_close, fa_mask, fa_score, reference, varlen_reference

DEV = "cuda"


def _inputs(b, sq, sk, h, hk, d, dtype, dv=None):
    q = torch.randn(b, sq, h, d, device=DEV, dtype=dtype)
    k = torch.randn(b, sk, hk, d, device=DEV, dtype=dtype)
    v = torch.randn(b, sk, hk, dv or d, device=DEV, dtype=dtype)
    return q, k, v


def _check(name, fn, q, k, v, mask, score, report, grads=True, keep=None, p=0.0,
           lse=None, scale=None):
    """Runs fn(q, k, v) -> out, compares out (and lse, dq, dk, dv) with float64."""
    q, k, v = (t.detach().requires_grad_(grads) for t in (q, k, v))
    out = fn(q, k, v)
    kw = dict(mask=mask, score=score, keep=keep, dropout_p=p, scale=scale)
    qr, kr, vr = (t.detach().requires_grad_(grads) for t in (q, k, v))
    ref, ref_lse = reference(qr, kr, vr, **kw)
    low, _ = reference(q.detach(), k.detach(), v.detach(), dtype=q.dtype, **kw)
    assert_close(f"{name} out", out, ref, low, report)
    if lse is not None:
        finite = torch.isfinite(ref_lse)
        assert torch.equal(torch.isfinite(lse), finite), f"{name}: lse finiteness differs"
        err = (lse[finite].double() - ref_lse[finite]).abs().max().item() if finite.any() else 0
        report.append((f"{name} lse", err, 0.0))
        assert err < 1e-2, f"{name}: lse error {err}"
    if not grads:
        return
    dout = torch.randn_like(out)
    dq, dk, dv = torch.autograd.grad(out, (q, k, v), dout)
    rq, rk, rv = torch.autograd.grad(ref, (qr, kr, vr), dout.double())
    ql, kl, vl = (t.detach().requires_grad_() for t in (q, k, v))
    lo, _ = reference(ql, kl, vl, dtype=q.dtype, **kw)
    lq, lk, lv = torch.autograd.grad(lo, (ql, kl, vl), dout)
    for nm, g, r, l in (("dq", dq, rq, lq), ("dk", dk, rk, lk), ("dv", dv, rv, lv)):
        assert_close(f"{name} {nm}", g, r, l, report)


SIZES = [(1, 1), (17, 17), (113, 203), (203, 113), (1000, 1000), (4097, 4097)]


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bf16", "fp16"])
@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("sq,sk", SIZES, ids=[f"{a}x{b}" for a, b in SIZES])
def test_func_sizes(sq, sk, causal, dtype, report):
    b, h = (1, 2) if sq > 2000 else (2, 3)
    q, k, v = _inputs(b, sq, sk, h, h, 64, dtype)
    mask = fa_mask(sq, sk, causal, (-1, -1), DEV)
    _check(f"{sq}x{sk}", lambda q, k, v: flash_attn_func(q, k, v, causal=causal), q, k, v,
           mask, None, report)
    # The logsumexp, through return_attn_probs (which also checks P).
    if sq * sk <= 1000 * 1000:
        out, lse, probs = flash_attn_func(q, k, v, causal=causal, return_attn_probs=True)
        _, ref_lse = reference(q, k, v, mask=mask)
        finite = torch.isfinite(ref_lse)
        assert torch.equal(torch.isfinite(lse), finite)
        if finite.any():
            assert (lse[finite].double() - ref_lse[finite]).abs().max() < 1e-2
        s = torch.einsum("bqhd,bkhd->bhqk", q.double(), k.double()) / math.sqrt(64)
        p = torch.softmax(s.masked_fill(~mask, float("-inf")), -1).nan_to_num(0.0)
        assert (probs.double() - p).abs().max() < 2e-2


@pytest.mark.parametrize("d", [32, 40, 64, 96, 128, 160, 192, 256])
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bf16", "fp16"])
def test_head_dims(d, dtype, report):
    q, k, v = _inputs(2, 257, 300, 4, 4, d, dtype)
    mask = fa_mask(257, 300, True, (-1, -1), DEV)
    _check(f"d{d}", lambda q, k, v: flash_attn_func(q, k, v, causal=True), q, k, v, mask, None,
           report)


WINDOWS = [(16, 0), (64, 32), (-1, 10), (100, -1), (0, 0)]


@pytest.mark.parametrize("window", WINDOWS, ids=[f"w{l}_{r}" for l, r in WINDOWS])
@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("sq,sk", [(300, 300), (150, 401)], ids=["square", "rect"])
def test_windows(window, causal, sq, sk, report):
    q, k, v = _inputs(2, sq, sk, 4, 2, 64, torch.bfloat16)
    mask = fa_mask(sq, sk, causal, window, DEV)
    _check(f"window{window}", lambda q, k, v: flash_attn_func(
        q, k, v, causal=causal, window_size=window), q, k, v, mask, None, report)


@pytest.mark.parametrize("alibi_shape", [None, "h", "bh"])
@pytest.mark.parametrize("softcap", [0.0, 30.0])
@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_softcap_alibi(alibi_shape, softcap, causal, report):
    b, sq, sk, h = 2, 211, 333, 4
    q, k, v = _inputs(b, sq, sk, h, h, 128, torch.bfloat16)
    q = q * 3  # scores large enough for the softcap to matter
    alibi = None
    if alibi_shape == "h":
        alibi = torch.rand(h, device=DEV) * 0.3
    elif alibi_shape == "bh":
        alibi = torch.rand(b, h, device=DEV) * 0.3
    mask = fa_mask(sq, sk, causal, (-1, -1), DEV)
    score = fa_score(sq, sk, softcap, alibi, DEV)
    _check(f"softcap{softcap} alibi{alibi_shape}", lambda q, k, v: flash_attn_func(
        q, k, v, causal=causal, softcap=softcap, alibi_slopes=alibi), q, k, v, mask, score,
        report)


@pytest.mark.parametrize("h,hk", [(8, 2), (8, 1), (6, 6)], ids=["gqa", "mqa", "mha"])
def test_gqa(h, hk, report):
    q, k, v = _inputs(2, 500, 700, h, hk, 64, torch.float16)
    mask = fa_mask(500, 700, True, (-1, -1), DEV)
    _check(f"{h}/{hk}", lambda q, k, v: flash_attn_func(q, k, v, causal=True), q, k, v, mask,
           None, report)


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_dropout(causal, report):
    """Dropout: the keep rate, and out/gradients equal the reference computed
    with the kernel's own keep mask (read off return_attn_probs)."""
    p = 0.17
    b, sq, sk, h = 2, 300, 300, 4
    q, k, v = _inputs(b, sq, sk, h, h, 64, torch.bfloat16)
    torch.manual_seed(1234)
    out, lse, probs = flash_attn_func(q, k, v, dropout_p=p, causal=causal,
                                      return_attn_probs=True)
    mask = fa_mask(sq, sk, causal, (-1, -1), DEV)
    attended = mask.expand(b, h, sq, sk) & (probs != 0)
    keep = probs >= 0
    rate = (keep & attended).sum().item() / attended.sum().item()
    report.append(("keep rate", abs(rate - (1 - p)), 0.0))
    assert abs(rate - (1 - p)) < 0.01, f"keep rate {rate}, expected {1 - p}"
    # The same seed again (torch.manual_seed drives the dropout stream).
    torch.manual_seed(1234)
    _check("dropout", lambda q, k, v: flash_attn_func(q, k, v, dropout_p=p, causal=causal),
           q, k, v, mask, None, report, keep=keep, p=p)


def _cu(lens):
    return torch.tensor([0] + list(torch.tensor(lens).cumsum(0)), dtype=torch.int32,
                        device=DEV)


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("window", [(-1, -1), (32, 8)], ids=["nowin", "win"])
def test_varlen(causal, window, report):
    lq, lk = [1, 17, 300, 64, 129], [1, 40, 300, 17, 255]
    h, hk, d = 4, 2, 64
    cq, ck = _cu(lq), _cu(lk)
    q = torch.randn(sum(lq), h, d, device=DEV, dtype=torch.bfloat16, requires_grad=True)
    k = torch.randn(sum(lk), hk, d, device=DEV, dtype=torch.bfloat16, requires_grad=True)
    v = torch.randn(sum(lk), hk, d, device=DEV, dtype=torch.bfloat16, requires_grad=True)
    out, lse, _ = flash_attn_varlen_func(q, k, v, cq, ck, max(lq), max(lk), causal=causal,
                                         window_size=window, return_attn_probs=False), None, None
    kw = {"kw": lambda a, b: {"mask": fa_mask(a, b, causal, window, DEV)}}
    ref, _ = varlen_reference(q.detach(), k.detach(), v.detach(), cq, ck, **kw)
    low, _ = varlen_reference(q.detach(), k.detach(), v.detach(), cq, ck, dtype=q.dtype, **kw)
    assert_close("varlen out", out, ref, low, report)
    dout = torch.randn_like(out)
    g = torch.autograd.grad(out, (q, k, v), dout)
    qr, kr, vr = (t.detach().double().requires_grad_() for t in (q, k, v))
    r, _ = varlen_reference(qr, kr, vr, cq, ck, **kw)
    rg = torch.autograd.grad(r, (qr, kr, vr), dout.double())
    ql, kl, vl = (t.detach().requires_grad_() for t in (q, k, v))
    lo, _ = varlen_reference(ql, kl, vl, cq, ck, dtype=q.dtype, **kw)
    lg = torch.autograd.grad(lo, (ql, kl, vl), dout)
    for nm, a, b_, c in zip(("dq", "dk", "dv"), g, rg, lg):
        assert_close(f"varlen {nm}", a, b_, c, report)


@pytest.mark.parametrize("p", [0.0, 0.2], ids=["nodrop", "dropout"])
def test_varlen_attn_probs(p):
    """return_attn_probs with varlen inputs: [B, H, max_q, max_k], P of each
    sequence (dropped entries negated), zero past each sequence's end."""
    lq, lk = [3, 70, 300], [5, 300, 40]
    h, d = 2, 64
    cq, ck = _cu(lq), _cu(lk)
    q = torch.randn(sum(lq), h, d, device=DEV, dtype=torch.bfloat16)
    k = torch.randn(sum(lk), h, d, device=DEV, dtype=torch.bfloat16)
    v = torch.randn(sum(lk), h, d, device=DEV, dtype=torch.bfloat16)
    out, lse, probs = flash_attn_varlen_func(q, k, v, cq, ck, max(lq), max(lk), dropout_p=p,
                                             causal=True, return_attn_probs=True)
    assert probs.shape == (3, h, max(lq), max(lk))
    for i in range(3):
        a, e, ka, ke = int(cq[i]), int(cq[i + 1]), int(ck[i]), int(ck[i + 1])
        m = fa_mask(e - a, ke - ka, True, (-1, -1), DEV)
        s = torch.einsum("qhd,khd->hqk", q[a:e].double(), k[ka:ke].double()) / math.sqrt(d)
        ref = torch.softmax(s.masked_fill(~m, float("-inf")), -1).nan_to_num(0.0)
        got = probs[i, :, :e - a, :ke - ka].double()
        assert (got.abs() - ref).abs().max() < 2e-2
        assert probs[i, :, e - a:].abs().max() == 0 if e - a < max(lq) else True
        if p == 0:
            assert (got >= 0).all()
        else:  # output = (P with the kept mask) V, the mask read off the probabilities
            keep = got >= 0
            o = torch.einsum("hqk,khd->qhd", ref * keep / (1 - p), v[ka:ke].double())
            assert (out[a:e].double() - o).abs().max() < 5e-2


def test_packed_forms(report):
    b, s, h, d = 2, 333, 4, 64
    qkv = torch.randn(b, s, 3, h, d, device=DEV, dtype=torch.bfloat16)
    q, k, v = qkv.unbind(2)
    mask = fa_mask(s, s, True, (-1, -1), DEV)
    ref, _ = reference(q, k, v, mask=mask)
    low, _ = reference(q, k, v, mask=mask, dtype=q.dtype)
    assert_close("qkvpacked", flash_attn_qkvpacked_func(qkv, causal=True), ref, low, report)
    kv = torch.stack([k, v], 2)
    assert_close("kvpacked", flash_attn_kvpacked_func(q, kv, causal=True), ref, low, report)
    # Gradients flow back into the packed tensor.
    qkv.requires_grad_()
    out = flash_attn_qkvpacked_func(qkv, causal=True)
    (g,) = torch.autograd.grad(out.float().sum(), qkv)
    assert g.shape == qkv.shape and torch.isfinite(g).all()
    # varlen packed
    lens = [5, 100, 228]
    cu = _cu(lens)
    t = sum(lens)
    qkv_v = torch.randn(t, 3, h, d, device=DEV, dtype=torch.float16)
    out = flash_attn_varlen_qkvpacked_func(qkv_v, cu, max(lens), causal=True)
    qv, kvv, vv = qkv_v.unbind(1)
    kw = {"kw": lambda a, b_: {"mask": fa_mask(a, b_, True, (-1, -1), DEV)}}
    ref, _ = varlen_reference(qv, kvv, vv, cu, cu, **kw)
    low, _ = varlen_reference(qv, kvv, vv, cu, cu, dtype=qv.dtype, **kw)
    assert_close("varlen qkvpacked", out, ref, low, report)
    out = flash_attn_varlen_kvpacked_func(qv, torch.stack([kvv, vv], 1), cu, cu, max(lens),
                                          max(lens), causal=True)
    assert_close("varlen kvpacked", out, ref, low, report)


def test_strided_inputs_read_in_place():
    """Views with a unit last stride are handed to the kernels as they are."""
    from flashgen import ops
    base = torch.randn(2, 100, 3, 4, 64, device=DEV, dtype=torch.bfloat16)
    q = base[:, :, 0]
    assert ops._usable(q) is q
    t = torch.randn(2, 4, 100, 64, device=DEV, dtype=torch.bfloat16).transpose(1, 2)
    assert ops._usable(t) is t
    odd = torch.randn(2, 100, 4, 72, device=DEV, dtype=torch.bfloat16)[..., :64]
    assert ops._usable(odd) is odd  # row stride 288: a multiple of 8 elements
    bad = torch.randn(2, 100, 4, 64, device=DEV, dtype=torch.bfloat16).transpose(-1, -2)
    assert ops._usable(bad) is not bad


def test_deterministic_bit_identical():
    q, k, v = _inputs(2, 1000, 1000, 4, 4, 64, torch.bfloat16)
    grads = []
    for _ in range(2):
        qq, kk, vv = (t.detach().requires_grad_() for t in (q, k, v))
        out = flash_attn_func(qq, kk, vv, causal=True, deterministic=True)
        grads.append(torch.autograd.grad(out, (qq, kk, vv), torch.ones_like(out)))
    for a, b in zip(*grads):
        assert torch.equal(a, b)


def test_bad_arguments():
    q, k, v = _inputs(1, 16, 16, 2, 2, 64, torch.bfloat16)
    with pytest.raises(flashgen.ArgumentError, match="'q' must have 4 dimensions"):
        flash_attn_func(q[0], k, v)
    with pytest.raises(flashgen.ArgumentError, match="dtype torch.float32"):
        flash_attn_func(q.float(), k, v)
    with pytest.raises(flashgen.ArgumentError, match="is on cpu"):
        flash_attn_func(q.cpu(), k, v)
    with pytest.raises(flashgen.ArgumentError, match="must divide"):
        flash_attn_func(torch.randn(1, 16, 3, 64, device=DEV, dtype=torch.bfloat16), k, v)
    with pytest.raises(flashgen.ArgumentError, match="head dims must be multiples of 8"):
        flash_attn_func(*_inputs(1, 16, 16, 2, 2, 12, torch.bfloat16))
    with pytest.raises(flashgen.ArgumentError, match="head dims must be multiples of 8"):
        flash_attn_func(*_inputs(1, 16, 16, 2, 2, 264, torch.bfloat16))
    with pytest.raises(flashgen.ArgumentError, match="alibi_slopes must have shape"):
        flash_attn_func(q, k, v, alibi_slopes=torch.ones(3, device=DEV))
    with pytest.raises(flashgen.ArgumentError, match="dropout_p"):
        flash_attn_func(q, k, v, dropout_p=1.5)
    with pytest.raises(flashgen.ArgumentError, match="cu_seqlens_q must be a 1-D torch.int32"):
        flash_attn_varlen_func(q[0], k[0], v[0], torch.tensor([0, 16], device=DEV),
                               _cu([16]), 16, 16)
