"""The context-parallel executor (ring and all-to-all, forward and backward,
both shardings) on the CPU: flashgen's block kernels are replaced by the
float64 formula at the same global positions, so what is tested is the
schedule, the merges by logsumexp, the gradient routing and the
all-to-alls. Needs torch (skipped without it); the GPU suite runs the same
through the real kernels (gpu/test_distributed.py)."""
import math

import pytest

torch = pytest.importorskip("torch")

import flashgen.distributed.api as cp_api  # noqa: E402
from flashgen import ops  # noqa: E402

MASKS = {
    "causal": ("mask = causal;", lambda h, q, k: k <= q),
    "window": ("mask = sliding_window(left = 5, right = 0);", lambda h, q, k: (q - k <= 5) & (k <= q)),
    "head_dependent": ("mask = (q - k) % (h + 2) == 0;", lambda h, q, k: (q - k) % (h + 2) == 0),
    "none": ("", lambda h, q, k: torch.ones_like(q - k, dtype=torch.bool)),
}


def _logits(q, k, pos, mask):
    """Scaled scores [B, H, C, Ck] (float64) of BSHD blocks at positions pos,
    masked with -inf."""
    qo, ko, ho = pos[0], pos[1], pos[2]
    s = torch.einsum("bqhd,bkhd->bhqk", q.double(), k.double()) / math.sqrt(q.shape[-1])
    hh = torch.arange(q.shape[2])[None, :, None, None] + ho
    qq = torch.arange(q.shape[1])[None, None, :, None] + qo
    kk = torch.arange(k.shape[1])[None, None, None, :] + ko
    return s.masked_fill(~mask(hh, qq, kk), float("-inf"))


@pytest.fixture
def fake_kernels(monkeypatch):
    """ops.forward_call / backward_call as float64 torch at global positions."""
    state = {}

    def fwd(q, k, v, text, names, tensors, cu_q, cu_k, mq, mk, seed, o_layout, positions=None):
        s = _logits(q, k, positions, state["mask"])
        lse = torch.logsumexp(s, dim=-1)
        p = torch.nan_to_num(torch.exp(s - lse[..., None]), nan=0.0)
        o = torch.einsum("bhqk,bkhd->bqhd", p, v.double())
        lse = torch.where(torch.isneginf(lse), torch.full_like(lse, float("inf")), lse)
        return o.to(q.dtype), lse.float()

    def bwd(do, q, k, v, o, lse, text, names, tensors, cu_q, cu_k, mq, mk, seed, det,
            positions=None, accumulate=None):
        s = _logits(q, k, positions, state["mask"])
        p = torch.exp(s - lse.double()[..., None])  # lse = +inf: P = 0
        do64, v64 = do.double(), v.double()
        dv = torch.einsum("bhqk,bqhd->bkhd", p, do64)
        dp = torch.einsum("bqhd,bkhd->bhqk", do64, v64)
        dsum = (do64 * o.double()).sum(-1).transpose(1, 2)[..., None]
        ds = p * (dp - dsum) / math.sqrt(q.shape[-1])
        dq = torch.einsum("bhqk,bkhd->bqhd", ds, k.double())
        dk = torch.einsum("bhqk,bqhd->bkhd", ds, q.double())
        if accumulate is not None:  # the kernels' accumulateF32 mode
            for acc, g in zip(accumulate, (dq, dk, dv)):
                assert acc.dtype == torch.float32
                acc.add_(g.float())
            return accumulate
        return dq.to(q.dtype), dk.to(k.dtype), dv.to(v.dtype)

    monkeypatch.setattr(ops, "forward_call", fwd)
    monkeypatch.setattr(ops, "backward_call", bwd)
    monkeypatch.setattr(cp_api, "_check_qkv", lambda *a, **kw: None)
    return state


def _reference(q, k, v, mask):
    """Whole-problem attention in float64, BHSD."""
    t = lambda x: x.transpose(1, 2)
    s = _logits(t(q), t(k), (0, 0, 0), mask)
    lse = torch.logsumexp(s, dim=-1)
    p = torch.nan_to_num(torch.softmax(s, dim=-1), nan=0.0)
    return t(torch.einsum("bhqk,bkhd->bqhd", p, t(v).double())), lse


@pytest.mark.parametrize("method", ["ring", "all2all"])
@pytest.mark.parametrize("sharding", ["zigzag", "contiguous"])
@pytest.mark.parametrize("world", [1, 2, 3, 4])
@pytest.mark.parametrize("mask", list(MASKS))
def test_simulation_equals_whole_attention(fake_kernels, method, sharding, world, mask):
    text, fn = MASKS[mask]
    fake_kernels["mask"] = fn
    torch.manual_seed(world)
    n = 8 * world
    q, k, v = (torch.randn(2, 12, n, 16, dtype=torch.bfloat16, requires_grad=True)
               for _ in range(3))
    spec = "attention a { head_dim = 16; " + text + " }"
    out, lse = cp_api.simulate_context_parallel(q, k, v, spec, world, method=method,
                                                sharding=sharding, return_lse=True)
    q64, k64, v64 = (x.detach().double().requires_grad_() for x in (q, k, v))
    ref, ref_lse = _reference(q64, k64, v64, fn)
    assert (out.double() - ref).abs().max() < 2e-2
    finite = torch.isfinite(ref_lse)
    assert torch.allclose(lse.double()[finite], ref_lse[finite], atol=1e-4)
    assert torch.isposinf(lse[~finite]).all()
    dout = torch.randn_like(out)
    g = torch.autograd.grad(out, (q, k, v), dout)
    rg = torch.autograd.grad(ref, (q64, k64, v64), dout.double())
    for name, a, b in zip(("dq", "dk", "dv"), g, rg):
        err = (a.double() - b).abs().max().item()
        assert err < 5e-2 * max(1.0, b.abs().max().item()), (name, err)


def test_shard_unshard_round_trip():
    x = torch.arange(2 * 3 * 16 * 4).reshape(2, 3, 16, 4)
    for sharding in ("zigzag", "contiguous"):
        parts = [cp_api.shard(x, r, 4, sharding=sharding) for r in range(4)]
        assert torch.equal(cp_api.unshard(parts, sharding=sharding), x)
    z = cp_api.shard(x, 1, 4)  # chunks 1 and 6 of 8
    assert torch.equal(z, torch.cat([x[:, :, 2:4], x[:, :, 12:14]], dim=2))


def test_errors_name_the_argument(fake_kernels):
    fake_kernels["mask"] = MASKS["none"][1]
    q = torch.randn(1, 4, 8, 16, dtype=torch.bfloat16)
    with pytest.raises(Exception, match="method must be one of"):
        cp_api.simulate_context_parallel(q, q, q, "attention a { head_dim = 16; }", 2,
                                         method="tree")
    q12 = torch.randn(1, 4, 12, 16, dtype=torch.bfloat16)
    with pytest.raises(Exception, match="all2all needs heads"):
        cp_api.simulate_context_parallel(q12, q12, q12, "attention a { head_dim = 16; }", 3,
                                         method="all2all", sharding="contiguous")
    with pytest.raises(Exception, match="dropout is not supported"):
        cp_api.simulate_context_parallel(q, q, q, "attention a { head_dim = 16; dropout = 0.1; }",
                                         2)
