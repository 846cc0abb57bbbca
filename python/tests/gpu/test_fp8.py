"""fp8 (e4m3) inputs from PyTorch: flashgen.attention on torch.float8_e4m3fn
q, k, v with per-tensor descale factors, bf16 output, forward only (sm_90a,
head dim 128)."""
import pytest
import torch

import flashgen
from reference import assert_close, fp8_emulated, fp8_values, reference

pytestmark = pytest.mark.skipif(
    torch.cuda.get_device_capability() < (9, 0), reason="fp8 runs on sm_90a")

DESCALE = (0.5, 0.25, 2.0)  # q, k, v: powers of two keep the values exact


def causal(b, h, q_idx, kv_idx):
    return q_idx >= kv_idx


def _fp8_inputs(b, h, hk, sq, sk, d=128, dv=128):
    """BHSD fp8 tensors and their exact values (fp8 x descale) in float64."""
    return [fp8_values(shape, s) for shape, s in (((b, h, sq, d), DESCALE[0]),
                                                  ((b, hk, sk, d), DESCALE[1]),
                                                  ((b, hk, sk, dv), DESCALE[2]))]


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
    low = fp8_emulated(t(q), t(k), t(v), mask)
    assert_close(f"fp8 {b}x{h}/{hk}x{sq}x{sk} causal={causal_}", t(out), ref, low, report,
                 atol=1e-3)


def test_fp8_errors_name_the_problem():
    (q8, _), (k8, _), (v8, _) = _fp8_inputs(1, 2, 2, 16, 16)
    with pytest.raises(flashgen.ArgumentError, match="the spec's dtype is bf16, but q is"):
        flashgen.attention(q8, k8, v8, "attention a { dtype = bf16; head_dim = 128; }")
    with pytest.raises(flashgen.ArgumentError, match="q_descale applies to torch.float8_e4m3fn inputs"):
        flashgen.attention(q8.bfloat16(), k8.bfloat16(), v8.bfloat16(), flashgen.Spec(),
                           q_descale=2.0)
    wants_grad = q8.float().requires_grad_().to(torch.float8_e4m3fn)
    if wants_grad.requires_grad:  # (if torch lets an fp8 tensor want one)
        with pytest.raises(flashgen.ArgumentError, match="fp8 inputs have a forward only"):
            flashgen.attention(wants_grad, k8, v8, flashgen.Spec())
    (q64, _), (k64, _), (v64, _) = _fp8_inputs(1, 2, 2, 16, 16, d=64, dv=64)
    with pytest.raises(flashgen.FlashgenError, match="fp8 inputs take a Q/K head dim of 128"):
        flashgen.attention(q64, k64, v64, flashgen.Spec())


@pytest.mark.parametrize("b,h,hk,sq,sk", [(2, 8, 2, 1000, 1000), (3, 4, 4, 17, 333)])
def test_fp8_per_head_descale(report, b, h, hk, sq, sk):
    """Descale tensors [B, Hkv] (FlashAttention-3's shape; K's broadcast
    from [1, Hkv]), every factor different: against float64 on the exact
    values."""
    gen = torch.Generator(device="cuda").manual_seed(11)
    factor = lambda *shape: 0.25 + 3.75 * torch.rand(*shape, device="cuda", generator=gen)
    qd, kd, vd = factor(b, hk), factor(1, hk), factor(b, hk)
    q8, q = fp8_values((b, h, sq, 128), qd.repeat_interleave(h // hk, dim=1)[:, :, None, None])
    k8, k = fp8_values((b, hk, sk, 128), kd[:, :, None, None])
    v8, v = fp8_values((b, hk, sk, 128), vd[:, :, None, None])
    out = flashgen.attention(q8, k8, v8, flashgen.Spec(mask_mod=causal), q_descale=qd,
                             k_descale=kd, v_descale=vd)
    t = lambda x: x.transpose(1, 2)
    i = torch.arange(sq, device="cuda")[:, None]
    mask = (torch.arange(sk, device="cuda")[None, :] <= i)[None, None]
    ref, _ = reference(t(q), t(k), t(v), mask=mask)
    low = fp8_emulated(t(q), t(k), t(v), mask)
    assert_close(f"fp8 per-head descale {b}x{h}/{hk}x{sq}x{sk}", t(out), ref, low, report,
                 atol=1e-3)


def test_fp8_under_torch_compile():
    (q8, q), (k8, k), (v8, v) = _fp8_inputs(1, 4, 4, 256, 256)
    f = torch.compile(lambda a, b, c: flashgen.attention(
        a, b, c, flashgen.Spec(), q_descale=DESCALE[0], k_descale=DESCALE[1],
        v_descale=DESCALE[2]), fullgraph=True)
    eager = flashgen.attention(q8, k8, v8, flashgen.Spec(), q_descale=DESCALE[0],
                               k_descale=DESCALE[1], v_descale=DESCALE[2])
    assert torch.equal(f(q8, k8, v8), eager)
    # Per-head factors through the operator too.
    qd = torch.full((1, 4), DESCALE[0], device="cuda")
    g = torch.compile(lambda a, b, c, s: flashgen.attention(
        a, b, c, flashgen.Spec(), q_descale=s, k_descale=DESCALE[1], v_descale=DESCALE[2]),
        fullgraph=True)
    assert torch.equal(g(q8, k8, v8, qd), eager)
