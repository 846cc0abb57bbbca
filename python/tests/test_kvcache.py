"""Tests of flashgen's flash_attn_with_kvcache without a GPU.

* the variant's text: the real frontend accepts it (``check_spec`` through
  the library), and its mask and score, evaluated with the compiler's
  semantics (_attn_eval.py), equal flash-attn's definitions for batches of
  different cache lengths: the launch passes each entry's length as its key
  count (seq_k = the length, keys past it never read), query row i at
  position len[b] - seq_q + i for causal masks, windows and ALiBi;
* argument errors that need no GPU name the argument (torch only).
"""

from __future__ import annotations

import itertools
import math

import pytest

from _attn_eval import AttnExpr, FakeTensor, parse_variant
from flashgen.kvcache_spec import kvcache_spec_text

LENS = FakeTensor([5, 9, 1], "int32")  # three entries' key counts
SLOPES = FakeTensor([0.5, 0.25], "float32")
OPTIONS = [
    dict(causal=False),
    dict(causal=True),
    dict(causal=False, window_size=(3, 2)),
    dict(causal=True, window_size=(2, -1)),
    dict(causal=False, window_size=(-1, 1)),
]


def _visible(b, q, k, seq_q, causal, window_size=(-1, -1)):
    """flash-attn's rule, written directly."""
    total = LENS.data[b]
    if k >= total:
        return False
    pos = total - seq_q + q  # this query row's position among the keys
    left, right = window_size
    if causal:
        right = 0
    if right >= 0 and k > pos + right:
        return False
    if left >= 0 and k < pos - left:
        return False
    return True


@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_mask_is_flash_attns(opts):
    text = kvcache_spec_text("bf16", 64, 64, **opts)
    props = parse_variant(text)["props"]
    ev = AttnExpr(props["mask"]) if "mask" in props else (lambda **_: True)
    # The launch passes each entry's length as its key count: the kernel
    # sees seq_k = that length and keys [0, seq_k) only; the ones past it
    # (to the capacity, 9) are never visible.
    for seq_q in (1, 3):
        for b, h, q, k in itertools.product(range(3), range(2), range(seq_q), range(9)):
            want = _visible(b, q, k, seq_q, **opts)
            seq_k = LENS.data[b]
            got = k < seq_k and ev(b=b, h=h, q=q, k=k, seq_q=seq_q, seq_k=seq_k)
            assert got == want, (b, q, k, seq_q)


def test_score_is_softcap_then_alibi_from_the_lengths_end():
    text = kvcache_spec_text("f16", 64, 64, causal=True, softcap=7.0, alibi_rank=1)
    ev = AttnExpr(parse_variant(text)["props"]["score"], context="score",
                  tensors={"alibi_slopes": SLOPES})
    for b, h, q in itertools.product(range(3), range(2), range(2)):
        for k in range(LENS.data[b]):
            s = 1.25 - 0.5 * k
            pos = LENS.data[b] - 2 + q
            want = 7.0 * math.tanh(s / 7.0) - SLOPES.data[h] * abs(pos - k)
            got = ev(b=b, h=h, q=q, k=k, seq_q=2, seq_k=LENS.data[b], score=s)
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_per_batch_slopes_and_scale():
    text = kvcache_spec_text("bf16", 128, 64, causal=False, alibi_rank=2, softmax_scale=0.125)
    props = parse_variant(text)["props"]
    assert props["scale"] == "0.125"
    assert "alibi_slopes[b, h]" in props["score"]
    assert "tensor alibi_slopes : f32[batch, heads];" in text


@pytest.mark.parametrize("opts", OPTIONS + [dict(causal=True, softcap=30.0, alibi_rank=2,
                                                 softmax_scale=0.1)],
                         ids=str)
def test_the_frontend_accepts_every_text(opts):
    flashgen = pytest.importorskip("flashgen")
    try:
        flashgen.check_spec(kvcache_spec_text("bf16", 128, 128, **opts), "kvcache.attn")
    except OSError as e:  # no libflashgen.so next to the package
        pytest.skip(f"the flashgen library is not available: {e}")


def test_bad_window_is_an_argument_error():
    from flashgen.errors import ArgumentError
    with pytest.raises(ArgumentError, match="window_size"):
        kvcache_spec_text("bf16", 64, 64, causal=False, window_size="wide")


def test_unsupported_and_bad_arguments_name_themselves():
    torch = pytest.importorskip("torch")
    from flashgen.errors import ArgumentError, UnsupportedError
    from flashgen.kvcache import flash_attn_with_kvcache
    q = torch.zeros(2, 1, 4, 64, dtype=torch.bfloat16)
    kc = torch.zeros(2, 16, 2, 64, dtype=torch.bfloat16)
    vc = torch.zeros(2, 16, 2, 64, dtype=torch.bfloat16)
    with pytest.raises(ArgumentError, match="block_table must be an integer tensor"):
        flash_attn_with_kvcache(q, kc, vc, block_table=torch.zeros(3, 1, dtype=torch.int32))
    with pytest.raises(ArgumentError, match="page size .* must be a multiple of 16"):
        flash_attn_with_kvcache(q, torch.zeros(4, 24, 2, 64, dtype=torch.bfloat16),
                                torch.zeros(4, 24, 2, 64, dtype=torch.bfloat16),
                                block_table=torch.zeros(2, 1, dtype=torch.int32))
    with pytest.raises(UnsupportedError, match="cache_batch_idx with block_table"):
        flash_attn_with_kvcache(q, kc, vc, block_table=torch.zeros(2, 1, dtype=torch.int32),
                                cache_batch_idx=torch.tensor([0, 1]))
    with pytest.raises(ArgumentError, match="capacity of 32"):  # 2 pages of 16 rows
        flash_attn_with_kvcache(q, kc, vc, block_table=torch.zeros(2, 2, dtype=torch.int32),
                                cache_seqlens=33)
    with pytest.raises(ArgumentError, match="give both rotary_cos and rotary_sin"):
        flash_attn_with_kvcache(q, kc, vc, rotary_cos=torch.zeros(16, 32))
    with pytest.raises(UnsupportedError, match="cache_leftpad"):
        flash_attn_with_kvcache(q, kc, vc, cache_leftpad=torch.zeros(2, dtype=torch.int32))
    with pytest.raises(ArgumentError, match="capacity of 16"):
        flash_attn_with_kvcache(q, kc, vc, cache_seqlens=torch.tensor([3, 17], dtype=torch.int32))
    with pytest.raises(ArgumentError, match="capacity of 16"):
        flash_attn_with_kvcache(q, kc, vc, k=torch.zeros(2, 2, 2, 64, dtype=torch.bfloat16),
                                v=torch.zeros(2, 2, 2, 64, dtype=torch.bfloat16),
                                cache_seqlens=15)
    with pytest.raises(ArgumentError, match="not a multiple"):
        flash_attn_with_kvcache(torch.zeros(2, 1, 3, 64, dtype=torch.bfloat16), kc, vc)
    with pytest.raises(ArgumentError, match="cache_batch_idx"):
        flash_attn_with_kvcache(q, kc, vc, cache_batch_idx=torch.tensor([0, 2]))
    with pytest.raises(ArgumentError, match="both k and v"):
        flash_attn_with_kvcache(q, kc, vc, k=torch.zeros(2, 1, 2, 64, dtype=torch.bfloat16))


def test_a_refused_call_leaves_the_caches_alone():
    torch = pytest.importorskip("torch")
    from flashgen.errors import ArgumentError
    from flashgen.kvcache import flash_attn_with_kvcache
    q = torch.zeros(2, 3, 8, 64, dtype=torch.bfloat16)  # on the CPU: refused
    kc = torch.zeros(2, 100, 2, 64, dtype=torch.bfloat16)
    vc = torch.zeros(2, 100, 2, 64, dtype=torch.bfloat16)
    k = torch.ones(2, 3, 2, 64, dtype=torch.bfloat16)
    with pytest.raises(ArgumentError, match="CUDA"):
        flash_attn_with_kvcache(q, kc, vc, k=k, v=k.clone(), cache_seqlens=5, causal=True)
    assert not kc.any() and not vc.any()
    with pytest.raises(ArgumentError, match="window_size"):
        flash_attn_with_kvcache(q, kc, vc, k=k, v=k.clone(), cache_seqlens=5, window_size="wide")
    assert not kc.any()
