"""Sizes past 2**31 elements: q, k, v, o, dO and the gradients each hold
more elements than a 32-bit offset reaches (and the backward's fp32 dQ
accumulator four times that in bytes). Checked on slices, forward and
backward: the (batch, head) pairs at the start, the middle and the end
(offsets past 2**31), each against the float64 formula on that slice alone,
with flash-attn's criterion. Needs ~60 GB of GPU memory; skipped on a
smaller GPU, saying so."""
import pytest
import torch

import flashgen
from reference import assert_close, reference

# 1024 x 128 x 136 x 128 = 2.28e9 elements per tensor (> 2**31 = 2.15e9).
B, H, N, D = 1024, 128, 136, 128
SLICES = [(0, 0), (B // 2, 61), (B - 1, H - 1)]


def test_past_2_31_elements(report):
    free, _ = torch.cuda.mem_get_info()
    if free < 64 * 2**30:
        pytest.skip(f"needs ~64 GiB of free GPU memory, {free / 2**30:.0f} GiB free")
    assert B * H * N * D > 2**31
    q, k, v = (torch.randn(B, H, N, D, device="cuda", dtype=torch.bfloat16).requires_grad_()
               for _ in range(3))
    out = flashgen.attention(q, k, v, flashgen.Spec(causal=True))
    dout = torch.randn_like(out)
    out.backward(dout)
    mask = torch.ones(N, N, dtype=torch.bool, device="cuda").tril()
    for b, h in SLICES:
        # BSHD slices [1, N, 1, D] of this (batch, head).
        sl = lambda x: x.detach()[b, h][None, :, None, :]
        ref, _ = reference(sl(q).double(), sl(k).double(), sl(v).double(), mask=mask)
        low, _ = reference(sl(q), sl(k), sl(v), mask=mask, dtype=torch.bfloat16)
        assert_close(f"out b={b} h={h}", sl(out), ref, low, report)
        grads64 = [sl(x).double().requires_grad_() for x in (q, k, v)]
        r64, _ = reference(*grads64, mask=mask)
        g64 = torch.autograd.grad(r64, grads64, sl(dout).double())
        grads_low = [sl(x).requires_grad_() for x in (q, k, v)]
        rl, _ = reference(*grads_low, mask=mask, dtype=torch.bfloat16)
        gl = torch.autograd.grad(rl, grads_low, sl(dout))
        for name, x, r, l in zip(("dq", "dk", "dv"), (q, k, v), g64, gl):
            assert_close(f"{name} b={b} h={h}", x.grad[b, h][None, :, None, :], r, l, report)
