"""flash_attn_with_kvcache on the GPU vs the float64 reference (issue 17).

Each batch entry attends to the first cache_seqlens[b] (+ the appended
keys) of its cache; the reference runs entry by entry on exactly those keys
with flash-attn's bottom-right masks and scores (reference.fa_mask /
fa_score), so a key past an entry's length that leaked in, or a misplaced
append, fails the comparison. Lengths differ across the batch (one empty
entry included where there is no append)."""
import pytest
import torch

from flashgen import flash_attn_with_kvcache
from reference import assert_close, fa_mask, fa_score, fp8_emulated, fp8_values, reference


def _per_entry_reference(q, kc, vc, lens, *, causal, window, softcap, alibi, dtype):
    outs, lses = [], []
    for b in range(q.shape[0]):
        n = int(lens[b])
        slopes = None if alibi is None else (alibi if alibi.dim() == 1 else alibi[b])
        o, l = reference(q[b:b + 1], kc[b:b + 1, :n], vc[b:b + 1, :n],
                         mask=fa_mask(q.shape[1], n, causal, window, q.device),
                         score=fa_score(q.shape[1], n, softcap, slopes, q.device), dtype=dtype)
        outs.append(o)
        lses.append(l)
    return torch.cat(outs), torch.cat(lses)


def _shuffled_pool(kc, vc, page):
    """kc, vc [B, cap, Hk, D] as pools of `page`-row pages in a random order,
    and the block table [B, cap / page] (int32) that reads them back. Bytes
    are moved (index_put has no float8 kernel), so any dtype goes."""
    b, cap = kc.shape[:2]
    pages = cap // page
    perm = torch.randperm(b * pages, device=kc.device)
    pools = []
    for c in (kc, vc):
        pool = torch.empty((b * pages, page) + tuple(c.shape[2:]), device=c.device,
                           dtype=c.dtype)
        pool.view(torch.uint8)[perm] = c.view(b * pages, page, *c.shape[2:]).view(torch.uint8)
        pools.append(pool)
    return pools[0], pools[1], perm.view(b, pages).to(torch.int32)


def _check_decode(name, out, lse, q, kc, vc, lens, causal, window, report):
    """out and lse against the per-entry float64 reference (out by
    flash-attn's criterion, lse within 1e-3 where finite, infinite where
    the reference is)."""
    kw = dict(causal=causal, window=window, softcap=0.0, alibi=None)
    o64, l64 = _per_entry_reference(q, kc, vc, lens, dtype=torch.float64, **kw)
    olow, _ = _per_entry_reference(q, kc, vc, lens, dtype=torch.bfloat16, **kw)
    assert_close(name, out, o64, olow, report)
    finite = torch.isfinite(l64)
    assert torch.equal(torch.isfinite(lse), finite)
    assert (lse[finite] - l64[finite].float()).abs().max().item() < 1e-3


@pytest.mark.parametrize("sq", [1, 4, 16])
@pytest.mark.parametrize("h,hk", [(32, 8), (16, 1), (8, 8)])
@pytest.mark.parametrize("causal,window", [(True, (-1, -1)), (False, (-1, -1)), (True, (256, -1))])
def test_decode_against_float64(sq, h, hk, causal, window, report):
    b, cap, d = 3, 2000, 128
    q = torch.randn(b, sq, h, d, device="cuda", dtype=torch.bfloat16)
    kc = torch.randn(b, cap, hk, d, device="cuda", dtype=torch.bfloat16)
    vc = torch.randn(b, cap, hk, d, device="cuda", dtype=torch.bfloat16)
    lens = torch.tensor([sq, 1999, 700], dtype=torch.int32, device="cuda")
    out, lse = flash_attn_with_kvcache(q, kc, vc, cache_seqlens=lens, causal=causal,
                                       window_size=window, return_softmax_lse=True)
    _check_decode(f"out sq={sq} {h}/{hk}", out, lse, q, kc, vc, lens, causal, window, report)


@pytest.mark.parametrize("sq", [4, 16])
@pytest.mark.parametrize("h,hk,paged", [(32, 8, False), (16, 1, False), (32, 8, True)])
@pytest.mark.parametrize("causal,window", [(True, (-1, -1)), (True, (256, -1))])
def test_several_query_rows_packed(sq, h, hk, paged, causal, window, report, monkeypatch):
    """Batch x capacity past _PACK_ROWS_MIN_KEYS: q and o go through SDPA's
    layout, where the kernels pack a kv head's query rows (the launch is
    checked to get it); the output is flash-attn's, contiguous."""
    from flashgen import kvcache, ops
    b, cap, d, page = 3, 6016, 128, 64
    assert b * cap >= kvcache._PACK_ROWS_MIN_KEYS
    q = torch.randn(b, sq, h, d, device="cuda", dtype=torch.bfloat16)
    kc = torch.randn(b, cap, hk, d, device="cuda", dtype=torch.bfloat16)
    vc = torch.randn(b, cap, hk, d, device="cuda", dtype=torch.bfloat16)
    lens = torch.tensor([sq, cap - 1, 2500], dtype=torch.int32, device="cuda")
    kw_pages = {}
    if paged:  # the same keys in a shuffled pool of pages
        kpool, vpool, table = _shuffled_pool(kc, vc, page)
        kw_pages = dict(block_table=table)
    layouts = []
    real = ops.attention_seqused

    def spy(*args, **kw):
        layouts.append(args[7])
        return real(*args, **kw)
    monkeypatch.setattr(ops, "attention_seqused", spy)
    out, lse = flash_attn_with_kvcache(q, kpool if paged else kc, vpool if paged else vc,
                                       cache_seqlens=lens, causal=causal, window_size=window,
                                       return_softmax_lse=True, **kw_pages)
    assert layouts == [ops.O_BHSD]
    assert out.shape == q.shape and out.is_contiguous()
    _check_decode(f"packed rows sq={sq} {h}/{hk} paged={paged}", out, lse, q, kc, vc, lens,
                  causal, window, report)


@pytest.mark.parametrize("alibi_shape", [None, "h", "bh"])
def test_append_softcap_alibi(alibi_shape, report):
    b, cap, h, hk, d, new = 2, 1024, 16, 4, 64, 3
    q = torch.randn(b, new, h, d, device="cuda", dtype=torch.float16)
    kc = torch.randn(b, cap, hk, d, device="cuda", dtype=torch.float16)
    vc = torch.randn(b, cap, hk, d, device="cuda", dtype=torch.float16)
    k = torch.randn(b, new, hk, d, device="cuda", dtype=torch.float16)
    v = torch.randn(b, new, hk, d, device="cuda", dtype=torch.float16)
    lens = torch.tensor([0, 517], dtype=torch.int32, device="cuda")
    alibi = {None: None, "h": torch.rand(h, device="cuda"),
             "bh": torch.rand(b, h, device="cuda")}[alibi_shape]
    before_k, before_v = kc.clone(), vc.clone()
    out = flash_attn_with_kvcache(q, kc, vc, k=k, v=v, cache_seqlens=lens, causal=True,
                                  softcap=20.0, alibi_slopes=alibi)
    # The new keys landed at each entry's length, nothing else moved.
    for i in range(b):
        n = int(lens[i])
        assert torch.equal(kc[i, n:n + new], k[i]) and torch.equal(vc[i, n:n + new], v[i])
        assert torch.equal(kc[i, :n], before_k[i, :n])
        assert torch.equal(kc[i, n + new:], before_k[i, n + new:])
    total = lens + new
    kw = dict(causal=True, window=(-1, -1), softcap=20.0, alibi=alibi)
    o64, _ = _per_entry_reference(q, kc, vc, total, dtype=torch.float64, **kw)
    olow, _ = _per_entry_reference(q, kc, vc, total, dtype=torch.float16, **kw)
    assert_close(f"append alibi={alibi_shape}", out, o64, olow, report)


def test_cache_batch_idx_picks_entries(report):
    q = torch.randn(2, 1, 8, 64, device="cuda", dtype=torch.bfloat16)
    kc = torch.randn(4, 300, 8, 64, device="cuda", dtype=torch.bfloat16)
    vc = torch.randn(4, 300, 8, 64, device="cuda", dtype=torch.bfloat16)
    idx = torch.tensor([3, 1], dtype=torch.int32, device="cuda")
    lens = torch.tensor([100, 299], dtype=torch.int32, device="cuda")
    out = flash_attn_with_kvcache(q, kc, vc, cache_seqlens=lens, cache_batch_idx=idx)
    kw = dict(causal=False, window=(-1, -1), softcap=0.0, alibi=None)
    sel_k, sel_v = kc[idx.long()], vc[idx.long()]
    o64, _ = _per_entry_reference(q, sel_k, sel_v, lens, dtype=torch.float64, **kw)
    olow, _ = _per_entry_reference(q, sel_k, sel_v, lens, dtype=torch.bfloat16, **kw)
    assert_close("cache_batch_idx", out, o64, olow, report)


@pytest.mark.parametrize("d,cap,causal", [(64, 512, False), (128, 512, True),
                                           (256, 300, False), (128, 9000, True)])
def test_unused_cache_may_hold_nan(report, d, cap, causal):
    """flash-attn reads nothing past cache_seqlens, so a cache from
    torch.empty may hold NaN there: the lengths go to the kernel as
    per-entry key lengths, and no row past them reaches the result (the
    largest cache is split over CTAs, the edge tile's V rows zeroed)."""
    b, h, hk = 2, 8, 2
    q = torch.randn(b, 1, h, d, device="cuda", dtype=torch.bfloat16)
    kc = torch.full((b, cap, hk, d), float("nan"), device="cuda", dtype=torch.bfloat16)
    vc = torch.full((b, cap, hk, d), float("nan"), device="cuda", dtype=torch.bfloat16)
    lens = torch.tensor([min(200, cap), 37] if cap < 1000 else [8191, 37],
                        dtype=torch.int32, device="cuda")
    for i in range(b):
        n = int(lens[i])
        kc[i, :n] = torch.randn(n, hk, d, device="cuda", dtype=torch.bfloat16)
        vc[i, :n] = torch.randn(n, hk, d, device="cuda", dtype=torch.bfloat16)
    out = flash_attn_with_kvcache(q, kc, vc, cache_seqlens=lens, causal=causal)
    assert torch.isfinite(out).all(), "NaN from keys past cache_seqlens"
    kw = dict(causal=causal, window=(-1, -1), softcap=0.0, alibi=None)
    o64, _ = _per_entry_reference(q, kc, vc, lens, dtype=torch.float64, **kw)
    olow, _ = _per_entry_reference(q, kc, vc, lens, dtype=torch.bfloat16, **kw)
    assert_close("nan past lengths", out, o64, olow, report)


def test_gradients_are_refused():
    """Per-entry key lengths are forward-only: a call that would need
    gradients is an error naming why, not a silent detach."""
    from flashgen.errors import ArgumentError
    q = torch.randn(1, 1, 4, 64, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    kc = torch.randn(1, 64, 4, 64, device="cuda", dtype=torch.bfloat16)
    with pytest.raises(ArgumentError, match="inference"):
        flash_attn_with_kvcache(q, kc, kc.clone(), cache_seqlens=10)


def test_decoding_step_in_a_cuda_graph(report):
    """A decoding step captured in a CUDA graph (how serving runs them):
    nothing in the call may synchronize, so the lengths tensor is not read
    on the host while capturing; each replay appends one token and must
    equal the eager call on the same caches."""
    b, cap, h, hk, d = 3, 2048, 16, 4, 128
    kc = torch.randn(b, cap, hk, d, device="cuda", dtype=torch.bfloat16)
    vc = torch.randn(b, cap, hk, d, device="cuda", dtype=torch.bfloat16)
    q = torch.randn(b, 1, h, d, device="cuda", dtype=torch.bfloat16)
    kn = torch.randn(b, 1, hk, d, device="cuda", dtype=torch.bfloat16)
    vn = torch.randn(b, 1, hk, d, device="cuda", dtype=torch.bfloat16)
    lens = torch.tensor([1000, 5, 1900], dtype=torch.int32, device="cuda")
    step = lambda: flash_attn_with_kvcache(q, kc, vc, k=kn, v=vn, cache_seqlens=lens, causal=True)
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        step()  # JIT and warm-up outside the capture (writes position lens)
    torch.cuda.current_stream().wait_stream(s)
    torch.cuda.synchronize()
    kc0, vc0 = kc.clone(), vc.clone()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        out = step()
    for _ in range(2):
        q.normal_()
        kn.normal_()
        vn.normal_()
        lens += 1
        g.replay()
        torch.cuda.synchronize()
        kc2, vc2 = kc0.clone(), vc0.clone()
        kc2[torch.arange(b), lens.long()] = kn[:, 0]
        vc2[torch.arange(b), lens.long()] = vn[:, 0]
        want = flash_attn_with_kvcache(q, kc2, vc2, cache_seqlens=lens + 1, causal=True)
        torch.testing.assert_close(out, want)
        kc0, vc0 = kc2, vc2
        assert torch.equal(kc, kc2) and torch.equal(vc, vc2)


def test_lengths_past_the_capacity_fail_without_a_host_read():
    """A CUDA lengths tensor is checked on the device (no synchronization):
    lengths past the capacity fail the process's CUDA context, as an
    out-of-range index does in torch, instead of a clamped answer. In a
    child process, since the context does not recover."""
    import subprocess
    import sys
    code = ("import torch\nfrom flashgen.kvcache import flash_attn_with_kvcache\n"
            "q = torch.randn(2, 1, 4, 64, device='cuda', dtype=torch.bfloat16)\n"
            "kc = torch.randn(2, 64, 2, 64, device='cuda', dtype=torch.bfloat16)\n"
            "lens = torch.tensor([3, 65], dtype=torch.int32, device='cuda')\n"
            "flash_attn_with_kvcache(q, kc, kc.clone(), cache_seqlens=lens)\n"
            "torch.cuda.synchronize()\nprint('no error')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "no error" not in r.stdout, (r.stdout, r.stderr[-2000:])
    assert "assert" in r.stderr.lower(), r.stderr[-2000:]


@pytest.mark.parametrize("page_size,d,sq,causal", [(16, 128, 1, True), (48, 64, 1, False),
                                                    (256, 128, 4, True), (64, 256, 1, True)])
def test_paged_cache_against_float64(report, page_size, d, sq, causal):
    """block_table: the caches as pools of pages in a random order (pages
    no entry uses NaN, table entries past an entry's keys -1), one key
    appended through the table; equal to the contiguous cache's answer and
    to float64 on the logical keys."""
    b, h, hk, cap = 3, 16, 4, 2048
    max_pages = (cap + page_size - 1) // page_size
    num_pages = b * max_pages + 5
    kc = torch.randn(b, max_pages * page_size, hk, d, device="cuda", dtype=torch.bfloat16)
    vc = torch.randn(b, max_pages * page_size, hk, d, device="cuda", dtype=torch.bfloat16)
    q = torch.randn(b, sq, h, d, device="cuda", dtype=torch.bfloat16)
    kn = torch.randn(b, 1, hk, d, device="cuda", dtype=torch.bfloat16)
    vn = torch.randn(b, 1, hk, d, device="cuda", dtype=torch.bfloat16)
    lens = torch.tensor([1000, 5, 2046], dtype=torch.int32, device="cuda")
    perm = torch.randperm(num_pages, device="cuda").to(torch.int32)
    table = torch.full((b, max_pages), -1, dtype=torch.int32, device="cuda")
    kpool = torch.full((num_pages, page_size, hk, d), float("nan"), device="cuda",
                       dtype=torch.bfloat16)
    vpool = kpool.clone()
    for i in range(b):
        n = int(lens[i]) + 1  # the pages the appended key needs too
        pages = (n + page_size - 1) // page_size
        table[i, :pages] = perm[i * max_pages:i * max_pages + pages]
        for j in range(pages):
            rows = slice(j * page_size, min((j + 1) * page_size, int(lens[i])))
            m = rows.stop - rows.start
            if m > 0:
                kpool[table[i, j], :m] = kc[i, rows]
                vpool[table[i, j], :m] = vc[i, rows]
    out = flash_attn_with_kvcache(q, kpool, vpool, k=kn, v=vn, cache_seqlens=lens,
                                  block_table=table, causal=causal)
    assert torch.isfinite(out).all(), "NaN from pages or rows past the keys"
    want = flash_attn_with_kvcache(q, kc, vc, k=kn, v=vn, cache_seqlens=lens, causal=causal)
    kw = dict(causal=causal, window=(-1, -1), softcap=0.0, alibi=None)
    o64, _ = _per_entry_reference(q, kc, vc, lens + 1, dtype=torch.float64, **kw)
    olow, _ = _per_entry_reference(q, kc, vc, lens + 1, dtype=torch.bfloat16, **kw)
    assert_close("paged", out, o64, olow, report)
    assert_close("contiguous", want, o64, olow, report)


@pytest.mark.parametrize("interleaved,causal", [(True, True), (False, False)])
def test_rotary_equals_rotating_first(interleaved, causal):
    """rotary_cos / rotary_sin: the same answer (and caches) as rotating q
    and the new keys first (flashgen.rotary, CPU-tested against the complex
    rotation) at flash-attn's positions, then calling without them."""
    from flashgen.rotary import apply_rotary
    b, cap, h, hk, d, ro, new = 2, 1024, 8, 2, 128, 64, 2
    kc = torch.randn(b, cap, hk, d, device="cuda", dtype=torch.bfloat16)
    vc = torch.randn(b, cap, hk, d, device="cuda", dtype=torch.bfloat16)
    kc1, vc1 = kc.clone(), vc.clone()
    q = torch.randn(b, new, h, d, device="cuda", dtype=torch.bfloat16)
    kn = torch.randn(b, new, hk, d, device="cuda", dtype=torch.bfloat16)
    vn = torch.randn(b, new, hk, d, device="cuda", dtype=torch.bfloat16)
    lens = torch.tensor([100, 700], dtype=torch.int32, device="cuda")
    ang = torch.arange(cap, device="cuda")[:, None] * \
        (1e4 ** -(torch.arange(0, ro, 2, device="cuda") / ro))[None, :]
    cos, sin = ang.cos(), ang.sin()
    out = flash_attn_with_kvcache(q, kc, vc, k=kn, v=vn, rotary_cos=cos, rotary_sin=sin,
                                  cache_seqlens=lens, causal=causal,
                                  rotary_interleaved=interleaved)
    start = lens.long()[:, None]
    steps = torch.arange(new, device="cuda")[None, :]
    kr = apply_rotary(kn, cos, sin, start + steps, interleaved)
    qr = apply_rotary(q, cos, sin, start + steps if causal else start + 0 * steps, interleaved)
    want = flash_attn_with_kvcache(qr, kc1, vc1, k=kr, v=vn, cache_seqlens=lens, causal=causal)
    torch.testing.assert_close(out, want, rtol=0, atol=0)
    assert torch.equal(kc, kc1) and torch.equal(vc, vc1)


FP8_DESCALE = (0.5, 0.25, 2.0)  # q, k, v: powers of two keep the values exact


def _fp8_emulated(q, kc, vc, lens, causal):
    """Per entry, reference.fp8_emulated over its first lens[b] keys (what
    fp8 itself allows; test_fp8.py's criterion), in bf16."""
    outs = []
    for b in range(q.shape[0]):
        n, sq = int(lens[b]), q.shape[1]
        mask = fa_mask(sq, n, causal, (-1, -1), q.device)
        outs.append(fp8_emulated(q[b:b + 1], kc[b:b + 1, :n], vc[b:b + 1, :n], mask)[0])
    return torch.stack(outs)


@pytest.mark.parametrize("sq", [1, 4])
@pytest.mark.parametrize("paged,append", [(False, False), (True, False), (False, True)])
def test_fp8_cache_against_float64(sq, paged, append, report):
    """fp8 (e4m3) q and caches with per-tensor descale factors (the kernel
    transposes V itself, FwdFp8.cuh): the bf16 output against the float64
    reference on the exact fp8 values, in a contiguous cache, a paged pool
    and with new keys appended in place (written as bytes)."""
    b, cap, h, hk, d, page, new = 3, 2048, 32, 8, 128, 64, 8 if append else 0
    q8, q = fp8_values((b, sq, h, d), FP8_DESCALE[0])
    kc8, kc = fp8_values((b, cap, hk, d), FP8_DESCALE[1])
    vc8, vc = fp8_values((b, cap, hk, d), FP8_DESCALE[2])
    lens = torch.tensor([sq, cap - 1 - new, 700], dtype=torch.int32, device="cuda")
    kw = dict(q_descale=FP8_DESCALE[0], k_descale=FP8_DESCALE[1],
              v_descale=torch.tensor([FP8_DESCALE[2]]))
    if append:
        k8, kn = fp8_values((b, new, hk, d), FP8_DESCALE[1])
        v8, vn = fp8_values((b, new, hk, d), FP8_DESCALE[2])
        kw.update(k=k8, v=v8)
        for e in range(b):
            at = int(lens[e])
            kc[e, at:at + new], vc[e, at:at + new] = kn[e], vn[e]
    kcache, vcache = kc8, vc8
    if paged:  # the same keys in a shuffled pool of pages
        kcache, vcache, kw["block_table"] = _shuffled_pool(kc8, vc8, page)
    out, lse = flash_attn_with_kvcache(q8, kcache, vcache, cache_seqlens=lens, causal=True,
                                       return_softmax_lse=True, **kw)
    assert out.dtype == torch.bfloat16 and out.shape == (b, sq, h, d)
    total = lens + new
    o64, l64 = _per_entry_reference(q, kc, vc, total, causal=True, window=(-1, -1),
                                    softcap=0.0, alibi=None, dtype=torch.float64)
    low = _fp8_emulated(q, kc, vc, total, causal=True)
    assert_close(f"fp8 cache sq={sq} paged={paged} append={append}", out, o64, low, report,
                 atol=1e-3)
    finite = torch.isfinite(l64)
    assert torch.equal(torch.isfinite(lse), finite)
    assert (lse[finite] - l64[finite].float()).abs().max().item() < 1e-3


def test_fp8_cache_errors_name_the_problem():
    q8, _ = fp8_values((1, 1, 8, 128), 1.0)
    kc8, _ = fp8_values((1, 256, 8, 128), 1.0)
    cos = torch.ones(256, 64, device="cuda")
    from flashgen import ArgumentError, UnsupportedError
    with pytest.raises(UnsupportedError, match="rotary embeddings on fp8"):
        flash_attn_with_kvcache(q8, kc8, kc8, rotary_cos=cos, rotary_sin=cos, cache_seqlens=3)
    with pytest.raises(ArgumentError, match=r"per-head factors are \[batch, kv_heads\] = "
                                            r"\[1, 8\]"):
        flash_attn_with_kvcache(q8, kc8, kc8, cache_seqlens=3,
                                k_descale=torch.ones(8, device="cuda"))
    with pytest.raises(ArgumentError, match="does not broadcast to"):
        flash_attn_with_kvcache(q8, kc8, kc8, cache_seqlens=3,
                                v_descale=torch.ones(2, 8, device="cuda"))
    with pytest.raises(ArgumentError, match="must be a floating-point tensor"):
        flash_attn_with_kvcache(q8, kc8, kc8, cache_seqlens=3,
                                q_descale=torch.ones(1, 8, dtype=torch.int32, device="cuda"))
    with pytest.raises(ArgumentError, match=r"k_descale \(0.0\) must be a positive finite"):
        flash_attn_with_kvcache(q8, kc8, kc8, cache_seqlens=3, k_descale=0.0)
    with pytest.raises(ArgumentError, match="v_descale must be a number or a tensor, not list"):
        flash_attn_with_kvcache(q8, kc8, kc8, cache_seqlens=3, v_descale=[2.0])
    with pytest.raises(ArgumentError, match="q_descale applies to torch.float8_e4m3fn inputs"):
        flash_attn_with_kvcache(q8.bfloat16(), kc8.bfloat16(), kc8.bfloat16(), cache_seqlens=3,
                                q_descale=2.0)


@pytest.mark.parametrize("paged", [False, True])
def test_fp8_cache_per_head_descale(paged, report):
    """flash-attn 3's per-head descale tensors [batch, nheads_k] (and shapes
    that broadcast to it: K's [1, nheads_k], V's [batch, 1]) on an fp8 cache
    with GQA 32/8, every factor different: against float64 on the exact
    values. A kernel reading another head's or entry's factor misses by far
    more than the bound."""
    b, cap, h, hk, d, page, sq = 3, 1024, 32, 8, 128, 64, 1
    gen = torch.Generator(device="cuda").manual_seed(7)
    factor = lambda *shape: 0.25 + 3.75 * torch.rand(*shape, device="cuda", generator=gen)
    qd, kd, vd = factor(b, hk), factor(1, hk), factor(b, 1)
    q8, q = fp8_values((b, sq, h, d), qd.repeat_interleave(h // hk, dim=1)[:, None, :, None])
    kc8, kc = fp8_values((b, cap, hk, d), kd[:, None, :, None])
    vc8, vc = fp8_values((b, cap, hk, d), vd[:, None, :, None])
    lens = torch.tensor([1, cap - 1, 700], dtype=torch.int32, device="cuda")
    kw = dict(q_descale=qd, k_descale=kd, v_descale=vd)
    kcache, vcache = kc8, vc8
    if paged:
        kcache, vcache, kw["block_table"] = _shuffled_pool(kc8, vc8, page)
    out = flash_attn_with_kvcache(q8, kcache, vcache, cache_seqlens=lens, causal=True, **kw)
    o64, _ = _per_entry_reference(q, kc, vc, lens, causal=True, window=(-1, -1), softcap=0.0,
                                  alibi=None, dtype=torch.float64)
    low = _fp8_emulated(q, kc, vc, lens, causal=True)
    assert_close(f"fp8 cache per-head descale paged={paged}", out, o64, low, report, atol=1e-3)
