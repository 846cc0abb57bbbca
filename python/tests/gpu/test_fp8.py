"""fp8 (e4m3) inputs from PyTorch: flashgen.attention on torch.float8_e4m3fn
q, k, v with per-tensor descale factors, bf16 output, forward only (sm_90a,
head dim 128)."""
import pytest
import torch

import flashgen
from reference import assert_close, reference

pytestmark = pytest.mark.skipif(
    torch.cuda.get_device_capability() < (9, 0), reason="fp8 runs on sm_90a")

DESCALE = (0.5, 0.25, 2.0)  # q, k, v: powers of two keep the values exact


def causal(b, h, q_idx, kv_idx):
    return q_idx >= kv_idx


def _fp8_inputs(b, h, hk, sq, sk, d=128, dv=128):
    """BHSD fp8 tensors and their exact values (fp8 x descale) in float64."""
    out = []
    for shape, s in (((b, h, sq, d), DESCALE[0]), ((b, hk, sk, d), DESCALE[1]),
                     ((b, hk, sk, dv), DESCALE[2])):
        x8 = (torch.randn(shape, device="cuda") / s).to(torch.float8_e4m3fn)
        out.append((x8, x8.double() * s))
    return out


def _emulated(q, k, v, mask):
    """The same formula with P rounded to e4m3 on its way to the P V product
    (FlashAttention-3's fp8 path): the error fp8 itself allows."""
    t = lambda x: x.transpose(1, 2)
    s = torch.einsum("bqhd,bkhd->bhqk", t(q).float(),
                     t(k).float().repeat_interleave(q.shape[1] // k.shape[1], dim=2))
    s = s / q.shape[-1] ** 0.5
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    m = s.amax(-1, keepdim=True).clamp_min(-1e30)
    p = torch.exp(s - m)
    l = p.sum(-1, keepdim=True)
    p8 = p.to(torch.float8_e4m3fn).float()
    vv = t(v).float().repeat_interleave(q.shape[1] // k.shape[1], dim=2)
    o = torch.einsum("bhqk,bkhd->bqhd", p8, vv) / l.transpose(1, 2)
    return t(o).to(torch.bfloat16)


@pytest.mark.parametrize("is_causal", [False, True])
@pytest.mark.parametrize("b,h,hk,sq,sk", [(2, 4, 4, 1000, 1000), (1, 8, 2, 17, 4097),
                                         (1, 2, 2, 1, 1)])
def test_fp8_matches_float64(report, is_causal, b, h, hk, sq, sk):
    causal_ = is_causal
    (q8, q), (k8, k), (v8, v) = _fp8_inputs(b, h, hk, sq, sk)
    spec = flashgen.Spec(mask_mod=causal) if causal_ else flashgen.Spec()
    out = flashgen.attention(q8, k8, v8, spec, q_descale=DESCALE[0], k_descale=DESCALE[1],
                             v_descale=DESCALE[2])
    assert out.dtype == torch.bfloat16 and out.shape == (b, h, sq, 128)
    t = lambda x: x.transpose(1, 2)
    mask = None
    if causal_:
        i = torch.arange(sq, device="cuda")[:, None]
        j = torch.arange(sk, device="cuda")[None, :]
        mask = (j <= i)[None, None]
    ref, _ = reference(t(q), t(k), t(v), mask=mask)
    low = t(_emulated(q, k, v, mask))
    assert_close(f"fp8 {b}x{h}/{hk}x{sq}x{sk} causal={causal_}", t(out), ref, low, report,
                 atol=1e-3)


def test_fp8_errors_name_the_problem():
    (q8, _), (k8, _), (v8, _) = _fp8_inputs(1, 2, 2, 16, 16)
    with pytest.raises(flashgen.ArgumentError, match="the spec's dtype is bf16, but q is"):
        flashgen.attention(q8, k8, v8, "attention a { dtype = bf16; head_dim = 128; }")
    with pytest.raises(flashgen.ArgumentError, match="apply to torch.float8_e4m3fn inputs"):
        flashgen.attention(q8.bfloat16(), k8.bfloat16(), v8.bfloat16(), flashgen.Spec(),
                           q_descale=2.0)
    wants_grad = q8.float().requires_grad_().to(torch.float8_e4m3fn)
    if wants_grad.requires_grad:  # (if torch lets an fp8 tensor want one)
        with pytest.raises(flashgen.ArgumentError, match="fp8 inputs have a forward only"):
            flashgen.attention(wants_grad, k8, v8, flashgen.Spec())
    (q64, _), (k64, _), (v64, _) = _fp8_inputs(1, 2, 2, 16, 16, d=64, dv=64)
    with pytest.raises(flashgen.FlashgenError, match="fp8 inputs take a Q/K head dim of 128"):
        flashgen.attention(q64, k64, v64, flashgen.Spec())


def test_fp8_under_torch_compile():
    (q8, q), (k8, k), (v8, v) = _fp8_inputs(1, 4, 4, 256, 256)
    f = torch.compile(lambda a, b, c: flashgen.attention(
        a, b, c, flashgen.Spec(), q_descale=DESCALE[0], k_descale=DESCALE[1],
        v_descale=DESCALE[2]), fullgraph=True)
    eager = flashgen.attention(q8, k8, v8, flashgen.Spec(), q_descale=DESCALE[0],
                               k_descale=DESCALE[1], v_descale=DESCALE[2])
    assert torch.equal(f(q8, k8, v8), eager)
