"""Tests of flashgen.spec: Spec keywords -> one .attn variant.

* table: Spec (and Spec.from_flash_attn) -> the exact text;
* semantics: the emitted mask and score, evaluated with the compiler's
  semantics (tests/_attn_eval.py, including the desugaring of causal and
  sliding_window), equal a direct Python statement of the definition, for
  square and non-square (seq_q != seq_k) shapes;
* validation: every bad keyword raises SpecError naming it;
* the real frontend accepts every text (``flashgen check``) when
  build/bin/flashgen exists.

No torch needed except in the tests that ``importorskip`` it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re

import pytest

from _attn_eval import AttnExpr, FakeTensor, parse_variant
from flashgen.errors import SpecError, TraceError, UnsupportedError
from flashgen.spec import Spec


SLOPES = FakeTensor([0.5, 0.25, 0.125, 0.0625], "float32")
SLOPES_BH = FakeTensor([[0.5, 0.25, 0.125, 0.0625], [1.0, 0.75, 0.5, 0.25]], "float32")
DOC = FakeTensor([0, 0, 1, 1, 1, 2, 2, 2, 3, 3], "int32")

HEAD = "attention spec {\n  dtype    = bf16;\n  head_dim = 64;\n"
TAIL = "  passes   = forward, backward;\n}\n"


def _text(**kw) -> str:
    args = dict(dtype="bf16", qk_head_dim=64, v_head_dim=64)
    args.update(kw.pop("to_attn", {}))
    return Spec(**kw).to_attn(**args)[0]


def doc_mask(b, h, q_idx, kv_idx):
    return DOC[q_idx] == DOC[kv_idx]


# (id, Spec keywords, expected text)
TEXTS = [
    ("plain", {}, "attention spec {\n  dtype    = bf16;\n  head_dim = 64;\n  passes   = forward, backward;\n}\n"),
    ("causal", dict(causal=True), HEAD.replace("    =", "    =") + "  mask     = causal;\n" + TAIL),
    ("causal_bottom_right", dict(causal="bottom_right"), HEAD + "  mask     = causal(bottom_right);\n" + TAIL),
    ("causal_true_aligned", dict(causal=True, align="bottom_right"), HEAD + "  mask     = causal(bottom_right);\n" + TAIL),
    ("window_int", dict(window=256), HEAD + "  mask     = sliding_window(left = 256, right = 0);\n" + TAIL),
    ("window_pair_br", dict(window=(128, 16), align="bottom_right"),
     HEAD + "  mask     = sliding_window(left = 128, right = 16, align = bottom_right);\n" + TAIL),
    ("window_right_only", dict(window=(-1, 8)), HEAD + "  mask     = sliding_window(right = 8);\n" + TAIL),
    ("window_right_zero_is_causal", dict(window=(-1, 0), align="bottom_right"),
     HEAD + "  mask     = causal(bottom_right);\n" + TAIL),
    ("window_left_only", dict(window=(64, -1)), HEAD + "  mask     = q - 64 <= k;\n" + TAIL),
    ("window_left_only_br", dict(window=(64, -1), align="bottom_right"),
     HEAD + "  mask     = q + seq_k - seq_q - 64 <= k;\n" + TAIL),
    ("window_unbounded", dict(window=(-1, -1)), HEAD + TAIL),
    ("causal_and_window", dict(causal=True, window=(64, 32)),
     HEAD + "  mask     = sliding_window(left = 64, right = 0);\n" + TAIL),
    ("causal_and_left_unbounded", dict(causal=True, window=(-1, 32)), HEAD + "  mask     = causal;\n" + TAIL),
    ("causal_other_alignment", dict(causal="top_left", window=(64, 0), align="bottom_right"),
     HEAD + "  mask     = causal && sliding_window(left = 64, right = 0, align = bottom_right);\n" + TAIL),
    ("softcap", dict(softcap=50), HEAD + "  score    = 50.0 * tanh(score / 50.0);\n" + TAIL),
    ("softcap_zero_is_off", dict(softcap=0.0), HEAD + TAIL),
    ("alibi_heads", dict(alibi_slopes=SLOPES),
     HEAD + "  tensor alibi_slopes : f32[heads];\n  score    = score - alibi_slopes[h] * abs(q - k);\n" + TAIL),
    ("alibi_batch_heads_br", dict(alibi_slopes=SLOPES_BH, align="bottom_right"),
     HEAD + "  tensor alibi_slopes : f32[batch, heads];\n"
     "  score    = score - alibi_slopes[b, h] * abs(q + seq_k - seq_q - k);\n" + TAIL),
    ("softcap_then_alibi", dict(softcap=30.0, alibi_slopes=SLOPES),
     HEAD + "  tensor alibi_slopes : f32[heads];\n"
     "  score    = 30.0 * tanh(score / 30.0) - alibi_slopes[h] * abs(q - k);\n" + TAIL),
    ("score_mod_after_softcap", dict(softcap=30.0, score_mod=lambda s, b, h, q, k: s * 2 + (q - k)),
     HEAD + "  score    = 30.0 * tanh(score / 30.0) * 2 + (q - k);\n" + TAIL),
    ("score_mod_wraps", dict(alibi_slopes=SLOPES, score_mod=lambda s, b, h, q, k: s / 2),
     HEAD + "  tensor alibi_slopes : f32[heads];\n"
     "  score    = (score - alibi_slopes[h] * abs(q - k)) / 2;\n" + TAIL),
    ("mask_mod", dict(mask_mod=doc_mask),
     HEAD + "  tensor DOC : i32[10];\n  mask     = DOC[q] == DOC[k];\n" + TAIL),
    ("causal_and_mask_mod", dict(causal=True, mask_mod=lambda b, h, q, k: (q - k < 4) | (k == 0)),
     HEAD + "  mask     = causal && (q - k < 4 || k == 0);\n" + TAIL),
    ("mask_mod_true", dict(mask_mod=lambda b, h, q, k: True), HEAD + TAIL),
    ("identity_score_mod", dict(score_mod=lambda s, b, h, q, k: s), HEAD + TAIL),
    ("dropout", dict(dropout_p=0.1), HEAD + "  dropout  = 0.1;\n" + TAIL),
    ("scale", dict(scale=1 / math.sqrt(128)), HEAD + "  scale    = 0.08838834764831843;\n" + TAIL),
    ("scale_int", dict(scale=2), HEAD + "  scale    = 2.0;\n" + TAIL),
    ("name", dict(name="my_variant"), HEAD.replace("spec", "my_variant") + TAIL),
    ("f16_dims_varlen_forward", dict(causal=True, to_attn=dict(dtype="f16", qk_head_dim=192, v_head_dim=128,
                                                                varlen=True, backward=False)),
     "attention spec {\n  dtype       = f16;\n  qk_head_dim = 192;\n  v_head_dim  = 128;\n"
     "  mask        = causal;\n  varlen      = true;\n}\n"),
    ("everything", dict(causal=True, window=(100, 0), softcap=20.0, alibi_slopes=SLOPES, dropout_p=0.25,
                        mask_mod=doc_mask, score_mod=lambda s, b, h, q, k: s + 1.5, scale=0.125,
                        align="bottom_right", name="all"),
     "attention all {\n  dtype    = bf16;\n  head_dim = 64;\n  scale    = 0.125;\n"
     "  tensor alibi_slopes : f32[heads];\n  tensor DOC : i32[10];\n"
     "  mask     = sliding_window(left = 100, right = 0, align = bottom_right) && DOC[q] == DOC[k];\n"
     "  score    = 20.0 * tanh(score / 20.0) - alibi_slopes[h] * abs(q + seq_k - seq_q - k) + 1.5;\n"
     "  dropout  = 0.25;\n  passes   = forward, backward;\n}\n"),
]


@pytest.mark.parametrize("kw,expected", [t[1:] for t in TEXTS], ids=[t[0] for t in TEXTS])
def test_text(kw, expected):
    assert _text(**dict(kw)) == expected


def test_returned_tensors():
    text, refs = Spec(alibi_slopes=SLOPES, mask_mod=doc_mask).to_attn(dtype="bf16", qk_head_dim=64,
                                                                      v_head_dim=64)
    assert [(r.name, r.kind, r.dims) for r in refs] == [("alibi_slopes", "f32", ("heads",)),
                                                       ("DOC", "i32", ("10",))]
    assert refs[0].tensor is SLOPES and refs[1].tensor is DOC
    for r in refs:
        assert r.declaration() in text


def test_dtype_spellings():
    for spelling, want in [("bf16", "bf16"), ("bfloat16", "bf16"), ("torch.bfloat16", "bf16"),
                           ("f16", "f16"), ("fp16", "f16"), ("float16", "f16"), ("torch.float16", "f16")]:
        assert f"dtype    = {want};" in _text(to_attn=dict(dtype=spelling))


# ---------------------------------------------------------------------------
# Tensor names across mask_mod, score_mod and ALiBi
# ---------------------------------------------------------------------------

alibi_slopes = FakeTensor([1.0, 2.0], "float32")  # a user tensor with ALiBi's name


def test_names_never_collide_with_alibi():
    spec = Spec(alibi_slopes=SLOPES, score_mod=lambda s, b, h, q, k: s + alibi_slopes[h % 2])
    text, refs = spec.to_attn(dtype="bf16", qk_head_dim=64, v_head_dim=64)
    assert [r.name for r in refs] == ["alibi_slopes", "alibi_slopes_1"]
    assert "+ alibi_slopes_1[h % 2]" in text


def test_tensor_shared_by_mask_and_score_declared_once():
    spec = Spec(mask_mod=doc_mask, score_mod=lambda s, b, h, q, k: s + DOC[q])
    text, refs = spec.to_attn(dtype="bf16", qk_head_dim=64, v_head_dim=64)
    assert [r.name for r in refs] == ["DOC"]
    assert text.count("tensor DOC") == 1 and "score    = score + DOC[q];" in text


def test_alibi_slopes_passed_as_the_same_tensor_in_score_mod():
    spec = Spec(alibi_slopes=SLOPES, score_mod=lambda s, b, h, q, k: s * SLOPES[h])
    text, refs = spec.to_attn(dtype="bf16", qk_head_dim=64, v_head_dim=64)
    assert [r.name for r in refs] == ["alibi_slopes"]
    assert "* alibi_slopes[h];" in text


# ---------------------------------------------------------------------------
# Semantics of masks and scores, with seq_q != seq_k
# ---------------------------------------------------------------------------

SHAPES = [(8, 8), (5, 9), (9, 5), (1, 7)]


def ref_mask(spec: Spec, q, k, sq, sk) -> bool:
    """The definition, stated directly."""
    def aligned(align):
        return q + (sk - sq if align == "bottom_right" else 0)

    ok = True
    causal = spec.align if spec.causal is True else (spec.causal or None)
    if causal:
        ok &= k <= aligned(causal)
    w = spec.window
    if w is not None:
        left, right = (w, 0) if isinstance(w, int) else w
        qa = aligned(spec.align)
        if left >= 0:
            ok &= qa - left <= k
        if right >= 0:
            ok &= k <= qa + right
    return ok


MASK_SPECS = [
    dict(causal=c, window=w, align=a)
    for c in (False, True, "top_left", "bottom_right")
    for w in (None, 0, 3, (2, 1), (-1, 2), (3, -1), (0, 0), (-1, 0), (-1, -1))
    for a in ("top_left", "bottom_right")
]


def _mask_text(spec: Spec):
    text, refs = spec.to_attn(dtype="bf16", qk_head_dim=64, v_head_dim=64)
    return parse_variant(text)["props"].get("mask", "none"), refs


@pytest.mark.parametrize("kw", MASK_SPECS, ids=[f"{s['causal']}-{s['window']}-{s['align']}" for s in MASK_SPECS])
def test_mask_semantics(kw):
    spec = Spec(**kw)
    ev = AttnExpr(_mask_text(spec)[0])
    for sq, sk in SHAPES:
        for q, k in itertools.product(range(sq), range(sk)):
            assert ev(q=q, k=k, seq_q=sq, seq_k=sk) == ref_mask(spec, q, k, sq, sk), (kw, q, k, sq, sk)


def flash_attn_visible(q, k, sq, sk, causal, window_size):
    """flash-attn 2.x: key j is visible to query i iff
    i + sk - sq - left <= j <= i + sk - sq + right (-1: unbounded side),
    causal meaning right = 0."""
    left, right = window_size
    if causal:
        right = 0
    d = q + sk - sq
    return (left < 0 or d - left <= k) and (right < 0 or k <= d + right)


FA = [(c, w) for c in (False, True) for w in ((-1, -1), (2, 0), (0, 0), (3, 2), (-1, 1), (2, -1), (-5, -7))]


@pytest.mark.parametrize("causal,window", FA, ids=[f"{c}-{w}" for c, w in FA])
def test_from_flash_attn_semantics(causal, window):
    spec = Spec.from_flash_attn(causal=causal, window_size=window)
    ev = AttnExpr(_mask_text(spec)[0])
    for sq, sk in SHAPES:
        for q, k in itertools.product(range(sq), range(sk)):
            assert ev(q=q, k=k, seq_q=sq, seq_k=sk) == flash_attn_visible(q, k, sq, sk, causal, window)


def _score_eval(spec: Spec):
    text, refs = spec.to_attn(dtype="bf16", qk_head_dim=64, v_head_dim=64)
    return AttnExpr(parse_variant(text)["props"]["score"], context="score",
                    tensors={r.name: r.tensor for r in refs}, kinds={r.name: r.kind for r in refs})


@pytest.mark.parametrize("align", ["top_left", "bottom_right"])
@pytest.mark.parametrize("slopes", [SLOPES, SLOPES_BH], ids=["heads", "batch_heads"])
def test_alibi_softcap_score_mod_semantics(align, slopes):
    spec = Spec(alibi_slopes=slopes, softcap=7.0, align=align,
                score_mod=lambda s, b, h, q, k: s * 0.5 + (k - q) % 3)
    ev = _score_eval(spec)
    for sq, sk in SHAPES:
        for b, h, q, k in itertools.product(range(2), range(4), range(sq), range(sk)):
            for s in (-20.0, -1.5, 0.0, 2.25, 40.0):
                slope = slopes.data[h] if len(slopes.shape) == 1 else slopes.data[b][h]
                dist = abs(q + (sk - sq if align == "bottom_right" else 0) - k)
                v = 7.0 * math.tanh(s / 7.0) - slope * dist
                want = v * 0.5 + (k - q) % 3
                got = ev(b=b, h=h, q=q, k=k, seq_q=sq, seq_k=sk, score=s)
                assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_mask_mod_semantics_combined_with_window():
    spec = Spec(causal="bottom_right", mask_mod=doc_mask)
    text, refs = spec.to_attn(dtype="bf16", qk_head_dim=64, v_head_dim=64)
    ev = AttnExpr(parse_variant(text)["props"]["mask"], tensors={r.name: r.tensor for r in refs})
    for sq, sk in ((10, 10), (4, 10)):
        for q, k in itertools.product(range(sq), range(sk)):
            want = k <= q + sk - sq and DOC.data[q] == DOC.data[k]
            assert ev(q=q, k=k, seq_q=sq, seq_k=sk) == want


# ---------------------------------------------------------------------------
# from_flash_attn
# ---------------------------------------------------------------------------

FROM_FA = [
    ("defaults", dict(), dict(causal=False, window=None, align="bottom_right", softcap=None, scale=None)),
    ("causal", dict(causal=True), dict(causal=True, window=None)),
    ("causal_window_keeps_left", dict(causal=True, window_size=(128, 64)), dict(causal=True, window=(128, 0))),
    ("local", dict(window_size=(128, 16)), dict(causal=False, window=(128, 16))),
    ("negative_is_unbounded", dict(window_size=(-3, 4)), dict(window=(-1, 4))),
    ("softcap_zero_off", dict(softcap=0.0), dict(softcap=None)),
    ("softcap", dict(softcap=30.0), dict(softcap=30.0)),
    ("scale_dropout", dict(softmax_scale=0.1, dropout_p=0.2), dict(scale=0.1, dropout_p=0.2)),
    ("alibi", dict(alibi_slopes=SLOPES), dict(alibi_slopes=SLOPES)),
    ("list_window", dict(window_size=[4, 4]), dict(window=(4, 4))),
    ("none_window", dict(window_size=None), dict(window=None)),
]


@pytest.mark.parametrize("kw,fields", [f[1:] for f in FROM_FA], ids=[f[0] for f in FROM_FA])
def test_from_flash_attn_fields(kw, fields):
    spec = Spec.from_flash_attn(**kw)
    for key, want in fields.items():
        got = getattr(spec, key)
        assert got is want if key == "alibi_slopes" else got == want, (key, got, want)


def test_from_flash_attn_text():
    spec = Spec.from_flash_attn(True, (256, -1), 50.0, SLOPES_BH, 0.0, None)
    assert spec.to_attn(dtype="f16", qk_head_dim=128, v_head_dim=128, backward=False)[0] == (
        "attention spec {\n  dtype    = f16;\n  head_dim = 128;\n"
        "  tensor alibi_slopes : f32[batch, heads];\n"
        "  mask     = sliding_window(left = 256, right = 0, align = bottom_right);\n"
        "  score    = 50.0 * tanh(score / 50.0) - alibi_slopes[b, h] * abs(q + seq_k - seq_q - k);\n}\n")


def test_from_flash_attn_shape_only_slopes():
    """flash_attn_interface passes an object with only .shape and a dtype
    string while making the text."""

    class ShapeOnly:
        def __init__(self, shape):
            self.shape = tuple(shape)
            self.dtype = "torch.float32"

    text, refs = Spec.from_flash_attn(alibi_slopes=ShapeOnly((1,))).to_attn(
        dtype="bf16", qk_head_dim=64, v_head_dim=64)
    assert "tensor alibi_slopes : f32[heads];" in text and refs[0].dims == ("heads",)


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

BAD = [
    ("causal_str", dict(causal="yes"), "Spec.causal"),
    ("causal_int", dict(causal=1), "Spec.causal"),
    ("window_negative", dict(window=-5), "Spec.window"),
    ("window_pair_negative", dict(window=(4, -2)), "Spec.window"),
    ("window_triple", dict(window=(1, 2, 3)), "Spec.window"),
    ("window_float", dict(window=2.5), "Spec.window"),
    ("window_huge", dict(window=(2**40, 0)), "Spec.window"),
    ("align", dict(align="center"), "Spec.align"),
    ("softcap_negative", dict(softcap=-1.0), "Spec.softcap"),
    ("softcap_inf", dict(softcap=math.inf), "Spec.softcap"),
    ("softcap_str", dict(softcap="30"), "Spec.softcap"),
    ("alibi_rank", dict(alibi_slopes=FakeTensor([[[1.0]]], "float32")), "Spec.alibi_slopes"),
    ("alibi_not_tensor", dict(alibi_slopes=[0.5, 0.25]), "Spec.alibi_slopes"),
    ("alibi_int", dict(alibi_slopes=FakeTensor([1, 2], "int32")), "Spec.alibi_slopes"),
    ("dropout_one", dict(dropout_p=1.0), "Spec.dropout_p"),
    ("dropout_negative", dict(dropout_p=-0.1), "Spec.dropout_p"),
    ("mask_mod", dict(mask_mod=3), "Spec.mask_mod"),
    ("score_mod", dict(score_mod="x"), "Spec.score_mod"),
    ("scale_zero", dict(scale=0.0), "Spec.scale"),
    ("scale_negative", dict(scale=-1), "Spec.scale"),
    ("scale_nan", dict(scale=math.nan), "Spec.scale"),
    ("name", dict(name="my spec"), "Spec.name"),
    ("name_keyword", dict(name="true"), "Spec.name"),
]


@pytest.mark.parametrize("kw,needle", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_invalid_keywords(kw, needle):
    with pytest.raises(SpecError, match=needle.replace(".", r"\.")):
        Spec(**kw)


def test_validated_again_in_to_attn():
    spec = Spec()
    spec.window = -3
    with pytest.raises(SpecError, match=r"Spec\.window"):
        spec.to_attn(dtype="bf16", qk_head_dim=64, v_head_dim=64)


@pytest.mark.parametrize("args,error,needle", [
    (dict(dtype="fp32"), SpecError, "dtype"),
    (dict(dtype="fp8_e5m2"), UnsupportedError, "dtype"),
    (dict(qk_head_dim=0), SpecError, "qk_head_dim"),
    (dict(v_head_dim=60), UnsupportedError, "v_head_dim"),
    (dict(qk_head_dim=512, v_head_dim=512), UnsupportedError, "qk_head_dim"),
], ids=["dtype", "fp8_e5m2", "zero_dim", "dim_not_multiple_of_8", "dim_too_large"])
def test_invalid_to_attn_arguments(args, error, needle):
    full = dict(dtype="bf16", qk_head_dim=64, v_head_dim=64)
    full.update(args)
    with pytest.raises(error, match=needle):
        Spec().to_attn(**full)


@pytest.mark.parametrize("kw,needle", [
    (dict(window_size=(1,)), "window_size"),
    (dict(window_size=(1.5, 2)), "window_size"),
    (dict(causal="bottom_right"), "causal"),
    (dict(softcap=-2.0), "Spec.softcap"),
    (dict(dropout_p=1.5), "Spec.dropout_p"),
], ids=["window_len", "window_float", "causal_str", "softcap", "dropout"])
def test_invalid_flash_attn_arguments(kw, needle):
    with pytest.raises(SpecError, match=needle.replace(".", r"\.")):
        Spec.from_flash_attn(**kw)


def test_trace_errors_surface_as_spec_errors():
    def bad(b, h, q_idx, kv_idx):
        return q_idx > 3 and kv_idx > 3

    with pytest.raises(TraceError, match=r"test_spec\.py:\d+"):
        Spec(mask_mod=bad).to_attn(dtype="bf16", qk_head_dim=64, v_head_dim=64)
    assert issubclass(TraceError, SpecError)


# ---------------------------------------------------------------------------
# Determinism, cache keys, dataclass behaviour
# ---------------------------------------------------------------------------


def test_deterministic_and_cache_key():
    def make(slopes, doc):
        return Spec(causal=True, alibi_slopes=slopes,
                    mask_mod=lambda b, h, q, k: doc[q] == doc[k])

    args = dict(dtype="bf16", qk_head_dim=64, v_head_dim=64)
    a = make(SLOPES, DOC)
    assert a.to_attn(**args)[0] == a.to_attn(**args)[0]
    # Other tensors of the same shapes: same text, same key.
    b = make(FakeTensor([9.0] * 4, "float32"), FakeTensor([5] * 10, "int32"))
    assert a.cache_key(**args) == b.cache_key(**args)
    # Shape, dims, flags: different keys.
    c = make(SLOPES, FakeTensor([5] * 11, "int32"))
    keys = {a.cache_key(**args), c.cache_key(**args), a.cache_key(**dict(args, varlen=True)),
            a.cache_key(**dict(args, backward=False)), a.cache_key(**dict(args, dtype="f16"))}
    assert len(keys) == 5


def test_equality_and_replace():
    assert Spec(causal=True) == Spec(causal=True)
    assert Spec(causal=True) != Spec(causal="bottom_right")
    assert Spec(alibi_slopes=SLOPES) == Spec(alibi_slopes=SLOPES)
    assert Spec(alibi_slopes=SLOPES) != Spec(alibi_slopes=FakeTensor(SLOPES.data, "float32"))
    s = dataclasses.replace(Spec(causal=True), scale=0.5)
    assert s.scale == 0.5 and s.causal is True
    with pytest.raises(SpecError):
        dataclasses.replace(s, scale=-1.0)
    s.__dict__["_flashgen_id"] = 3  # api.py tags specs this way


# ---------------------------------------------------------------------------
# Torch tensors
# ---------------------------------------------------------------------------


def test_torch_tensors():
    torch = pytest.importorskip("torch")
    slopes = torch.tensor([0.5, 0.25], dtype=torch.float32)
    doc = torch.tensor([[0, 0, 1, 1], [0, 1, 1, 1]], dtype=torch.int32)
    bias = torch.zeros(2, 9, dtype=torch.float16)
    spec = Spec(causal=True, alibi_slopes=slopes,
                mask_mod=lambda b, h, q, k: doc[b, q] == doc[b, k],
                score_mod=lambda s, b, h, q, k: s + bias[h, torch.clamp(k - q, -4, 4) + 4])
    text, refs = spec.to_attn(dtype=torch.bfloat16, qk_head_dim=64, v_head_dim=64)
    assert [(r.name, r.kind, r.dims) for r in refs] == [
        ("alibi_slopes", "f32", ("heads",)), ("doc", "i32", ("2", "4")), ("bias", "f32", ("2", "9"))]
    assert "  mask     = causal && doc[b, q] == doc[b, k];\n" in text
    assert "  score    = score - alibi_slopes[h] * abs(q - k) + bias[h, clamp(k - q, -4, 4) + 4];\n" in text
    with pytest.raises(SpecError, match="alibi_slopes"):
        Spec(alibi_slopes=torch.ones(2, dtype=torch.int32))


# ---------------------------------------------------------------------------
# The real frontend
# ---------------------------------------------------------------------------


def _all_texts():
    out = [_text(**dict(kw)) for _, kw, _ in TEXTS]
    out += [Spec(**kw).to_attn(dtype="f16", qk_head_dim=64, v_head_dim=64)[0] for kw in MASK_SPECS]
    out += [Spec.from_flash_attn(c, w, alibi_slopes=SLOPES_BH, softcap=5.0).to_attn(
        dtype="bf16", qk_head_dim=128, v_head_dim=128, varlen=True)[0] for c, w in FA]
    return out


def test_texts_parse_in_the_model():
    for text in _all_texts():
        v = parse_variant(text)
        tensors = {n: FakeTensor([0] * 16, "float32") for n in v["tensors"]}
        for key, ctx in (("mask", "mask"), ("score", "score")):
            if key in v["props"]:
                AttnExpr(v["props"][key], context=ctx, tensors=tensors)


def test_flashgen_check_accepts_specs(flashgen_check, tmp_path):
    for i, text in enumerate(_all_texts()):
        path = tmp_path / f"spec{i}.attn"
        path.write_text(text)
    paths = sorted(tmp_path.glob("*.attn"))
    for path in paths:
        r = flashgen_check(path)
        assert r.returncode == 0, path.read_text() + r.stdout + r.stderr
        assert "warning" not in r.stderr, path.read_text() + r.stderr


def test_fp8_e4m3_is_a_forward_only_dtype(flashgen_check, tmp_path):
    # torch.float8_e4m3fn inputs: the text's dtype is fp8_e4m3 and it asks
    # for no backward pass (fp8 has a forward only); the frontend accepts it.
    text, _ = Spec().to_attn(dtype="float8_e4m3fn", qk_head_dim=128, v_head_dim=128)
    assert re.search(r"dtype\s*=\s*fp8_e4m3;", text), text
    assert "backward" not in text
    path = tmp_path / "fp8.attn"
    path.write_text(text)
    r = flashgen_check(path)
    assert r.returncode == 0, text + r.stdout + r.stderr
