"""Tests of flashgen.trace: FlexAttention-style functions -> .attn text.

Three kinds of checks, each table-driven:

* the common FlexAttention collections trace to the expected, readable text;
* the text means what the function means: it is evaluated with the
  compiler's C semantics (tests/_attn_eval.py) on a grid of indices and
  compared with the function run in Python (and, with torch, on torch
  tensors and through Flex's own create_mask), so floor division and
  modulo of negative values are proven exact;
* every construct that cannot be traced raises TraceError naming the
  construct and this file's line.

Most tests need no torch: they use plain Python functions and FakeTensor
(tests/_attn_eval.py), a minimal tensor-like whose indexing forwards traced
indices to ``__torch_function__`` the way torch does. Tests marked by
``pytest.importorskip("torch")`` repeat the checks with real torch; the
ones using the ``flashgen_check`` fixture (conftest.py) run the real
frontend (``flashgen check``) when build/bin/flashgen exists.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import math
import subprocess
import sys
from pathlib import Path

import pytest

from _attn_eval import AttnExpr, FakeTensor
from flashgen.errors import FlashgenError, SpecError, TraceError
from flashgen.trace import TensorRef, Traced, trace_mask_mod, trace_score_mod

HERE = Path(__file__).resolve().parent

N = 12  # grid size for the semantic checks
W = 4
PREFIX = 5
SOFTCAP = 30.0
document_id = FakeTensor([0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 3])
doc_b = FakeTensor([[0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 3], [0, 1, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4]])
prefix_lengths = FakeTensor([3, 7])
slopes = FakeTensor([0.5, 0.25, 0.125, 0.0625], "float32")
bias = FakeTensor([[0.01 * (h + 1) * (i - N) for i in range(2 * N + 1)] for h in range(4)], "float32")
block = FakeTensor([[(i * 7 + j * 3) % 5 < 3 for j in range(N)] for i in range(N)], "bool")


# ---------------------------------------------------------------------------
# The FlexAttention collections
# ---------------------------------------------------------------------------


def causal_mask(b, h, q_idx, kv_idx):
    return q_idx >= kv_idx


def sliding_window(b, h, q_idx, kv_idx):
    return (q_idx - kv_idx <= W) & (q_idx >= kv_idx)


def prefix_lm_int(b, h, q_idx, kv_idx):
    return (kv_idx <= PREFIX) | (q_idx >= kv_idx)


def prefix_lm_tensor(b, h, q_idx, kv_idx):
    return (kv_idx <= prefix_lengths[b]) | (q_idx >= kv_idx)


def document_mask(b, h, q_idx, kv_idx):
    return document_id[q_idx] == document_id[kv_idx]


def document_batched(b, h, q_idx, kv_idx):
    return doc_b[b, q_idx] == doc_b[b, kv_idx]


def document_causal(b, h, q_idx, kv_idx):
    return causal_mask(b, h, q_idx, kv_idx) & document_mask(b, h, q_idx, kv_idx)


def dilated(b, h, q_idx, kv_idx):
    return (q_idx - kv_idx) % 4 == 0


def chunked(b, h, q_idx, kv_idx):
    return q_idx // 4 == kv_idx // 4


def block_lookup(b, h, q_idx, kv_idx):
    return block[q_idx, kv_idx]


def everything(b, h, q_idx, kv_idx):
    return True


def alibi(score, b, h, q_idx, kv_idx):
    return score + slopes[h] * (kv_idx - q_idx)


def softcap_method(score, b, h, q_idx, kv_idx):
    return SOFTCAP * (score / SOFTCAP).tanh()


def relative_position(score, b, h, q_idx, kv_idx):
    return score + (q_idx - kv_idx)


def relative_bias(score, b, h, q_idx, kv_idx):
    return score + bias[h, q_idx - kv_idx + N]


def identity(score, b, h, q_idx, kv_idx):
    return score


def int_score(score, b, h, q_idx, kv_idx):
    return q_idx - kv_idx


# (id, function, role, expected text, expected tensors (name, kind, dims),
#  reference for the semantic check: None = the function itself)
COLLECTION = [
    ("causal", causal_mask, "mask", "q >= k", [], None),
    ("sliding_window", sliding_window, "mask", "q - k <= 4 && q >= k", [], None),
    ("prefix_lm_int", prefix_lm_int, "mask", "k <= 5 || q >= k", [], None),
    ("prefix_lm_tensor", prefix_lm_tensor, "mask", "k <= prefix_lengths[b] || q >= k",
     [("prefix_lengths", "i32", ("2",))], None),
    ("document", document_mask, "mask", "document_id[q] == document_id[k]",
     [("document_id", "i32", ("12",))], None),
    ("document_batched", document_batched, "mask", "doc_b[b, q] == doc_b[b, k]",
     [("doc_b", "i32", ("2", "12"))], None),
    ("document_causal", document_causal, "mask", "q >= k && document_id[q] == document_id[k]",
     [("document_id", "i32", ("12",))], None),
    ("dilated", dilated, "mask", "(q - k) % 4 == 0", [], None),
    ("chunked", chunked, "mask", "q / 4 == k / 4", [], None),
    ("bool_tensor", block_lookup, "mask", "block[q, k] != 0", [("block", "i32", ("12", "12"))], None),
    ("constant_true", everything, "mask", "true", [], None),
    ("alibi", alibi, "score", "score + slopes[h] * (k - q)", [("slopes", "f32", ("4",))], None),
    ("softcap", softcap_method, "score", "30.0 * tanh(score / 30.0)", [],
     lambda s, b, h, q, k: SOFTCAP * math.tanh(s / SOFTCAP)),
    ("relative_position", relative_position, "score", "score + (q - k)", [], None),
    ("relative_bias", relative_bias, "score", "score + bias[h, q - k + 12]",
     [("bias", "f32", ("4", "25"))], None),
    ("identity", identity, "score", "score", [], None),
    ("int_result", int_score, "score", "float(q - k)", [], None),
]


def _trace(fn, role):
    return trace_mask_mod(fn) if role == "mask" else trace_score_mod(fn)


def _tensors_of(traced: Traced) -> dict:
    return {r.name: r.tensor for r in traced.tensors}


SCORES = [-7.25, -1.0, 0.0, 0.5, 3.0, 11.75]


def _grid(role):
    for b, h, q, k in itertools.product(range(2), range(4), range(N), range(N)):
        if role == "mask":
            yield dict(b=b, h=h, q=q, k=k)
        else:
            for s in SCORES[:: (3 if (q + k) % 2 else 2)]:
                yield dict(b=b, h=h, q=q, k=k, score=s)


def _python_value(fn, role, env):
    args = (env["b"], env["h"], env["q"], env["k"])
    return fn(*args) if role == "mask" else fn(env["score"], *args)


def assert_same_semantics(fn, role, text, tensors, ref=None, grid=None):
    """The .attn text, evaluated with C semantics, equals ``ref`` (default
    ``fn``) run in Python, wherever the Python side does not raise."""
    ev = AttnExpr(text, context="mask" if role == "mask" else "score", tensors=tensors)
    ref = ref or fn
    checked = 0
    for env in grid or _grid(role):
        try:
            want = _python_value(ref, role, env)
        except ZeroDivisionError:
            continue
        got = ev(seq_q=N, seq_k=N, **env)
        if role == "mask":
            assert type(got) is bool, (text, env, got)
            assert got == bool(want), (text, env, got, want)
        else:
            assert isinstance(got, float), (text, env, got)
            assert got == pytest.approx(float(want), rel=1e-12, abs=1e-12), (text, env, got, want)
        checked += 1
    assert checked > 0


@pytest.mark.parametrize("fn,role,expected,tensors,ref", [c[1:] for c in COLLECTION],
                         ids=[c[0] for c in COLLECTION])
def test_collection_text(fn, role, expected, tensors, ref):
    traced = _trace(fn, role)
    assert traced.expr == expected
    assert [(r.name, r.kind, r.dims) for r in traced.tensors] == tensors


@pytest.mark.parametrize("fn,role,expected,tensors,ref", [c[1:] for c in COLLECTION],
                         ids=[c[0] for c in COLLECTION])
def test_collection_semantics(fn, role, expected, tensors, ref):
    traced = _trace(fn, role)
    assert_same_semantics(fn, role, traced.expr, _tensors_of(traced), ref)


def test_evaluator_has_c_semantics():
    """The model the semantic tests rely on: C division and remainder,
    fmod, int -> float promotion, and the frontend's type errors."""
    from _attn_eval import AttnSyntaxError, AttnTypeError

    def ev(text, **env):
        return AttnExpr(text, context="score")(**env)

    assert ev("-7 / 2") == -3 and ev("-7 % 2") == -1 and ev("7 % -2") == 1 and ev("7 / -2") == -3
    assert ev("7.5 % -2.0") == math.fmod(7.5, -2.0) and ev("q / 2.0", q=3) == 1.5
    assert ev("q > 1 ? 1 : 2.5", q=3) == 1.0 and isinstance(ev("q > 1 ? 1 : 2.5", q=3), float)
    assert ev("-2147483647 - 1") == -(2**31)
    for bad in ("q + true", "!q", "q && k", "abs(q, k)", "t[q]", "q ? 1 : 2"):
        with pytest.raises(AttnTypeError):
            ev(bad, q=1, k=2)
    for bad in ("2147483648", "q +", "1.5.2", "3abc", "q & k"):
        with pytest.raises(AttnSyntaxError):
            ev(bad)
    with pytest.raises(AttnTypeError):
        AttnExpr("score > 0")()  # score only in the score expression


def test_traced_is_a_value():
    a, b = trace_mask_mod(document_mask), trace_mask_mod(document_mask)
    assert a == b and a.tensors[0] == b.tensors[0]
    assert a.tensors[0].tensor is document_id
    assert a.tensors[0].declaration() == "tensor document_id : i32[12];"
    with pytest.raises(Exception):
        a.expr = "x"  # frozen


# ---------------------------------------------------------------------------
# Integer and float semantics: Python floors, C truncates
# ---------------------------------------------------------------------------

# Score mods returning numbers: the int ones come back as float(...); all
# are compared with Python's own evaluation on the grid (negative values
# included: q - k, k - 5 ... change sign across it).
ARITH = [
    ("floordiv_pos", lambda s, b, h, q, k: (q - k) // 3),
    ("floordiv_neg_literal", lambda s, b, h, q, k: (q - k) // -3),
    ("floordiv_symbolic", lambda s, b, h, q, k: (q - 7) // (k - 5)),
    ("floordiv_nonneg", lambda s, b, h, q, k: q // 4 + k // 3),
    ("floordiv_nonneg_symbolic", lambda s, b, h, q, k: q // (k + 1)),
    ("floordiv_neg_dividend", lambda s, b, h, q, k: -q // 4),
    ("floordiv_reflected", lambda s, b, h, q, k: 100 // (k - 5)),
    ("mod_pos", lambda s, b, h, q, k: (q - k) % 3),
    ("mod_neg_literal", lambda s, b, h, q, k: (q - k) % -3),
    ("mod_symbolic", lambda s, b, h, q, k: (q - 7) % (k - 5)),
    ("mod_nonneg", lambda s, b, h, q, k: q % (k + 1)),
    ("mod_reflected", lambda s, b, h, q, k: 100 % (k - 5)),
    ("mod_of_floordiv", lambda s, b, h, q, k: ((q - 2 * k) // 3) % 4),
    ("divmod", lambda s, b, h, q, k: divmod(q - k, 3)[0] * 10 + divmod(q - k, 3)[1]),
    ("abs_floordiv", lambda s, b, h, q, k: abs(q - k) // 2),
    ("invert", lambda s, b, h, q, k: ~(q - k)),
    ("pow", lambda s, b, h, q, k: (q - k) ** 2 - q ** 3),
    ("negative_literals", lambda s, b, h, q, k: q + -3 - -k * -2),
    ("int32_min", lambda s, b, h, q, k: q + (-2147483647 - 1) - (-2147483647 - 1)),
    ("truediv_ints", lambda s, b, h, q, k: (q - k) / 4),
    ("truediv_symbolic", lambda s, b, h, q, k: q / (k + 1)),
    ("truediv_reflected", lambda s, b, h, q, k: 3 / (k + 1)),
    ("float_mod_pos", lambda s, b, h, q, k: s % 2.5),
    ("float_mod_neg", lambda s, b, h, q, k: s % -2.5),
    ("float_mod_symbolic", lambda s, b, h, q, k: s % (k - 5)),
    ("float_mod_nonneg", lambda s, b, h, q, k: (s * s) % (k + 1.5)),
    ("mixed", lambda s, b, h, q, k: s * 2 + q / 3 - (k - q) * 0.5),
    ("bool_as_int", lambda s, b, h, q, k: (q >= k) * 3 + 1),
    ("big_constant", lambda s, b, h, q, k: s * 2**40),
]


@pytest.mark.parametrize("fn", [f for _, f in ARITH], ids=[i for i, _ in ARITH])
def test_arithmetic_semantics(fn):
    traced = trace_score_mod(fn)
    assert_same_semantics(fn, "score", traced.expr, {})


# Expected texts: C forms where the operands are provably >= 0, formulas
# elsewhere, and the floor modulo's C remainder when compared with zero.
ARITH_TEXT = [
    ("floordiv_nonneg", "float(q / 4 + k / 3)"),
    ("floordiv_nonneg_symbolic", "float(q / (k + 1))"),
    ("floordiv_pos", "float((q - k) % 3 < 0 ? (q - k) / 3 - 1 : (q - k) / 3)"),
    ("floordiv_neg_literal", "float((q - k) % -3 > 0 ? (q - k) / -3 - 1 : (q - k) / -3)"),
    ("mod_nonneg", "float(q % (k + 1))"),
    ("mod_pos", "float((q - k) % 3 < 0 ? (q - k) % 3 + 3 : (q - k) % 3)"),
    ("abs_floordiv", "float(abs(q - k) / 2)"),
    ("invert", "float(-(q - k) - 1)"),
    ("negative_literals", "float(q - 3 - -k * -2)"),
    ("int32_min", "float(q + (-2147483647 - 1) - (-2147483647 - 1))"),
    ("truediv_ints", "(q - k) / 4.0"),
    ("truediv_symbolic", "float(q) / (k + 1)"),
    ("truediv_reflected", "3.0 / (k + 1)"),
    ("float_mod_pos", "score % 2.5 < 0.0 ? score % 2.5 + 2.5 : score % 2.5"),
    ("bool_as_int", "float((q >= k ? 1 : 0) * 3 + 1)"),
    ("big_constant", "score * 1099511627776.0"),
]


@pytest.mark.parametrize("name,expected", ARITH_TEXT, ids=[n for n, _ in ARITH_TEXT])
def test_arithmetic_text(name, expected):
    fn = dict(ARITH)[name]
    assert trace_score_mod(fn).expr == expected


MASKS = [
    ("mod_zero", lambda b, h, q, k: (q - k) % 4 == 0, "(q - k) % 4 == 0"),
    ("mod_nonzero_reversed", lambda b, h, q, k: 0 != (k - q) % 3, "(k - q) % 3 != 0"),
    ("mod_compared_nonzero", lambda b, h, q, k: (q - k) % 4 == 1,
     "((q - k) % 4 < 0 ? (q - k) % 4 + 4 : (q - k) % 4) == 1"),
    ("floordiv_blocks", lambda b, h, q, k: (q - 3) // 4 == (k - 3) // 4, None),
    ("literal_on_left", lambda b, h, q, k: 3 < q, "q > 3"),
    ("xor", lambda b, h, q, k: (q < 5) ^ (k < 5), "(q < 5) != (k < 5)"),
    ("and_or", lambda b, h, q, k: (q >= k) & (k > 2) | (q == 0), "(q >= k && k > 2) || q == 0"),
    ("or_and", lambda b, h, q, k: (q == 0) | (k > 2) & (q >= k), "q == 0 || (k > 2 && q >= k)"),
    ("bool_eq", lambda b, h, q, k: (q < 5) == (k < 5), "(q < 5) == (k < 5)"),
    ("bool_const_and", lambda b, h, q, k: (q >= k) & True, "q >= k"),
    ("bool_const_or", lambda b, h, q, k: False | (q >= k), "q >= k"),
    ("bool_const_false", lambda b, h, q, k: (q >= k) & False, "false"),
    ("window_abs", lambda b, h, q, k: abs(q - k) <= 2, "abs(q - k) <= 2"),
    ("batch_head", lambda b, h, q, k: (b == 1) & (h % 2 == 0) | (q == k), "(b == 1 && h % 2 == 0) || q == k"),
]


@pytest.mark.parametrize("fn,expected", [m[1:] for m in MASKS], ids=[m[0] for m in MASKS])
def test_mask_semantics(fn, expected):
    traced = trace_mask_mod(fn)
    if expected is not None:
        assert traced.expr == expected
    # Python's & | on bools and its floor semantics are torch's.
    assert_same_semantics(fn, "mask", traced.expr, {})


def test_mask_semantics_with_negative_indices():
    """Sign analysis must not assume anything about lookups: values read
    from a tensor may be negative."""
    vals = FakeTensor([-9, -5, -4, -1, 0, 3, 4, 7, -12, 11, -3, 2])
    fn = lambda b, h, q, k: vals[q] // 4 == vals[k] % 3  # noqa: E731
    traced = trace_mask_mod(fn)
    assert "vals[q] / 4" not in traced.expr.split("?")[0]  # not the plain C form
    assert_same_semantics(fn, "mask", traced.expr, _tensors_of(traced))


# ---------------------------------------------------------------------------
# Tensor names
# ---------------------------------------------------------------------------


def _make_closure_mask():
    table = FakeTensor(list(range(N)))
    return lambda b, h, q_idx, kv_idx: table[q_idx] <= table[kv_idx]


def _make_reserved_name_mask():
    q = FakeTensor(list(range(N)))
    score = FakeTensor([1.0] * N, "float32")
    return lambda b, h, q_idx, kv_idx: (q[q_idx] >= 0) & (score[kv_idx] > 0.0)


class _Holder:
    def __init__(self):
        self.bias = FakeTensor([0.5] * 4, "float32")

    def score_mod(self, score, b, h, q_idx, kv_idx):
        return score + self.bias[h]


def _default_arg_mask(b, h, q_idx, kv_idx, ids=document_id):
    return ids[q_idx] == ids[kv_idx]


def _odd_attr_holder():
    class Obj:
        pass

    o = Obj()
    setattr(o, "my-table", FakeTensor([1, 2, 3]))
    return o


_ODD = _odd_attr_holder()


def _make_helper():
    lens = FakeTensor([2, 4, 6])

    def helper(x):  # the tensor is in the helper's closure, not the mask's
        return lens[x]

    return helper


_helper = _make_helper()


class _CallableMask:
    def __init__(self):
        self.table = FakeTensor([1, 0, 1])

    def __call__(self, b, h, q_idx, kv_idx):
        return self.table[q_idx] == 1
_TABLES = {"x": FakeTensor([1, 2, 3])}
attention = FakeTensor([1, 2, 3])  # an .attn keyword as a Python name


NAMING = [
    ("closure", _make_closure_mask(), "table[q] <= table[k]", ["table"]),
    ("global", document_mask, "document_id[q] == document_id[k]", ["document_id"]),
    ("default_argument", _default_arg_mask, "ids[q] == ids[k]", ["ids"]),
    ("reserved_names", _make_reserved_name_mask(), "q_1[q] >= 0 && score_1[k] > 0.0", ["q_1", "score_1"]),
    ("keyword", lambda b, h, q, k: attention[q] > 1, "attention_1[q] > 1", ["attention_1"]),
    ("partial_keyword", functools.partial(lambda b, h, q, k, t=None: t[k] > 1, t=FakeTensor([1, 2])),
     "t[k] > 1", ["t"]),
    ("attribute_sanitized", lambda b, h, q, k: getattr(_ODD, "my-table")[q] > 1, "my_table[q] > 1",
     ["my_table"]),
    ("fallback", lambda b, h, q, k: _TABLES["x"][q] > 1, "t0[q] > 1", ["t0"]),
    ("helper_closure", lambda b, h, q, k: _helper(q) < _helper(k), "lens[q] < lens[k]", ["lens"]),
    ("callable_object", _CallableMask(), "table[q] == 1", ["table"]),
]


@pytest.mark.parametrize("fn,expected,names", [n[1:] for n in NAMING], ids=[n[0] for n in NAMING])
def test_tensor_names(fn, expected, names):
    traced = trace_mask_mod(fn)
    assert traced.expr == expected
    assert [r.name for r in traced.tensors] == names


def test_method_attribute_name():
    traced = trace_score_mod(_Holder().score_mod)
    assert traced.expr == "score + bias[h]"
    assert traced.tensors[0].kind == "f32" and traced.tensors[0].dims == ("4",)


def test_known_tensors_keep_their_names():
    other = FakeTensor([1, 2, 3])
    known = [TensorRef("doc", document_id, "i32", ("12",)), TensorRef("document_id", other, "i32", ("3",))]
    traced = trace_mask_mod(document_mask, known=known)
    assert traced.expr == "doc[q] == doc[k]"
    assert traced.tensors == (known[0],)
    # A new tensor never takes a known name.
    t2 = trace_mask_mod(lambda b, h, q, k: document_id[q] == other[k] , known=known[1:])
    assert t2.expr == "document_id_1[q] == document_id[k]"


def test_same_tensor_once_distinct_tensors_twice():
    a = FakeTensor([1, 2, 3])
    b_ = FakeTensor([1, 2, 3])  # equal contents, another tensor
    traced = trace_mask_mod(lambda b, h, q, k: (a[q] == a[k]) & (b_[q] == a[q]))
    assert traced.expr == "a[q] == a[k] && b_[q] == a[q]"
    assert [r.tensor for r in traced.tensors] == [a, b_]


def test_constant_negative_index_wraps():
    traced = trace_mask_mod(lambda b, h, q, k: doc_b[-1, q] == doc_b[0, k])
    assert traced.expr == "doc_b[1, q] == doc_b[0, k]"


def test_tensor_methods_on_traced_values():
    fn = lambda s, b, h, q, k: s.where(q >= k, s.abs().sqrt()) + (q - k).float().clamp(-2, 2)  # noqa: E731
    assert trace_score_mod(fn).expr == "(q >= k ? score : sqrt(abs(score))) + clamp(float(q - k), -2, 2)"
    x = trace_score_mod(lambda s, b, h, q, k: (s * s) % 2.0)  # a square is >= 0: plain fmod
    assert x.expr == "score * score % 2.0"
    assert len({hash(trace_mask_mod(causal_mask))}) == 1  # Traced is hashable


def test_zero_dim_tensor_is_a_constant():
    c = FakeTensor(2.5, "float32")
    i = FakeTensor(7, "int64")
    assert trace_score_mod(lambda s, b, h, q, k: s * c + i).expr == "score * 2.5 + 7"


def test_works_without_torch_imported():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from flashgen.trace import trace_mask_mod, trace_score_mod\n"
        "print(trace_mask_mod(lambda b, h, q, k: (q - k) // 2 == 0).expr)\n"
        "print(trace_score_mod(lambda s, b, h, q, k: s.tanh() * 2).expr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(HERE.parent), check=True).stdout.split("\n")
    assert out[0] == "((q - k) % 2 < 0 ? (q - k) / 2 - 1 : (q - k) / 2) == 0"
    assert out[1] == "tanh(score) * 2"


# ---------------------------------------------------------------------------
# Errors: TraceError naming the construct and this file's line
# ---------------------------------------------------------------------------

lst = [1, 2, 3]


def e_if(b, h, q_idx, kv_idx):
    if q_idx > kv_idx:  # ERR
        return q_idx >= 0
    return q_idx < 0


def e_and(b, h, q_idx, kv_idx):
    return (q_idx > 0) and (kv_idx > 0)  # ERR


def e_or(b, h, q_idx, kv_idx):
    return (q_idx > 0) or (kv_idx > 0)  # ERR


def e_not(b, h, q_idx, kv_idx):
    return not (q_idx > kv_idx)  # ERR


def e_bool(b, h, q_idx, kv_idx):
    return bool(q_idx > kv_idx)  # ERR


def e_chained(b, h, q_idx, kv_idx):
    return 0 <= q_idx - kv_idx < 4  # ERR


def e_builtin_max(b, h, q_idx, kv_idx):
    return max(q_idx, kv_idx) > 3  # ERR


def e_int(b, h, q_idx, kv_idx):
    return int(q_idx) > 3  # ERR


def e_float(score, b, h, q_idx, kv_idx):
    return float(score) * 2  # ERR


def e_math(score, b, h, q_idx, kv_idx):
    return math.tanh(score)  # ERR


def e_math_floor(score, b, h, q_idx, kv_idx):
    return score + math.floor(q_idx / 2)  # ERR


def e_list_index(b, h, q_idx, kv_idx):
    return lst[q_idx] > 1  # ERR


def e_range(b, h, q_idx, kv_idx):
    return len(range(q_idx)) > 1  # ERR


def e_len(b, h, q_idx, kv_idx):
    return len(q_idx) > 1  # ERR


def e_iter(b, h, q_idx, kv_idx):
    return sum(x for x in q_idx) > 1  # ERR


def e_bitwise_int(b, h, q_idx, kv_idx):
    return (q_idx & kv_idx) == 0  # ERR


def e_float_floordiv(score, b, h, q_idx, kv_idx):
    return score // 2  # ERR


def e_pow(b, h, q_idx, kv_idx):
    return q_idx ** kv_idx > 2  # ERR


def e_inf(score, b, h, q_idx, kv_idx):
    return score * float("-inf")  # ERR


def e_method(score, b, h, q_idx, kv_idx):
    return score.sin()  # ERR


def e_index_float(score, b, h, q_idx, kv_idx):
    return score + slopes[score]  # ERR


def e_index_bool(b, h, q_idx, kv_idx):
    return document_id[q_idx > 2] > 0  # ERR


def e_rank(b, h, q_idx, kv_idx):
    return doc_b[q_idx] == 0  # ERR


def e_too_many_indices(b, h, q_idx, kv_idx):
    return document_id[b, q_idx] == 0  # ERR


def e_slice(b, h, q_idx, kv_idx):
    return doc_b[b, :] == 0  # ERR


def e_unindexed_tensor(score, b, h, q_idx, kv_idx):
    return score + slopes  # ERR


def e_index_scalar(b, h, q_idx, kv_idx):
    return q_idx[0] > 0  # ERR


def e_neg_bool(b, h, q_idx, kv_idx):
    return -(q_idx > kv_idx)  # ERR


def e_div_zero(b, h, q_idx, kv_idx):
    return q_idx // 0 == 1  # ERR


def e_const_index(b, h, q_idx, kv_idx):
    return doc_b[2, q_idx] == doc_b[0, kv_idx]  # ERR


def e_string(b, h, q_idx, kv_idx):
    return q_idx == "a"  # ERR


def e_mask_returns_int(b, h, q_idx, kv_idx):  # DEF
    return q_idx - kv_idx


def e_score_returns_bool(score, b, h, q_idx, kv_idx):  # DEF
    return score > 0


def e_mask_returns_none(b, h, q_idx, kv_idx):  # DEF
    pass


def e_score_returns_inf(score, b, h, q_idx, kv_idx):  # DEF
    return float("inf")


def e_arity(q_idx, kv_idx):  # DEF
    return q_idx >= kv_idx


# (function, role, substrings of the message)
ERRORS = [
    (e_if, "mask", ["Python bool", "`if`"]),
    (e_and, "mask", ["Python bool", "`and`"]),
    (e_or, "mask", ["Python bool", "`or`"]),
    (e_not, "mask", ["Python bool", "`not`"]),
    (e_bool, "mask", ["Python bool", "bool()"]),
    (e_chained, "mask", ["chained comparison"]),
    (e_builtin_max, "mask", ["min()/max()", "torch.maximum"]),
    (e_int, "mask", ["int()"]),
    (e_float, "score", ["float()"]),
    (e_math, "score", ["math.", "float()", "torch.tanh"]),
    (e_math_floor, "score", ["math.floor()"]),
    (e_list_index, "mask", ["__index__", "list"]),
    (e_range, "mask", ["__index__", "range()"]),
    (e_len, "mask", ["len()"]),
    (e_iter, "mask", ["iterating"]),
    (e_bitwise_int, "mask", ["bitwise &", "int"]),
    (e_float_floordiv, "score", ["floor division (//) of floats"]),
    (e_pow, "mask", ["**"]),
    (e_inf, "score", ["-inf", "mask_mod"]),
    (e_method, "score", ["Tensor method .sin()"]),
    (e_index_float, "score", ["indexing with a float"]),
    (e_index_bool, "mask", ["indexing with a boolean"]),
    (e_rank, "mask", ["rank 2", "1 index"]),
    (e_too_many_indices, "mask", ["rank 1", "2 indices"]),
    (e_slice, "mask", ["slicing"]),
    (e_unindexed_tensor, "score", ["shape [4]", "index it"]),
    (e_index_scalar, "mask", ["indexing a traced value"]),
    (e_neg_bool, "mask", ["unary - of a boolean"]),
    (e_div_zero, "mask", ["division by zero"]),
    (e_const_index, "mask", ["index 2 is out of range for size 2"]),
    (e_string, "mask", ["type str"]),
    (e_mask_returns_int, "mask", ["mask_mod must return a boolean", "`q - k`"]),
    (e_score_returns_bool, "score", ["score_mod must return a number", "`score > 0`"]),
    (e_mask_returns_none, "mask", ["NoneType"]),
    (e_score_returns_inf, "score", ["inf"]),
    (e_arity, "mask", ["must take 4 positional arguments"]),
]


def _marked_line(fn) -> int:
    lines, start = inspect.getsourcelines(fn)
    for i, line in enumerate(lines):
        if "# ERR" in line or "# DEF" in line:
            return start + i
    raise AssertionError(f"{fn.__name__} has no marker")


@pytest.mark.parametrize("fn,role,needles", ERRORS, ids=[e[0].__name__[2:] for e in ERRORS])
def test_errors(fn, role, needles):
    with pytest.raises(TraceError) as info:
        _trace(fn, role)
    msg = str(info.value)
    assert f"test_trace.py:{_marked_line(fn)}" in msg, msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    # The source line is quoted under the message.
    assert msg.splitlines()[-1].strip() == inspect.getsourcelines(fn)[0][
        _marked_line(fn) - inspect.getsourcelines(fn)[1]].strip()


def test_error_hierarchy():
    assert issubclass(TraceError, SpecError) and issubclass(TraceError, ValueError)
    assert issubclass(TraceError, FlashgenError)
    with pytest.raises(TraceError, match="callable"):
        trace_mask_mod(42)


def test_too_large_expression():
    def deep(b, h, q_idx, kv_idx):
        x = q_idx - kv_idx
        for d in (2, 3, 5, 7, 11, 13, 17, 19):
            x = x // d - 1
        return x == 0

    with pytest.raises(TraceError, match="too large"):
        trace_mask_mod(deep)


# ---------------------------------------------------------------------------
# With torch
# ---------------------------------------------------------------------------


def _torch():
    return pytest.importorskip("torch")


def _torch_collection(torch):
    """(id, fn, role, expected text, tensors) with real torch tensors."""
    doc = torch.tensor(document_id.data, dtype=torch.int32)
    docb = torch.tensor(doc_b.data, dtype=torch.int64)
    prefix = torch.tensor(prefix_lengths.data, dtype=torch.int32)
    sl = torch.tensor(slopes.data, dtype=torch.float32)
    rel = torch.tensor(bias.data, dtype=torch.float32)
    t5 = torch.linspace(-1, 1, 4 * 15).reshape(4, 15)
    H = 4
    softcap = 20.0

    def doc_causal(b, h, q_idx, kv_idx):
        return (doc[q_idx] == doc[kv_idx]) & (q_idx >= kv_idx)

    def prefix_lm(b, h, q_idx, kv_idx):
        return (kv_idx <= prefix[b]) | (q_idx >= kv_idx)

    def batched(b, h, q_idx, kv_idx):
        return docb[b, q_idx] == docb[b, kv_idx]

    def alibi_mod(score, b, h, q_idx, kv_idx):
        bias = sl[h] * (kv_idx - q_idx)
        return score + bias

    def gym_alibi(score, b, h, q_idx, kv_idx):  # attention-gym's generate_alibi_bias
        scale = torch.exp2(-((h + 1) * 8.0 / H))
        bias = (kv_idx - q_idx) * scale
        return score + bias

    def gym_softcap(score, b, h, q_idx, kv_idx):  # attention-gym's generate_tanh_softcap
        score = score / softcap
        score = torch.tanh(score)
        score = score * softcap
        return score

    def softcap_mod(score, b, h, q_idx, kv_idx):
        return softcap * torch.tanh(score / softcap)

    def rel_bias(score, b, h, q_idx, kv_idx):
        return score + rel[h, q_idx - kv_idx + N]

    def t5_bias(score, b, h, q_idx, kv_idx):
        return score + t5[h, torch.clamp(kv_idx - q_idx, -7, 7) + 7]

    def where_mod(score, b, h, q_idx, kv_idx):
        return torch.where(q_idx >= kv_idx, score, score * 0.5 - 1)

    def logical(b, h, q_idx, kv_idx):
        return torch.logical_and(q_idx >= kv_idx, torch.logical_not(kv_idx == 3)) | ~(q_idx < 9)

    def minmax(score, b, h, q_idx, kv_idx):
        return score + torch.minimum(q_idx, kv_idx) - torch.maximum(q_idx - 6, torch.zeros_like(q_idx))

    def rounding(score, b, h, q_idx, kv_idx):
        d = kv_idx - q_idx
        return (torch.div(d, 3, rounding_mode="floor") * 100 + torch.div(d, 3, rounding_mode="trunc") * 10
                + torch.remainder(d, 4) + torch.fmod(d, 4) * 1000 + torch.floor_divide(d, -4) * 7)

    def converted(score, b, h, q_idx, kv_idx):
        return score * (q_idx >= kv_idx).float() + (kv_idx - q_idx).to(torch.float32) / 4 + torch.sign(kv_idx - q_idx)

    def bool_tensor(b, h, q_idx, kv_idx):
        return blk[q_idx, kv_idx] & (q_idx >= kv_idx)

    blk = torch.tensor(block.data)

    def full_like_mask(b, h, q_idx, kv_idx):
        return torch.full_like(q_idx, True, dtype=torch.bool) & (q_idx == kv_idx)

    return [
        ("causal", causal_mask, "mask", "q >= k", []),
        ("document_causal", doc_causal, "mask", "doc[q] == doc[k] && q >= k", [("doc", "i32", ("12",))]),
        ("prefix_lm", prefix_lm, "mask", "k <= prefix[b] || q >= k", [("prefix", "i32", ("2",))]),
        ("batched_int64", batched, "mask", "docb[b, q] == docb[b, k]", [("docb", "i32", ("2", "12"))]),
        ("logical", logical, "mask", "(q >= k && k != 3) || q >= 9", []),
        ("bool_tensor", bool_tensor, "mask", "blk[q, k] != 0 && q >= k", [("blk", "i32", ("12", "12"))]),
        ("full_like", full_like_mask, "mask", "q == k", []),
        ("alibi", alibi_mod, "score", "score + sl[h] * (k - q)", [("sl", "f32", ("4",))]),
        ("gym_alibi", gym_alibi, "score", "score + (k - q) * exp2(-((h + 1) * 8.0 / 4))", []),
        ("gym_softcap", gym_softcap, "score", "tanh(score / 20.0) * 20.0", []),
        ("softcap", softcap_mod, "score", "20.0 * tanh(score / 20.0)", []),
        ("relative_bias", rel_bias, "score", "score + rel[h, q - k + 12]", [("rel", "f32", ("4", "25"))]),
        ("t5_bias", t5_bias, "score", "score + t5[h, clamp(k - q, -7, 7) + 7]", [("t5", "f32", ("4", "15"))]),
        ("where", where_mod, "score", "q >= k ? score : score * 0.5 - 1", []),
        ("method_where", lambda s, b, h, q, k: s.where(q >= k, sl[h]), "score", "q >= k ? score : sl[h]",
         [("sl", "f32", ("4",))]),
        ("minmax", minmax, "score", "score + min(q, k) - max(q - 6, 0)", []),
        ("rounding", rounding, "score", None, []),
        ("converted", converted, "score",
         "score * (q >= k ? 1.0 : 0.0) + float(k - q) / 4 + (k - q > 0 ? 1 : k - q < 0 ? -1 : 0)", []),
    ]


def _torch_grid(torch):
    """b, h, q, k, score as broadcastable tensors (Flex's dtypes)."""
    b = torch.arange(2, dtype=torch.int32).view(2, 1, 1, 1)
    h = torch.arange(4, dtype=torch.int32).view(1, 4, 1, 1)
    q = torch.arange(N, dtype=torch.int32).view(1, 1, N, 1)
    k = torch.arange(N, dtype=torch.int32).view(1, 1, 1, N)
    score = (torch.arange(2 * 4 * N * N, dtype=torch.float32).view(2, 4, N, N) % 23 - 11) * 0.75
    return b, h, q, k, score


def _compare_with_torch(torch, fn, role, text, traced):
    b, h, q, k, score = _torch_grid(torch)
    want = fn(b, h, q, k) if role == "mask" else fn(score, b, h, q, k)
    want = want.expand(2, 4, N, N)
    tensors = {r.name: FakeTensor(r.tensor.tolist()) for r in traced.tensors}
    ev = AttnExpr(text, context=role, tensors=tensors,
                  kinds={r.name: r.kind for r in traced.tensors})
    for bi, hi, qi, ki in itertools.product(range(2), range(4), range(N), range(N)):
        got = ev(b=bi, h=hi, q=qi, k=ki, seq_q=N, seq_k=N, score=float(score[bi, hi, qi, ki]))
        w = want[bi, hi, qi, ki].item()
        if role == "mask":
            assert got == w, (text, bi, hi, qi, ki)
        else:
            assert got == pytest.approx(w, rel=1e-5, abs=1e-5), (text, bi, hi, qi, ki, got, w)


def test_torch_collection():
    torch = _torch()
    for name, fn, role, expected, tensors in _torch_collection(torch):
        traced = trace_mask_mod(fn) if role == "mask" else trace_score_mod(fn)
        if expected is not None:
            assert traced.expr == expected, name
        assert [(r.name, r.kind, r.dims) for r in traced.tensors] == tensors, name
        _compare_with_torch(torch, fn, role, traced.expr, traced)


def test_torch_masks_match_flex_create_mask():
    torch = _torch()
    flex = pytest.importorskip("torch.nn.attention.flex_attention")
    for name, fn, role, _, _ in _torch_collection(torch):
        if role != "mask":
            continue
        traced = trace_mask_mod(fn)
        tensors = {r.name: FakeTensor(r.tensor.tolist()) for r in traced.tensors}
        ev = AttnExpr(traced.expr, tensors=tensors)
        ref = flex.create_mask(fn, 2, 4, N, N, device="cpu")
        for bi, hi, qi, ki in itertools.product(range(2), range(4), range(N), range(N)):
            assert ev(b=bi, h=hi, q=qi, k=ki) == bool(ref[bi, hi, qi, ki]), (name, bi, hi, qi, ki)


@pytest.mark.parametrize("fn", [f for _, f in ARITH], ids=[i for i, _ in ARITH])
def test_torch_arithmetic_semantics(fn):
    """The same expressions on int32/float32 torch tensors: torch's floor
    and remainder equal Python's, and the traced text equals both. Keys
    skip 5, where some divisors (k - 5) are zero."""
    torch = _torch()
    traced = trace_score_mod(fn)
    b, h, q, _, score = _torch_grid(torch)
    keys = [x for x in range(N + 1) if x != 5]
    k = torch.tensor(keys, dtype=torch.int32).view(1, 1, 1, N)
    try:
        want = fn(score, b, h, q, k)
    except TypeError:
        pytest.skip("torch tensors do not support this Python builtin (divmod)")
    if not isinstance(want, torch.Tensor):
        want = torch.tensor(want)
    want = want.expand(2, 4, N, N).double()
    ev = AttnExpr(traced.expr, context="score")
    for bi, hi, qi, ki in itertools.product(range(2), range(4), range(N), range(N)):
        env = dict(b=bi, h=hi, q=qi, k=keys[ki], score=float(score[bi, hi, qi, ki]))
        got = ev(seq_q=N, seq_k=N, **env)
        assert got == pytest.approx(want[bi, hi, qi, ki].item(), rel=1e-5, abs=1e-4), (env, got)


def test_torch_bool_arithmetic():
    """torch keeps bool + bool and bool * bool boolean (saturating), unlike
    Python's ints: the tracer follows torch."""
    torch = _torch()
    fn = lambda b, h, q, k: ((q == 1) + (k == 2)) & ((q < 6) * (k < 6))  # noqa: E731
    traced = trace_mask_mod(fn)
    assert traced.expr == "(q == 1 || k == 2) && q < 6 && k < 6"
    _compare_with_torch(torch, fn, "mask", traced.expr, traced)


def test_flex_builtins():
    torch = _torch()
    flex = pytest.importorskip("torch.nn.attention.flex_attention")
    assert trace_mask_mod(flex.noop_mask).expr == "true"
    assert trace_score_mod(flex._identity).expr == "score" if hasattr(flex, "_identity") else True
    assert trace_mask_mod(lambda b, h, q, k: q.new_ones((), dtype=torch.bool)).expr == "true"


def _torch_errors(torch):
    import torch.nn.functional as F

    def sin(score, b, h, q_idx, kv_idx):
        return torch.sin(score)  # ERR

    def where_inf(score, b, h, q_idx, kv_idx):
        return torch.where(q_idx >= kv_idx, score, -float("inf"))  # ERR

    def where_int_cond(score, b, h, q_idx, kv_idx):
        return torch.where(q_idx - kv_idx, score, 0.0)  # ERR

    def reduction(b, h, q_idx, kv_idx):
        return torch.max(q_idx, 1) > 0  # ERR

    def relu(score, b, h, q_idx, kv_idx):
        return F.relu(score)  # ERR

    def nonzero_tensor(score, b, h, q_idx, kv_idx):
        return score + torch.ones(3)  # ERR

    def float_to_int(score, b, h, q_idx, kv_idx):
        return score.int()  # ERR

    def item(b, h, q_idx, kv_idx):
        return q_idx.item() > 3  # ERR

    def tensor_index_rank(b, h, q_idx, kv_idx):
        return torch.zeros(3, 3)[q_idx] > 0  # ERR

    def complex_dtype(score, b, h, q_idx, kv_idx):
        return score + torch.zeros(4, dtype=torch.complex64)[h]  # ERR

    return [
        (sin, "score", ["torch.sin has no .attn equivalent"]),
        (where_inf, "score", ["-inf"]),
        (where_int_cond, "score", ["condition of torch.where"]),
        (reduction, "mask", ["torch.max as a reduction"]),
        (relu, "score", ["torch.nn.functional.relu"]),
        (nonzero_tensor, "score", ["shape [3]"]),
        (float_to_int, "score", ["float to integer"]),
        (item, "mask", [".item()"]),
        (tensor_index_rank, "mask", ["rank 2"]),
        (complex_dtype, "score", ["complex64"]),
    ]


def test_torch_errors():
    torch = _torch()
    for fn, role, needles in _torch_errors(torch):
        with pytest.raises(TraceError) as info:
            _trace(fn, role)
        msg = str(info.value)
        assert f"test_trace.py:{_marked_line(fn)}" in msg, (fn.__name__, msg)
        for needle in needles:
            assert needle in msg, (fn.__name__, needle, msg)


# ---------------------------------------------------------------------------
# The real frontend accepts what we emit
# ---------------------------------------------------------------------------


def _variant(i, traced: Traced, role: str) -> str:
    decls = "".join(f"  {r.declaration()}\n" for r in traced.tensors)
    prop = "mask" if role == "mask" else "score"
    return f"attention v{i} {{\n  dtype = bf16;\n  head_dim = 64;\n{decls}  {prop} = {traced.expr};\n}}\n"


def _all_traced():
    out = [(c[2], _trace(c[1], c[2])) for c in COLLECTION]
    out += [("score", trace_score_mod(f)) for _, f in ARITH]
    out += [("mask", trace_mask_mod(m[1])) for m in MASKS]
    out += [("mask", trace_mask_mod(n[1])) for n in NAMING]
    try:
        import torch
    except ImportError:
        return out
    out += [(c[2], _trace(c[1], c[2])) for c in _torch_collection(torch)]
    return out


def test_flashgen_check_accepts_traced(flashgen_check, tmp_path):
    path = tmp_path / "traced.attn"
    path.write_text("".join(_variant(i, t, role) for i, (role, t) in enumerate(_all_traced())))
    r = flashgen_check(path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "error" not in r.stderr


def test_emitted_text_is_well_typed():
    """Without the CLI: every emitted expression parses and type-checks in
    the test evaluator (a model of Parser.cpp and SemaExpr.cpp)."""
    for role, t in _all_traced():
        tensors = {r.name: r.tensor for r in t.tensors}
        AttnExpr(t.expr, context=role, tensors=tensors)  # parses
        assert "  " not in t.expr and not t.expr.startswith(" ")
