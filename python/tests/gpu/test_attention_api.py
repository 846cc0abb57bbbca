"""flashgen.attention on the GPU: specs as text, paths and Spec keywords; Flex-style
mask_mod/score_mod functions traced into specs; torch.compile(fullgraph=True)
and CUDA graph capture; devices and errors."""
import math
import pathlib

import pytest
import torch

import flashgen
from reference import _bhsd, _check_bhsd, _grid, assert_close, reference

DEV = "cuda"
ROOT = pathlib.Path(__file__).resolve().parents[3]


def causal(b, h, q_idx, kv_idx):
    return q_idx >= kv_idx


def sliding_window(b, h, q_idx, kv_idx):
    return (q_idx - kv_idx <= 64) & (q_idx >= kv_idx)


def prefix_lm(b, h, q_idx, kv_idx):
    return (kv_idx <= 100) | (q_idx >= kv_idx)


def dilated(b, h, q_idx, kv_idx):
    return (q_idx - kv_idx) % 4 == 0


MASKS = {
    "causal": (causal, lambda b, h, q, k: q >= k),
    "sliding_window": (sliding_window, lambda b, h, q, k: (q - k <= 64) & (q >= k)),
    "prefix_lm": (prefix_lm, lambda b, h, q, k: (k <= 100) | (q >= k)),
    "dilated": (dilated, lambda b, h, q, k: (q - k) % 4 == 0),
}


@pytest.mark.parametrize("name", list(MASKS))
@pytest.mark.parametrize("n", [17, 1000])
def test_mask_mods(name, n, report):
    fn, ref_mask = MASKS[name]
    q, k, v = _bhsd(2, 4, 4, n, n, 64)
    mask = ref_mask(*_grid(2, 4, n, n))
    spec = flashgen.Spec(mask_mod=fn)
    _check_bhsd(name, lambda q, k, v: flashgen.attention(q, k, v, spec), q, k, v, mask, None,
                report)


def test_document_mask_from_tensor(report):
    n = 777
    doc = torch.cumsum(torch.rand(2, n, device=DEV) < 0.01, dim=1).to(torch.int32)

    def doc_mask(b, h, q_idx, kv_idx):
        return (q_idx >= kv_idx) & (doc[b, q_idx] == doc[b, kv_idx])

    q, k, v = _bhsd(2, 4, 2, n, n, 128)
    bb, hh, qq, kk = _grid(2, 4, n, n)
    mask = (qq >= kk) & (doc[bb, qq] == doc[bb, kk])
    spec = flashgen.Spec(mask_mod=doc_mask)
    _check_bhsd("documents", lambda q, k, v: flashgen.attention(q, k, v, spec), q, k, v, mask,
                None, report)


def test_score_mods(report):
    n, h = 300, 4
    slopes = torch.rand(h, device=DEV) * 0.2
    bias = torch.randn(h, 2 * n - 1, device=DEV) * 0.5

    def alibi(score, b, h, q_idx, kv_idx):
        return score + slopes[h] * (kv_idx - q_idx)

    def rel_bias(score, b, h, q_idx, kv_idx):
        return score + bias[h, q_idx - kv_idx + n - 1]

    def softcap(score, b, h, q_idx, kv_idx):
        return 20.0 * torch.tanh(score / 20.0)

    q, k, v = _bhsd(2, h, h, n, n, 64)
    bb, hh, qq, kk = _grid(2, h, n, n)
    refs = {
        "alibi": (alibi, lambda s: s + (slopes.double()[hh] * (kk - qq)).to(s.dtype)),
        "rel_bias": (rel_bias, lambda s: s + bias.double()[hh, qq - kk + n - 1].to(s.dtype)),
        "softcap": (softcap, lambda s: 20.0 * torch.tanh(s / 20.0)),
    }
    for name, (fn, ref) in refs.items():
        spec = flashgen.Spec(score_mod=fn, mask_mod=causal)
        _check_bhsd(name, lambda q, k, v: flashgen.attention(q, k, v, spec), q * 2, k, v,
                    qq >= kk, ref, report)


def test_text_path_and_keywords(report, tmp_path):
    q, k, v = _bhsd(1, 4, 4, 200, 200, 64)
    mask = _grid(1, 4, 200, 200)[2] >= _grid(1, 4, 200, 200)[3]
    text = ("attention c { dtype = bf16; head_dim = 64; mask = causal; "
            "passes = forward, backward; }")
    f = tmp_path / "c.attn"
    f.write_text(text)
    for name, spec in (("text", text), ("path", str(f)), ("Spec", flashgen.Spec(causal=True))):
        _check_bhsd(name, lambda q, k, v: flashgen.attention(q, k, v, spec), q, k, v, mask,
                    None, report)
    # scale=, layout="bshd", return_lse
    _check_bhsd("scale", lambda q, k, v: flashgen.attention(q, k, v, text, scale=0.05), q, k, v,
                mask, None, report, scale=0.05)
    out, lse = flashgen.attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
                                  flashgen.Spec(causal=True), layout="bshd", return_lse=True)
    assert lse.shape == (1, 4, 200) and lse.dtype == torch.float32
    _, ref_lse = reference(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), mask=mask)
    assert (lse.double() - ref_lse).abs().max() < 1e-2


@pytest.mark.parametrize("nq,nk", [(1, 4097), (4, 1000), (16, 4097), (17, 333), (1, 1)])
def test_gqa_decoding_in_sdpa_layout(nq, nk, report):
    """Decoding shapes in SDPA's layout: a kv head's query rows packed into
    one tile for any Nq (JitOptions::packGqaRows, on by default), with and
    without split-KV; bottom-right causal and a sliding window."""
    q, k, v = _bhsd(2, 32, 8, nq, nk, 128)
    bb, hh, qq, kk = _grid(2, 32, nq, nk)
    shift = nk - nq
    for name, text, mask in (
            ("causal_br", "attention dec { dtype = bf16; head_dim = 128; heads = 32; "
             "kv_heads = 8; mask = causal(bottom_right); }", kk <= qq + shift),
            ("window_br", "attention decw { dtype = bf16; head_dim = 128; heads = 32; "
             "kv_heads = 8; mask = k <= q + (seq_k - seq_q) && k >= q + (seq_k - seq_q) - 200; }",
             (kk <= qq + shift) & (kk >= qq + shift - 200))):
        _check_bhsd(f"{name} nq={nq} nk={nk}", lambda q, k, v: flashgen.attention(q, k, v, text),
                    q, k, v, mask, None, report, grads=False)


def test_named_tensors_and_examples(report):
    """The checked-in ALiBi example with its slopes passed by name."""
    text = (ROOT / "examples" / "alibi.attn").read_text()
    q, k, v = _bhsd(1, 32, 8, 300, 300, 128)
    slopes = torch.rand(32, device=DEV) * 0.1
    bb, hh, qq, kk = _grid(1, 32, 300, 300)
    _check_bhsd("alibi.attn", lambda q, k, v: flashgen.attention(
        q, k, v, text, tensors={"slopes": slopes}), q, k, v, qq >= kk,
        lambda s: s - (slopes.double()[hh] * (qq - kk)).to(s.dtype), report)
    with pytest.raises(flashgen.ArgumentError, match="slopes"):
        flashgen.attention(q, k, v, text)


def test_torch_compile_fullgraph(report):
    n = 512
    doc = (torch.arange(n, device=DEV) // 100).to(torch.int32)

    def doc_mask(b, h, q_idx, kv_idx):
        return (q_idx >= kv_idx) & (doc[q_idx] == doc[kv_idx])

    spec = flashgen.Spec(mask_mod=doc_mask)
    proj = torch.nn.Linear(64, 64, device=DEV, dtype=torch.bfloat16)

    def layer(x):
        q = proj(x)
        return flashgen.attention(q, x, x, spec) + flashgen.flash_attn_func(
            q.transpose(1, 2), x.transpose(1, 2), x.transpose(1, 2), causal=True).transpose(1, 2)

    compiled = torch.compile(layer, fullgraph=True)
    x = torch.randn(2, 4, n, 64, device=DEV, dtype=torch.bfloat16, requires_grad=True)
    eager = layer(x)
    got = compiled(x)
    assert torch.equal(eager, got) or (eager - got).abs().max() < 1e-2
    (g1,) = torch.autograd.grad(eager.float().sum(), x)
    (g2,) = torch.autograd.grad(compiled(x).float().sum(), x)
    assert (g1 - g2).abs().max() < 5e-2 * g1.abs().max()


def test_cuda_graph_capture(report):
    q, k, v = _bhsd(2, 4, 4, 333, 333, 64)
    q.requires_grad_()
    spec = flashgen.Spec(causal=True)
    # Warm up on a side stream (compiles the kernels), as CUDA graphs require.
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(2):
            out = flashgen.attention(q, k, v, spec)
            out.sum().backward()
    torch.cuda.current_stream().wait_stream(s)
    q.grad = None
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        out = flashgen.attention(q, k, v, spec)
        out.float().sum().backward()
    fresh = torch.randn_like(q)
    with torch.no_grad():
        q.copy_(fresh)
    g.replay()  # writes the graph's own out and q.grad
    torch.cuda.synchronize()
    qq = q.detach().clone().requires_grad_()
    want = flashgen.attention(qq, k, v, spec)
    want.float().sum().backward()
    assert torch.equal(out, want)
    assert (q.grad - qq.grad).abs().max() < 1e-2


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two GPUs (cuda:1)")
def test_second_device(report):
    q, k, v = (t.to("cuda:1") for t in _bhsd(1, 4, 4, 256, 256, 64))
    out = flashgen.attention(q, k, v, flashgen.Spec(causal=True))
    assert out.device == torch.device("cuda:1")
    mask = _grid(1, 4, 256, 256)[2].cuda(1) >= _grid(1, 4, 256, 256)[3].cuda(1)
    t = lambda x: x.transpose(1, 2)
    ref, _ = reference(t(q), t(k), t(v), mask=mask)
    low, _ = reference(t(q), t(k), t(v), mask=mask, dtype=q.dtype)
    assert_close("cuda:1", t(out), ref, low, report)
    assert torch.cuda.current_device() == 0  # flashgen left the current device alone


def test_errors_name_the_problem():
    q, k, v = _bhsd(1, 2, 2, 16, 16, 64)
    with pytest.raises(flashgen.SpecError, match="did you mean 'causal'"):
        flashgen.attention(q, k, v, "attention a { dtype = bf16; head_dim = 64; mask = casual; }")
    with pytest.raises(flashgen.SpecError, match="neither"):
        flashgen.attention(q, k, v, "no_such_file.attn")
    # A text spec's dtype is its own: tensors of another are refused, not
    # read as the spec's bits (an fp8 spec takes torch.float8_e4m3fn).
    with pytest.raises(flashgen.ArgumentError, match="the spec's dtype is f16, but q is"):
        flashgen.attention(q, k, v, "attention a { dtype = f16; head_dim = 64; }")
    with pytest.raises(flashgen.ArgumentError, match="the spec's dtype is fp8_e4m3, but q is"):
        flashgen.attention(q, k, v, "attention a { dtype = fp8_e4m3; head_dim = 128; }")
    with pytest.raises(flashgen.ArgumentError, match="layout"):
        flashgen.attention(q, k, v, flashgen.Spec(), layout="sbhd")
    with pytest.raises(flashgen.ArgumentError, match="'v' must have 4 dimensions"):
        flashgen.attention(q, k, v[0], flashgen.Spec())

    def data_dependent(b, h, q_idx, kv_idx):
        if q_idx > kv_idx:
            return True
        return False

    with pytest.raises(flashgen.TraceError, match="test_attention_api.py"):
        flashgen.attention(q, k, v, flashgen.Spec(mask_mod=data_dependent))


@pytest.mark.parametrize("density", [0.05, 0.3, 1.0])
def test_runtime_block_masks(density, report):
    """sparsity = runtime: BlockMask from BSR lists (partial + full), shared by
    the heads, under a causal mask; output and gradients vs float64."""
    S, n, b, h = 64, 1000, 2, 4
    nb = (n + S - 1) // S
    dense = torch.rand(b, 1, nb, nb, device=DEV) < density
    full = dense & (torch.rand_like(dense, dtype=torch.float) < 0.5)
    part = dense & ~full
    lists = lambda m: (m.sum(-1).to(torch.int32),  # noqa: E731
                       torch.argsort((~m).to(torch.int8), dim=-1, stable=True).to(torch.int32))
    pc, pi = lists(part)
    fc, fi = lists(full)
    bm = flashgen.BlockMask.from_bsr(pc, pi, fc, fi, block_size=S, num_kv_blocks=nb)
    assert torch.equal(bm.dense.bool(), dense)
    spec = "attention rb { head_dim = 64; mask = causal; sparsity = runtime(block_size = 64); }"
    q, k, v = _bhsd(b, h, h, n, n, 64)
    _, _, qq, kk = _grid(b, h, n, n)
    elem = dense.repeat_interleave(S, 2).repeat_interleave(S, 3)[:, :, :n, :n]
    mask = elem & (qq >= kk)
    _check_bhsd(f"runtime blocks {density}",
                lambda q, k, v: flashgen.attention(q, k, v, spec, block_mask=bm),
                q, k, v, mask, None, report)


def test_runtime_block_mask_errors():
    S = 64
    pc = torch.tensor([[[1, 1]]], dtype=torch.int32)
    pi = torch.tensor([[[[0, 0], [1, 5]]]], dtype=torch.int32)
    with pytest.raises(flashgen.ArgumentError, match=r"query block 1\): partial kv block 5 at "
                                                     r"position 0 is outside \[0, 2\)"):
        flashgen.BlockMask.from_bsr(pc, torch.tensor([[[[0, 0], [5, 0]]]], dtype=torch.int32),
                                    block_size=S, num_kv_blocks=2)
    bm = flashgen.BlockMask.from_bsr(pc.cuda(), pi.cuda(), block_size=S, num_kv_blocks=2)
    q, k, v = _bhsd(1, 2, 2, 128, 128, 64)
    spec = "attention rb { head_dim = 64; sparsity = runtime(block_size = 64); }"
    flashgen.attention(q, k, v, spec, block_mask=bm)
    q2, k2, v2 = _bhsd(1, 2, 2, 200, 128, 64)
    with pytest.raises(flashgen.ArgumentError, match="2 x 2 blocks of 64, but the call has "
                                                     "seq_q=200"):
        flashgen.attention(q2, k2, v2, spec, block_mask=bm)
    with pytest.raises(flashgen.ArgumentError, match="reads tensor.*block_mask"):
        flashgen.attention(q, k, v, spec)
