"""Context parallelism on one GPU: simulate_context_parallel runs the ring
and all-to-all schedules for P virtual ranks through flashgen's kernels at
global positions (FlashgenPositions), merging by logsumexp; outputs and
gradients must meet flash-attn's criterion against float64 attention over
the whole sequence, for every position-dependent feature (causal, windows,
documents from a tensor, ALiBi per head, custom expressions, prefix LM)
and P = 2..8. Block launches also run alone at offsets (the kernels'
positions against the reference)."""
import pytest
import torch

import flashgen
import flashgen.distributed as fd
from reference import _bhsd, _check_bhsd, _grid, assert_close, reference



def _cases(n, h, dev="cuda"):
    """name -> (spec, tensors, mask over the grid, score transform)."""
    bb, hh, qq, kk = _grid(2, h, n, n)
    doc = torch.cumsum(torch.rand(2, n, device=dev) < 0.02, dim=1).to(torch.int32)
    slopes = (torch.rand(h, device=dev) * 0.1).float()
    doc_spec = ("attention d { head_dim = 64; tensor doc : i32[batch, seq_k]; "
                "mask = causal && doc[b, q] == doc[b, k]; }")
    alibi_spec = ("attention a { head_dim = 64; tensor slopes : f32[heads]; mask = causal; "
                  "score = score + slopes[h] * float(k - q); }")
    return {
        "causal": ("attention c { head_dim = 64; mask = causal; }", None, qq >= kk, None),
        "window": ("attention w { head_dim = 64; mask = sliding_window(left = 100, right = 0); }",
                   None, (qq - kk <= 100) & (qq >= kk), None),
        "documents": (doc_spec, {"doc": doc}, (qq >= kk) & (doc[bb, qq] == doc[bb, kk]), None),
        "alibi": (alibi_spec, {"slopes": slopes}, qq >= kk,
                  lambda s: s + (slopes.double()[hh] * (kk - qq)).to(s.dtype)),
        "dilated_by_head": ("attention x { head_dim = 64; mask = (q - k) % (h + 2) == 0; }", None,
                            (qq - kk) % (hh + 2) == 0, None),
        "prefix_lm": ("attention p { head_dim = 64; mask = k < 50 || k <= q; }", None,
                      (kk < 50) | (kk <= qq), None),
    }


CASES = ["causal", "window", "documents", "alibi", "dilated_by_head", "prefix_lm"]


@pytest.mark.parametrize("method", ["ring", "all2all"])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("world,chunk", [(2, 125), (4, 17), (8, 64)])
def test_simulation_matches_float64(method, case, world, chunk, report):
    h = 8
    n = 2 * world * chunk
    spec, tensors, mask, score = _cases(n, h)[case]
    q, k, v = _bhsd(2, h, h, n, n, 64)

    def fn(q, k, v):
        return fd.simulate_context_parallel(q, k, v, spec, world, method=method,
                                            tensors=tensors)
    _check_bhsd(f"{case} {method} P={world} N={n}", fn, q, k, v, mask, score, report)


@pytest.mark.parametrize("case", ["causal", "window"])
def test_contiguous_sharding_and_gqa(case, report):
    world, n, h, hk = 4, 4 * 250, 8, 4
    spec, tensors, mask, score = _cases(n, h)[case]
    q, k, v = _bhsd(1, h, hk, n, n, 64)
    for method in ("ring", "all2all"):
        _check_bhsd(f"{case} {method} contiguous gqa", lambda q, k, v: fd.simulate_context_parallel(
            q, k, v, spec, world, method=method, sharding="contiguous", tensors=tensors),
            q, k, v, mask, score, report)


def test_one_rank_equals_attention():
    n = 1000
    q, k, v = _bhsd(2, 4, 4, n, n, 64)
    spec = "attention c { head_dim = 64; mask = causal; }"
    a, la = fd.simulate_context_parallel(q, k, v, spec, 1, return_lse=True)
    b, lb = flashgen.attention(q, k, v, spec, return_lse=True)
    assert (a.float() - b.float()).abs().max().item() <= 1e-2
    assert torch.allclose(la, lb, atol=1e-4, rtol=0)


@pytest.mark.parametrize("qo,ko", [(0, 0), (1000, 0), (17, 4097), (4097, 17)])
def test_block_launch_at_offsets(qo, ko, report):
    """One launch over query rows [qo, qo + 300) and keys [ko, ko + 500) of
    a whole 5000-position problem: causal + ALiBi per head (heads 4..7 of 8)
    see global rows, keys and heads."""
    from flashgen import ops
    whole, h, h0 = 5000, 4, 4
    slopes = torch.rand(8, device="cuda") * 0.1
    spec = ("attention a { head_dim = 64; tensor slopes : f32[heads]; mask = causal; "
            "score = score + slopes[h] * float(k - q); }")
    q, k, v = _bhsd(1, h, h, 300, 500, 64)
    t = lambda x: x.transpose(1, 2)
    out, lse = ops.forward_call(t(q), t(k), t(v), spec, "slopes", [slopes], None, None, 300, 500,
                                None, ops.O_BSHD, positions=(qo, ko, h0, whole, whole, 8))
    bb, hh, qq, kk = _grid(1, h, 300, 500)
    mask = (qq + qo) >= (kk + ko)
    score = lambda s: s + (slopes.double()[hh + h0] * ((kk + ko) - (qq + qo))).to(s.dtype)
    ref, ref_lse = reference(t(q).double(), t(k).double(), t(v).double(), mask=mask, score=score)
    low, _ = reference(t(q), t(k), t(v), mask=mask, score=score, dtype=q.dtype)
    assert_close(f"offsets {qo},{ko} out", out, ref, low, report)
    finite = torch.isfinite(ref_lse)
    assert torch.allclose(lse.double()[finite], ref_lse[finite], atol=1e-3)
    assert torch.isposinf(lse[~finite]).all()


def test_backward_accumulates_in_fp32():
    """accumulate=(dq, dk, dv) adds the gradients to fp32 sums: twice the
    same launch gives twice one launch's fp32 gradients, which round to the
    plain launch's."""
    from flashgen import ops
    spec = "attention c { head_dim = 64; mask = causal; }"
    q, k, v = (x.transpose(1, 2) for x in _bhsd(2, 4, 2, 333, 333, 64))
    out, lse = ops.forward_call(q, k, v, spec, "", [], None, None, 333, 333, None, ops.O_BSHD)
    do = torch.randn_like(out)
    plain = ops.backward_call(do, q, k, v, out, lse, spec, "", [], None, None, 333, 333, None,
                              False)
    acc = tuple(torch.full(x.shape, 0.5, device="cuda") for x in (q, k, v))
    for _ in range(2):
        ops.backward_call(do, q, k, v, out, lse, spec, "", [], None, None, 333, 333, None, False,
                          accumulate=acc)
    for name, a, p in zip(("dq", "dk", "dv"), acc, plain):
        one = (a - 0.5) / 2
        assert one.dtype == torch.float32
        tol = 1e-2 * p.float().abs().max().item()
        assert (one.to(p.dtype).float() - p.float()).abs().max().item() <= tol, name
    with pytest.raises(flashgen.ArgumentError, match="accumulate dk must be fp32"):
        ops.backward_call(do, q, k, v, out, lse, spec, "", [], None, None, 333, 333, None, False,
                          accumulate=(acc[0], acc[1].half(), acc[2]))


def test_positions_errors():
    from flashgen import ops
    q, k, v = _bhsd(1, 4, 4, 64, 64, 64)
    t = lambda x: x.transpose(1, 2)
    with pytest.raises(flashgen.ArgumentError, match="positions.qOffset 32 \\+ seqQ 64 exceeds"):
        ops.forward_call(t(q), t(k), t(v), "attention c { head_dim = 64; mask = causal; }", "",
                         [], None, None, 64, 64, None, ops.O_BSHD,
                         positions=(32, 0, 0, 64, 64, 4))
