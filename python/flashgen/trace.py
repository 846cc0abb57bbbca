"""Trace FlexAttention-style ``mask_mod`` / ``score_mod`` functions into
``.attn`` expressions.

FlexAttention describes a mask as ``mask_mod(b, h, q_idx, kv_idx) -> bool``
and a score modification as ``score_mod(score, b, h, q_idx, kv_idx) ->
float``; both are ordinary Python functions run on torch tensors. flashgen
compiles ``.attn`` specs, whose ``mask`` and ``score`` properties are small
expressions over ``b``, ``h``, ``q``, ``k`` and ``score``. This module
bridges the two by *tracing*: the function is called once with symbolic
values (:class:`Sym`) whose operators build an expression tree instead of
computing. Nothing inspects bytecode or rewrites the source, so anything the
function computes on its own (closures, helper functions, Python constants,
loops over Python values) just works, while data-dependent Python control
flow on a traced value (``if``, ``and``, ``or``, ``not``, ``int(x)``) cannot
be traced and raises :class:`~flashgen.errors.TraceError` naming the
construct and the user's source line.

Torch functions reach the tracer through the ``__torch_function__`` protocol
(``torch.where(c, a, b)``, ``torch.tanh(x)``, and indexing a captured tensor
with symbolic indices, ``doc_id[b, q_idx]``, which torch forwards as
``Tensor.__getitem__(tensor, index)``). torch is never imported by this
module: plain Python operators work without it, and any tensor-like object
with ``.shape`` and ``.dtype`` can be captured.

Semantics are PyTorch's, not C's: ``//`` floors, ``%`` takes the divisor's
sign, ``/`` is true division. ``.attn`` uses C semantics (integer ``/``
truncates, ``%`` is the C remainder), so the tracer proves operands
non-negative where it can (a tiny sign analysis) and emits the plain C
forms, which the compiler's tile classifier recognises (``q / 1000 == k /
1000``); otherwise it emits an exact floor-division / floor-modulo formula
with ``?:``.

Deliberate differences from torch, all documented where they arise:

* symbolic tensor indices are used as given: torch would wrap a negative
  index around (``t[-1]`` is the last element); on the device an index out
  of ``[0, size)`` is the caller's error, as an out-of-range index is in
  torch. Constant negative indices are wrapped at trace time;
* all arithmetic runs in int32 / float32 on the device (``.half()``,
  ``.double()`` conversions keep float32);
* non-finite constants (``-inf``) have no ``.attn`` literal: express
  masking in ``mask_mod`` instead.

Public API: :func:`trace_mask_mod`, :func:`trace_score_mod`,
:class:`Traced`, :class:`TensorRef`. :class:`Sym` and the ``sym_*`` helpers
at the end are for :mod:`flashgen.spec`, which composes builtin pieces
(softcap, ALiBi) with traced ones through the same printer.
"""

from __future__ import annotations

import functools
import inspect
import linecache
import math
import numbers
import os
import re
import sys
import threading
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Sequence

from .errors import TraceError

__all__ = ["TensorRef", "Traced", "trace_mask_mod", "trace_score_mod"]

_INT32_MIN = -(2**31)
_INT32_MAX = 2**31 - 1

# Names a captured tensor may not take: the index variables, the mask
# builtins, the math functions, the language keywords, the alignment and
# extent names, and key_padding's implicit tensor.
RESERVED_NAMES = frozenset(
    {
        "b", "h", "q", "k", "seq_q", "seq_k", "score",
        "causal", "key_padding", "none", "sliding_window", "seqlens_k",
        "abs", "min", "max", "clamp", "tanh", "exp", "exp2", "log", "log2",
        "sqrt", "float",
        "attention", "tensor", "true", "false",
        "top_left", "bottom_right", "align", "left", "right",
        "batch", "heads", "kv_heads", "tokens_q", "tokens_k",
        "i32", "f32",
    }
)


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TensorRef:
    """A run-time tensor read by a traced expression.

    ``name`` is its ``.attn`` name, ``tensor`` the captured object itself
    (compared by identity), ``kind`` its ``.attn`` element type (``'i32'``
    for integer and bool dtypes, ``'f32'`` for floating ones) and ``dims``
    its extents as strings: decimal sizes for traced tensors, or symbolic
    extents (``'heads'``) for the ones :mod:`flashgen.spec` declares.
    """

    name: str
    tensor: object = field(repr=False)
    kind: str
    dims: tuple

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TensorRef):
            return NotImplemented
        return (
            self.name == other.name
            and self.tensor is other.tensor
            and self.kind == other.kind
            and self.dims == other.dims
        )

    def __hash__(self) -> int:
        return hash((self.name, id(self.tensor), self.kind, self.dims))

    def declaration(self) -> str:
        """The ``.attn`` declaration, e.g. ``tensor doc_id : i32[4096];``."""
        return f"tensor {self.name} : {self.kind}[{', '.join(self.dims)}];"


@dataclass(frozen=True)
class Traced:
    """A traced function: the ``.attn`` expression and the tensors it reads
    (in order of first appearance in ``expr``). ``node`` is the expression
    tree, kept for :mod:`flashgen.spec` to compose; it is not part of
    equality."""

    expr: str
    tensors: tuple = ()
    node: object = field(default=None, compare=False, repr=False)


# ---------------------------------------------------------------------------
# Expression trees and the printer
# ---------------------------------------------------------------------------

# Printing precedence, loosest first, as in Parser.cpp.
_P_TERNARY, _P_OR, _P_AND, _P_EQ, _P_REL, _P_ADD, _P_MUL, _P_UNARY, _P_ATOM = range(9)
_BIN_PREC = {
    "||": _P_OR, "&&": _P_AND, "==": _P_EQ, "!=": _P_EQ,
    "<": _P_REL, "<=": _P_REL, ">": _P_REL, ">=": _P_REL,
    "+": _P_ADD, "-": _P_ADD, "*": _P_MUL, "/": _P_MUL, "%": _P_MUL,
}


class _Node:
    """One node of an ``.attn`` expression tree.

    ``kind`` is one of ``name int float bool bin neg not call cond index
    raw``; ``op`` the operator, function, variable name or raw text;
    ``args`` the operands; ``value`` a literal's value or an index node's
    TensorRef; ``type`` is ``'int'``, ``'float'`` or ``'bool'``. Nodes are
    immutable and may be shared (the floor formulas repeat operands).
    """

    __slots__ = ("kind", "op", "args", "value", "type")

    def __init__(self, kind, type_, op="", args=(), value=None):
        self.kind = kind
        self.type = type_
        self.op = op
        self.args = tuple(args)
        self.value = value

    def __repr__(self) -> str:
        return f"<node {render(self)}>"


def _float_literal(v: float) -> str:
    # repr gives the shortest text that round-trips the double; it always
    # has a '.' or an exponent ("30.0", "1e-05", "1e+16"), which is what the
    # lexer needs to make it a float.
    text = repr(float(v))
    assert "." in text or "e" in text, text
    return text


def _render(n: _Node) -> tuple[str, int]:
    """(text, precedence) of a node; see _BIN_PREC."""
    kind = n.kind
    if kind == "name" or kind == "raw":
        return n.op, _P_ATOM
    if kind == "bool":
        return ("true" if n.value else "false"), _P_ATOM
    if kind == "int":
        v = n.value
        if v == _INT32_MIN:  # 2147483648 is not a valid literal
            return "-2147483647 - 1", _P_ADD
        return str(v), (_P_UNARY if v < 0 else _P_ATOM)
    if kind == "float":
        text = _float_literal(n.value)
        return text, (_P_UNARY if text.startswith("-") else _P_ATOM)
    if kind == "index":
        inner = ", ".join(_render(i)[0] for i in n.args)
        return f"{n.value.name}[{inner}]", _P_ATOM
    if kind == "call":
        return f"{n.op}({', '.join(_render(a)[0] for a in n.args)})", _P_ATOM
    if kind in ("neg", "not"):
        text, p = _render(n.args[0])
        if p < _P_UNARY or (kind == "neg" and text.startswith("-")):
            text = f"({text})"
        return ("-" if kind == "neg" else "!") + text, _P_UNARY
    if kind == "cond":
        c, cp = _render(n.args[0])
        a, ap = _render(n.args[1])
        b, _ = _render(n.args[2])
        if cp <= _P_TERNARY:
            c = f"({c})"
        if ap <= _P_TERNARY:  # legal without, clearer with
            a = f"({a})"
        return f"{c} ? {a} : {b}", _P_TERNARY
    if kind == "bin":
        p = _BIN_PREC[n.op]
        lt, lp = _render(n.args[0])
        rt, rp = _render(n.args[1])

        def confusing(child_p: int) -> bool:
            # Parenthesise what C compilers warn about: a comparison inside
            # a comparison ("(a < b) != (c < d)") and && inside ||.
            if p in (_P_EQ, _P_REL) and child_p in (_P_EQ, _P_REL):
                return True
            return p == _P_OR and child_p == _P_AND

        if lp < p or confusing(lp):
            lt = f"({lt})"
        # Left-associative operators: an equal-precedence right operand
        # needs parentheses ("a - (b - c)", and "a + (b + c)", which is a
        # different float rounding); && and || are associative.
        if rp < p or (rp == p and p not in (_P_AND, _P_OR)) or confusing(rp):
            rt = f"({rt})"
        return f"{lt} {n.op} {rt}", p
    raise AssertionError(f"unknown node kind {kind}")


def render(node: _Node) -> str:
    """The ``.attn`` text of an expression tree."""
    return _render(node)[0]


def _tree_size(node: _Node) -> tuple[int, int]:
    """(operations, depth) of the tree as the parser will see it, shared
    subtrees counted once per use."""
    memo: dict[int, tuple[int, int]] = {}

    def walk(n: _Node) -> tuple[int, int]:
        got = memo.get(id(n))
        if got is not None:
            return got
        ops, depth = (1 if n.kind in ("bin", "cond") else 0), 0
        for a in n.args:
            o, d = walk(a)
            ops += o
            depth = max(depth, d)
        memo[id(n)] = (ops, depth + 1)
        return ops, depth + 1

    return walk(node)


def _tensors_in(node: _Node) -> tuple:
    """TensorRefs read by a tree, in order of first appearance."""
    out: list[TensorRef] = []
    seen: set[int] = set()
    visited: set[int] = set()

    def walk(n: _Node) -> None:
        if id(n) in visited:
            return
        visited.add(id(n))
        if n.kind == "index" and id(n.value) not in seen:
            seen.add(id(n.value))
            out.append(n.value)
        for a in n.args:
            walk(a)

    walk(node)
    return tuple(out)


# ---------------------------------------------------------------------------
# Errors with the user's source location
# ---------------------------------------------------------------------------

_THIS_FILE = os.path.normcase(os.path.abspath(__file__))


def _torch_dir() -> Optional[str]:
    torch = sys.modules.get("torch")
    f = getattr(torch, "__file__", None)
    return os.path.normcase(os.path.dirname(os.path.abspath(f))) if f else None


def _user_frame():
    """The innermost frame outside this module and torch: the line of the
    traced function that is being evaluated. Frames that set
    ``__tracebackhide__`` (pytest's convention; e.g. a tensor-like class's
    ``__getitem__`` forwarding to ``__torch_function__``) are skipped too."""
    tdir = _torch_dir()
    f = sys._getframe(1)
    while f is not None:
        path = os.path.normcase(os.path.abspath(f.f_code.co_filename))
        if (
            path != _THIS_FILE
            and not (tdir and path.startswith(tdir + os.sep))
            and not f.f_locals.get("__tracebackhide__")
        ):
            return f
        f = f.f_back
    return None


def _site(path: str, line: int) -> str:
    src = linecache.getline(path, line).strip()
    return f"{path}:{line}" + (f"\n    {src}" if src else "")


def _fail(what: str, hint: str = "", *, at: Optional[tuple[str, int]] = None):
    """Raises TraceError '<path>:<line>: in mask_mod: <what>; <hint>'."""
    if at is None:
        at = getattr(_state, "at", None)
    if at is None:
        f = _user_frame()
        at = (f.f_code.co_filename, f.f_lineno) if f is not None else ("<unknown>", 0)
    ctx = _current()
    role = f"in {ctx.role}: " if ctx is not None else ""
    head, _, src = _site(*at).partition("\n")
    msg = f"{head}: {role}{what}" + (f"; {hint}" if hint else "")
    raise TraceError(msg + (f"\n{src}" if src else ""))


# ---------------------------------------------------------------------------
# Trace context: naming captured tensors
# ---------------------------------------------------------------------------

_state = threading.local()


def _current() -> Optional["_Trace"]:
    stack = getattr(_state, "stack", None)
    return stack[-1] if stack else None


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _sanitize(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if name and name[0].isdigit():
        name = "t_" + name
    return name


def _named_values(fn) -> Iterable[tuple[str, Any]]:
    """(name, value) pairs visible to ``fn``, most specific first: closure
    cells, defaults, the globals it names; then through functools.partial,
    bound methods and ``__wrapped__``."""
    seen: set[int] = set()
    f = fn
    while f is not None and id(f) not in seen:
        seen.add(id(f))
        if isinstance(f, functools.partial):
            yield from f.keywords.items()
            f = f.func
            continue
        func = getattr(f, "__func__", f)  # bound method -> function
        code = getattr(func, "__code__", None)
        if code is not None:
            for name, cell in zip(code.co_freevars, func.__closure__ or ()):
                try:
                    yield name, cell.cell_contents
                except ValueError:  # empty cell
                    pass
            defaults = func.__defaults__ or ()
            if defaults:
                names = code.co_varnames[: code.co_argcount]
                yield from zip(names[len(names) - len(defaults):], defaults)
            yield from (func.__kwdefaults__ or {}).items()
            g = getattr(func, "__globals__", {})
            for name in code.co_names:
                if name in g:
                    yield name, g[name]
        f = getattr(func, "__wrapped__", None)


class _Trace:
    """State of one trace: the function, its role ('mask_mod' or
    'score_mod'), and the names handed out to captured tensors."""

    def __init__(self, fn, role: str, known: Iterable[TensorRef]):
        self.fn = fn
        self.role = role
        self.refs: dict[int, TensorRef] = {}
        self.taken = set(RESERVED_NAMES)
        for r in known:
            self.refs.setdefault(id(r.tensor), r)
            self.taken.add(r.name)
        self.fresh = 0

    def _candidates(self, frame) -> Iterable[tuple[str, Any]]:
        yield from _named_values(self.fn)
        if frame is not None:
            yield from list(frame.f_locals.items())
            g = frame.f_globals
            for name in frame.f_code.co_names:
                if name in g:
                    yield name, g[name]
        yield from list(getattr(self.fn, "__globals__", {}).items())

    def _source_name(self, tensor, frame) -> Optional[str]:
        pairs = list(self._candidates(frame))
        for name, value in pairs:
            if value is tensor:
                return name
        # One level of attributes: self.bias, config.slopes.
        for name, value in pairs:
            if isinstance(value, (types.ModuleType, type)):
                continue
            try:
                attrs = getattr(value, "__dict__", None)
            except Exception:  # an object with a hostile __getattr__
                continue
            if isinstance(attrs, dict):
                for attr, v in attrs.items():
                    if v is tensor:
                        return attr
        return None

    def ref_for(self, tensor, kind: str, dims: tuple, frame) -> TensorRef:
        ref = self.refs.get(id(tensor))
        if ref is not None and ref.tensor is tensor:
            return ref
        name = _sanitize(self._source_name(tensor, frame) or "")
        if name and name in self.taken:
            i = 1
            while f"{name}_{i}" in self.taken:
                i += 1
            name = f"{name}_{i}"
        if not name or not _IDENT.match(name):
            while f"t{self.fresh}" in self.taken:
                self.fresh += 1
            name = f"t{self.fresh}"
        self.taken.add(name)
        ref = TensorRef(name, tensor, kind, dims)
        self.refs[id(tensor)] = ref  # ref keeps tensor alive: ids stay unique
        return ref


# ---------------------------------------------------------------------------
# Symbolic values
# ---------------------------------------------------------------------------


def _dtype_kind(dtype) -> Optional[str]:
    """'int', 'float' or 'bool' for a torch/numpy dtype (by its name) or a
    Python type; None if it has no .attn counterpart."""
    if dtype is bool:
        return "bool"
    if dtype is int:
        return "int"
    if dtype is float:
        return "float"
    s = str(dtype).lower().rsplit(".", 1)[-1]
    if s in ("bool", "bool_"):
        return "bool"
    if s.startswith(("int", "uint", "long", "short")):
        return "int"
    if s.startswith(("float", "double", "half", "bfloat")):
        return "float"
    return None


def _py_const(v):
    """Python bool/int/float for bool, Integral, Real; None otherwise."""
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return bool(v)
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return float(v)
    return None


class Sym:
    """A symbolic scalar: an ``.attn`` expression tree with a type
    (``'int'``, ``'float'`` or ``'bool'``) and a sign fact.

    ``nonneg`` is True when the value is provably >= 0 (it enables C
    ``/``, ``%``); ``zero`` is an optional tree with the same zero-ness
    (a floor-modulo's C remainder: ``(q - k) % 4 == 0`` is exact in C).
    Operators follow PyTorch semantics; anything that needs a concrete
    value raises TraceError.
    """

    __slots__ = ("node", "nonneg", "zero")
    __array_priority__ = 1000  # numpy defers to our reflected operators

    def __init__(self, node: _Node, nonneg: bool = False, zero: Optional[_Node] = None):
        self.node = node
        self.nonneg = nonneg
        self.zero = zero

    @property
    def type(self) -> str:
        return self.node.type

    def __repr__(self) -> str:
        return f"<traced {self.type}: {render(self.node)}>"

    # Identity hash: __eq__ is symbolic, so value hashing is meaningless.
    __hash__ = object.__hash__

    # tensor-like attributes (Flex code uses q_idx.device, new_ones, ...)
    shape = ()
    ndim = 0

    @property
    def device(self):
        return None

    @property
    def dtype(self):
        torch = sys.modules.get("torch")
        names = {"int": "int32", "float": "float32", "bool": "bool"}
        if torch is not None:
            return getattr(torch, names[self.type])
        return names[self.type]

    def dim(self) -> int:
        return 0

    def numel(self) -> int:
        return 1

    def size(self, d=None):
        if d is not None:
            _fail(f"size({d}) of a 0-d traced value")
        return ()

    # -- arithmetic -------------------------------------------------------
    def __add__(self, o): return _add(self, _lift(o))
    def __radd__(self, o): return _add(_lift(o), self)
    def __sub__(self, o): return _sub(self, _lift(o))
    def __rsub__(self, o): return _sub(_lift(o), self)
    def __mul__(self, o): return _mul(self, _lift(o))
    def __rmul__(self, o): return _mul(_lift(o), self)
    def __truediv__(self, o): return _truediv(self, _lift(o))
    def __rtruediv__(self, o): return _truediv(_lift(o), self)
    def __floordiv__(self, o): return _floordiv(self, _lift(o))
    def __rfloordiv__(self, o): return _floordiv(_lift(o), self)
    def __mod__(self, o): return _mod(self, _lift(o))
    def __rmod__(self, o): return _mod(_lift(o), self)
    def __divmod__(self, o): return (self // o, self % o)
    def __rdivmod__(self, o): return (o // self, o % self)
    def __pow__(self, o): return _pow(self, _lift(o))
    def __rpow__(self, o): return _pow(_lift(o), self)
    def __neg__(self): return _neg(self)
    def __pos__(self): return _num(self, "unary +")
    def __abs__(self): return _abs(self)

    # -- comparisons ------------------------------------------------------
    def __eq__(self, o): return _compare("==", self, _lift(o))  # type: ignore[override]
    def __ne__(self, o): return _compare("!=", self, _lift(o))  # type: ignore[override]
    def __lt__(self, o): return _compare("<", self, _lift(o))
    def __le__(self, o): return _compare("<=", self, _lift(o))
    def __gt__(self, o): return _compare(">", self, _lift(o))
    def __ge__(self, o): return _compare(">=", self, _lift(o))

    # -- boolean (torch mask_mods use & | ~ ^ on bool tensors) ------------
    def __and__(self, o): return _logic("&", self, _lift(o))
    def __rand__(self, o): return _logic("&", _lift(o), self)
    def __or__(self, o): return _logic("|", self, _lift(o))
    def __ror__(self, o): return _logic("|", _lift(o), self)
    def __xor__(self, o): return _logic("^", self, _lift(o))
    def __rxor__(self, o): return _logic("^", _lift(o), self)
    def __invert__(self): return _invert(self)

    # -- things that need a concrete value --------------------------------
    def __bool__(self):
        _fail(
            "a traced value was used as a Python bool (by `if`, `while`, "
            "`and`, `or`, `not`, `bool()`, a chained comparison like "
            "`a < b < c`, or builtin min()/max())",
            "use torch.where(c, x, y), & | ~ instead of and/or/not, "
            "torch.minimum/torch.maximum",
        )

    def __index__(self):
        _fail(
            "a traced value was used as a Python integer (`__index__`: "
            "range(), indexing a list/tuple/numpy array, slicing)",
            "capture a torch tensor instead and index it",
        )

    def __int__(self):
        _fail("int() of a traced value", "use .int() / .long() on bools, or keep it symbolic")

    def __float__(self):
        _fail(
            "float() of a traced value (math.* functions such as math.tanh, "
            "math.exp call float())",
            "use torch.tanh, torch.exp, ... or x.float()",
        )

    def __complex__(self):
        _fail("complex() of a traced value")

    def __round__(self, ndigits=None):
        _fail("round() of a traced value")

    def __trunc__(self):
        _fail("math.trunc() of a traced value")

    def __floor__(self):
        _fail("math.floor() of a traced value", "use // for integers")

    def __ceil__(self):
        _fail("math.ceil() of a traced value")

    def __len__(self):
        _fail("len() of a traced value (a scalar)")

    def __iter__(self):
        _fail("iterating over a traced value (a scalar)")

    def __getitem__(self, index):
        _fail("indexing a traced value (it is a scalar, not a tensor)")

    def __setitem__(self, index, value):
        _fail("assigning into a traced value")

    def __getattr__(self, name: str):
        # Tensor methods with an .attn equivalent (q.float(), s.tanh(),
        # b.new_ones(())) share the torch-function table.
        handler = _TORCH_FUNCS.get(name)
        if handler is not None and not name.startswith("__"):
            if name == "where":  # x.where(c, y) is torch.where(c, x, y)
                return lambda cond, other: _where_handler((cond, self, other), {})
            return lambda *args, **kwargs: handler((self,) + args, kwargs)
        if name.startswith("_"):
            raise AttributeError(name)
        _fail(f"Tensor method .{name}() has no .attn equivalent")

    @classmethod
    def __torch_function__(cls, func, types_, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        handler = _TORCH_FUNCS.get(name)
        if handler is None:
            _fail(f"{_torch_name(func)} has no .attn equivalent")
        args = tuple(args)
        if name == "where" and _torch_name(func).startswith("Tensor.") and len(args) == 3:
            args = (args[1], args[0], args[2])  # tensor.where(c, y)
        return handler(args, dict(kwargs or {}))


def _torch_name(func) -> str:
    name = getattr(func, "__name__", None) or repr(func)
    qual = getattr(func, "__qualname__", "") or ""
    if hasattr(func, "__objclass__") or qual.startswith(("Tensor.", "TensorBase.")):
        return f"Tensor.{name}"
    mod = getattr(func, "__module__", None) or "torch"
    if mod == "torch" or mod.startswith("torch._"):
        return f"torch.{name}"
    return f"{mod}.{name}"


# -- constructors -----------------------------------------------------------


def _lit_int(v: int) -> Sym:
    if not _INT32_MIN <= v <= _INT32_MAX:
        # The device computes in int32; a larger constant can only be meant
        # as a number, so it becomes a float literal.
        return _lit_float(float(v))
    return Sym(_Node("int", "int", value=v), nonneg=v >= 0)


def _lit_float(v: float) -> Sym:
    if not math.isfinite(v):
        _fail(
            f"the constant {v} has no .attn literal (only finite numbers)",
            "express masking with mask_mod, not a -inf score",
        )
    return Sym(_Node("float", "float", value=v), nonneg=v >= 0)


def _lit_bool(v: bool) -> Sym:
    return Sym(_Node("bool", "bool", value=bool(v)), nonneg=True)


def _const(v, kind: Optional[str] = None) -> Sym:
    """A literal of Python value v, converted to kind ('int', 'float',
    'bool') the way torch casts a fill value."""
    v = _py_const(v)
    if v is None:
        _fail("a non-numeric constant")
    if kind is None:
        kind = "bool" if isinstance(v, bool) else "int" if isinstance(v, int) else "float"
    if kind == "bool":
        return _lit_bool(bool(v))
    if kind == "int":
        return _lit_int(int(v))  # int() truncates like a torch cast
    return _lit_float(float(v))


def _lift(x) -> Sym:
    """A Sym for an operand: Syms pass, Python scalars and 0-d tensors
    become literals, anything else is an error."""
    if isinstance(x, Sym):
        return x
    v = _py_const(x)
    if v is not None:
        return _const(v)
    shape = getattr(x, "shape", None)
    dtype = getattr(x, "dtype", None)
    if shape is not None and dtype is not None:
        dims = tuple(int(d) for d in shape)
        if dims == ():
            kind = _dtype_kind(dtype)
            if kind is None:
                _fail(f"a 0-d tensor of dtype {dtype}")
            return _const(x.item(), kind)
        _fail(
            f"a tensor of shape [{', '.join(map(str, dims))}] was used as a "
            "value in an expression",
            "index it with the traced indices (e.g. t[q_idx]) or pass a scalar",
        )
    _fail(f"an operand of type {type(x).__name__} cannot be traced")


def _lit(x: Sym):
    """The literal value of x, or None."""
    return x.node.value if x.node.kind in ("int", "float", "bool") else None


def _is_lit(x: Sym, *values) -> bool:
    v = _lit(x)
    return v is not None and type(v) is not bool and x.type != "bool" and v in values


def _bin(op: str, a: Sym, b: Sym, type_: str, nonneg: bool = False) -> Sym:
    return Sym(_Node("bin", type_, op, (a.node, b.node)), nonneg=nonneg)


def _num(x: Sym, what: str) -> Sym:
    """x as a number: bools count as 0/1, as torch promotes them."""
    if x.type == "bool":
        return _select(x, _lit_int(1), _lit_int(0))
    return x


def _numtype(a: Sym, b: Sym) -> str:
    return "float" if "float" in (a.type, b.type) else "int"


def _select(c: Sym, a: Sym, b: Sym) -> Sym:
    """c ? a : b, with torch.where's type promotion."""
    if c.type != "bool":
        _fail(f"the condition of torch.where is {c.type}, not bool", "compare it, e.g. x != 0")
    cv = _lit(c)
    if cv is not None:
        return a if cv else b
    if a.type == "bool" and b.type == "bool":
        # A constant branch makes it a plain && / || (no side effects, so
        # exact), which the tile classifier reads better than ?:.
        av, bv = _lit(a), _lit(b)
        if bv is not None:
            return _logic("&", c, a) if not bv else _logic("|", _not(c), a)
        if av is not None:
            return _logic("|", c, b) if av else _logic("&", _not(c), b)
        t = "bool"
    else:
        a, b = _num(a, "torch.where"), _num(b, "torch.where")
        t = _numtype(a, b)
    return Sym(_Node("cond", t, args=(c.node, a.node, b.node)), nonneg=a.nonneg and b.nonneg)


def _neg_lit(x: Sym) -> Optional[Sym]:
    """-x if x is a negative numeric literal (to print a - 3, not a + -3)."""
    v = _lit(x)
    if v is None or x.type == "bool" or not v < 0 or v == _INT32_MIN:
        return None
    return _lit_int(-v) if x.type == "int" else _lit_float(-v)


def _add(a: Sym, b: Sym) -> Sym:
    if a.type == "bool" and b.type == "bool":
        return _logic("|", a, b)  # torch: bool + bool stays bool (saturates)
    a, b = _num(a, "+"), _num(b, "+")
    t = _numtype(a, b)
    if t == "int":
        if _is_lit(b, 0):
            return a
        if _is_lit(a, 0):
            return b
        if _lit(a) is not None and _lit(b) is not None:
            return _lit_int(a.node.value + b.node.value)
    nb = _neg_lit(b)
    if nb is not None:  # IEEE and two's complement: a + -c == a - c exactly
        return _bin("-", a, nb, t)
    return _bin("+", a, b, t, a.nonneg and b.nonneg)


def _sub(a: Sym, b: Sym) -> Sym:
    if a.type == "bool" and b.type == "bool":
        _fail("- of two booleans (torch rejects it too)", "use ^ or logical_xor")
    a, b = _num(a, "-"), _num(b, "-")
    t = _numtype(a, b)
    if t == "int":
        if _is_lit(b, 0):
            return a
        if _lit(a) is not None and _lit(b) is not None:
            return _lit_int(a.node.value - b.node.value)
    nb = _neg_lit(b)
    if nb is not None:
        return _bin("+", a, nb, t, a.nonneg)
    return _bin("-", a, b, t)


def _mul(a: Sym, b: Sym) -> Sym:
    if a.type == "bool" and b.type == "bool":
        return _logic("&", a, b)  # torch: bool * bool stays bool
    a, b = _num(a, "*"), _num(b, "*")
    t = _numtype(a, b)
    if t == "int":
        if _is_lit(b, 1):
            return a
        if _is_lit(a, 1):
            return b
        if _lit(a) is not None and _lit(b) is not None:
            return _lit_int(a.node.value * b.node.value)
    # x * x is a square: >= 0 (or NaN) whatever x's sign.
    return _bin("*", a, b, t, (a.nonneg and b.nonneg) or a.node is b.node)


def _as_float(x: Sym) -> Sym:
    """x converted to float: a literal is rewritten, an int wrapped in
    float(...), which is exact like torch's int32 -> float32 cast."""
    if x.type == "float":
        return x
    if x.type == "bool":
        return _select(x, _lit_float(1.0), _lit_float(0.0))
    v = _lit(x)
    if v is not None:
        return _lit_float(float(v))
    return Sym(_Node("call", "float", "float", (x.node,)), nonneg=x.nonneg)


def _truediv(a: Sym, b: Sym) -> Sym:
    # Python/torch '/' is true division even for integers; in .attn an
    # int / int truncates, so one side is made float: a literal divisor
    # ("q / 2.0"), else the dividend ("float(q) / k").
    a, b = _num(a, "/"), _num(b, "/")
    if a.type == "int" and b.type == "int":
        if _lit(b) is not None:
            b = _as_float(b)
        else:
            a = _as_float(a)
    return _bin("/", a, b, "float", a.nonneg and b.nonneg)


def _sign_of(b: Sym) -> int:
    """+1 if b is provably > 0 (or >= 0: division by zero is an error
    either way), -1 if a negative literal, 0 if unknown."""
    v = _lit(b)
    if v is not None:
        if v == 0:
            _fail("division by zero")
        return 1 if v > 0 else -1
    return 1 if b.nonneg else 0


def _ltz(x: Sym) -> Sym:
    return _compare("<", x, _lit_int(0) if x.type == "int" else _lit_float(0.0))


def _floordiv(a: Sym, b: Sym) -> Sym:
    a, b = _num(a, "//"), _num(b, "//")
    if a.type == "float" or b.type == "float":
        _fail(
            "floor division (//) of floats (.attn has no floor())",
            "use / for true division, or // on integers",
        )
    s = _sign_of(b)
    if _is_lit(b, 1):
        return a
    if a.nonneg and s > 0:
        # Both >= 0: C truncation is Python's floor.
        return _bin("/", a, b, "int", True)
    # floor(a / b) = trunc(a / b) - 1 exactly when the remainder is non-zero
    # and a, b have opposite signs. The C remainder has a's sign, so with b's
    # sign known that is one test of the remainder.
    trunc = _bin("/", a, b, "int")
    rem = _bin("%", a, b, "int")
    if s > 0:
        off = _ltz(rem)
    elif s < 0:
        off = _compare(">", rem, _lit_int(0))
    else:
        off = _logic("&", _compare("!=", rem, _lit_int(0)),
                     _compare("!=", _ltz(a), _ltz(b)))
    return _select(off, _sub(trunc, _lit_int(1)), trunc)


def _mod(a: Sym, b: Sym) -> Sym:
    a, b = _num(a, "%"), _num(b, "%")
    t = _numtype(a, b)
    s = _sign_of(b)
    # For floats .attn's % is fmod (C), torch.remainder corrects it the same
    # way as for integers: mod = fmod(a, b); if mod != 0 and sign(mod) !=
    # sign(b): mod += b.
    rem = _bin("%", a, b, t)
    if a.nonneg and s > 0:
        return Sym(rem.node, nonneg=True, zero=rem.node)
    zero = _lit_int(0) if t == "int" else _lit_float(0.0)
    if s > 0:
        off = _compare("<", rem, zero)
    elif s < 0:
        off = _compare(">", rem, zero)
    else:
        off = _logic("&", _compare("!=", rem, zero), _compare("!=", _ltz(rem), _ltz(b)))
    out = _select(off, _add(rem, b), rem)
    # The floor modulo is zero exactly when the C remainder is: keep that
    # form for comparisons with 0 ("(q - k) % 4 == 0").
    return Sym(out.node, nonneg=s > 0, zero=rem.node)


def _pow(a: Sym, b: Sym) -> Sym:
    e = _lit(b)
    if isinstance(a, Sym) and _lit(a) is None and e is not None and b.type != "bool":
        a = _num(a, "**")
        if e in (0, 1, 2, 3, 4):
            if b.type == "float":  # int ** 2.0 is a float in torch
                a = _as_float(a)
            if e == 0:
                return _lit_int(1) if a.type == "int" else _lit_float(1.0)
            out = a
            for _ in range(int(e) - 1):
                out = _mul(out, a)
            return out
        if e == 0.5:
            return _unary_float("sqrt", a)
    _fail("** with this base or exponent", "only a traced base with a constant exponent 0..4 or 0.5 is supported")


def _neg(x: Sym) -> Sym:
    if x.type == "bool":
        _fail("unary - of a boolean", "use ~ for logical not")
    v = _lit(x)
    if v is not None:
        if x.type == "int":
            return _lit_int(-v if v != _INT32_MIN else v)  # int32 wraps
        return _lit_float(-v)
    if x.node.kind == "neg":
        return Sym(x.node.args[0])
    return Sym(_Node("neg", x.type, args=(x.node,)))


def _abs(x: Sym) -> Sym:
    if x.type == "bool":
        _fail("abs() of a boolean")
    if x.nonneg:
        return x
    return Sym(_Node("call", x.type, "abs", (x.node,)), nonneg=True)


_FLIP = {"<": ">=", ">=": "<", "<=": ">", ">": "<=", "==": "!=", "!=": "=="}
_SWAP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


def _compare(op: str, a: Sym, b: Sym) -> Sym:
    if a.type == "bool" and b.type == "bool" and op in ("==", "!="):
        for x, y in ((a, b), (b, a)):
            v = _lit(y)
            if v is not None:  # x == true -> x, x != true -> !x, ...
                return x if (v == (op == "==")) else _not(x)
        return _bin(op, a, b, "bool")
    a, b = _num(a, op), _num(b, op)
    if op in ("==", "!="):
        # A floor modulo compared with zero: the C remainder is as good.
        if _is_lit(b, 0) and a.zero is not None:
            a = Sym(a.zero)
        elif _is_lit(a, 0) and b.zero is not None:
            b = Sym(b.zero)
    if _lit(a) is not None and _lit(b) is None:  # "3 < q" reads as "q > 3"
        a, b, op = b, a, _SWAP[op]
    return _bin(op, a, b, "bool")


def _not(x: Sym) -> Sym:
    if x.type != "bool":
        _fail(f"logical not of an {x.type}", "compare it first, e.g. x != 0")
    n = x.node
    if n.kind == "bool":
        return _lit_bool(not n.value)
    if n.kind == "not":
        return Sym(n.args[0], nonneg=True)
    if n.kind == "bin" and n.op in _FLIP:
        lt, rt = n.args[0].type, n.args[1].type
        # == and != flip exactly (NaN included: == is ordered, != is not);
        # < <= > >= only for integers, a NaN compares false both ways.
        if n.op in ("==", "!=") or (lt != "float" and rt != "float"):
            return Sym(_Node("bin", "bool", _FLIP[n.op], n.args), nonneg=True)
    return Sym(_Node("not", "bool", args=(n,)), nonneg=True)


def _logic(op: str, a: Sym, b: Sym) -> Sym:
    """& | ^ on booleans: && || !=. Python bools are booleans here."""
    if a.type != "bool" or b.type != "bool":
        t = a.type if a.type != "bool" else b.type
        _fail(
            f"bitwise {op} on an {t}",
            "only booleans combine with & | ^ (as && || !=)",
        )
    if op == "^":
        return _compare("!=", a, b)
    for x, y in ((a, b), (b, a)):
        v = _lit(y)
        if v is not None:
            if op == "&":
                return x if v else _lit_bool(False)
            return _lit_bool(True) if v else x
    return _bin("&&" if op == "&" else "||", a, b, "bool", True)


def _invert(x: Sym) -> Sym:
    if x.type == "bool":
        return _not(x)
    if x.type == "int":  # two's complement: ~x == -x - 1
        return _sub(_neg(x), _lit_int(1))
    _fail("~ of a float")


def _minmax(fn: str, a: Sym, b: Sym) -> Sym:
    a, b = _num(a, fn), _num(b, fn)
    t = _numtype(a, b)
    nonneg = (a.nonneg and b.nonneg) if fn == "min" else (a.nonneg or b.nonneg)
    return Sym(_Node("call", t, fn, (a.node, b.node)), nonneg=nonneg)


def _clamp(x: Sym, lo, hi) -> Sym:
    lo = None if lo is None else _lift(lo)
    hi = None if hi is None else _lift(hi)
    if lo is None and hi is None:
        _fail("torch.clamp without min or max")
    x = _num(x, "clamp")
    if hi is None:
        return _minmax("max", x, lo)
    if lo is None:
        return _minmax("min", x, hi)
    lo, hi = _num(lo, "clamp"), _num(hi, "clamp")
    t = "float" if "float" in (x.type, lo.type, hi.type) else "int"
    # clamp(x, lo, hi) = min(max(x, lo), hi), as in torch.
    return Sym(_Node("call", t, "clamp", (x.node, lo.node, hi.node)), nonneg=lo.nonneg and hi.nonneg)


def _unary_float(fn: str, x: Sym) -> Sym:
    x = _num(x, fn)
    nonneg = fn in ("exp", "exp2", "sqrt") or (fn == "tanh" and x.nonneg)
    return Sym(_Node("call", "float", fn, (x.node,)), nonneg=nonneg)


def _to_kind(x: Sym, kind: Optional[str], what: str) -> Sym:
    if kind is None:
        _fail(f"{what}: a conversion to a type with no .attn counterpart")
    if kind == "float":
        return _as_float(x)
    if kind == "bool":
        if x.type == "bool":
            return x
        return _compare("!=", x, _lit_int(0) if x.type == "int" else _lit_float(0.0))
    if x.type == "float":
        _fail(f"{what}: float to integer conversion (.attn has no truncation)")
    return _num(x, what)


def _sign(x: Sym) -> Sym:
    if x.type == "bool":
        return x
    z, one = (_lit_int(0), _lit_int(1)) if x.type == "int" else (_lit_float(0.0), _lit_float(1.0))
    # torch.sign is (0 < x) - (x < 0): NaN gives 0, as here.
    return _select(_compare(">", x, z), one, _select(_compare("<", x, z), _neg(one), z))


# -- tensor lookups ---------------------------------------------------------


def _lookup(tensor, index) -> Sym:
    if isinstance(tensor, Sym):
        _fail("indexing a traced value (it is a scalar, not a tensor)")
    ctx = _current()
    if ctx is None:
        raise TraceError("a traced value was used after its trace ended")
    shape = getattr(tensor, "shape", None)
    dtype = getattr(tensor, "dtype", None)
    if shape is None or dtype is None:
        _fail(f"indexing an object of type {type(tensor).__name__} (needs .shape and .dtype)")
    dims = tuple(int(d) for d in shape)
    frame = _user_frame()
    kind = _dtype_kind(dtype)
    if kind is None:
        _fail(f"a tensor of dtype {dtype} (.attn tensors are i32 or f32)")
    idx = index if isinstance(index, tuple) else (index,)
    if len(idx) != len(dims):
        _fail(
            f"a tensor of rank {len(dims)} indexed with {len(idx)} "
            f"ind{'ex' if len(idx) == 1 else 'ices'}",
            "index every dimension, e.g. t[b, q_idx] for a [batch, seq] tensor",
        )
    nodes = []
    for i, (x, size) in enumerate(zip(idx, dims)):
        if isinstance(x, (slice, type(None), type(Ellipsis))):
            _fail(f"slicing a captured tensor ({x!r} in index {i})", "index it with scalars")
        s = _lift(x)
        if s.type == "float":
            _fail(f"indexing with a float (index {i})", "indices must be integers")
        if s.type == "bool":
            _fail(f"indexing with a boolean (index {i})", "indices must be integers")
        v = _lit(s)
        if v is not None:
            # Constant indices follow Python: negative ones count from the
            # end. Symbolic ones are used as given (see the module doc).
            if not -size <= v < size:
                _fail(f"constant index {v} is out of range for size {size}")
            s = _lit_int(v + size if v < 0 else v)
        nodes.append(s.node)
    ref = ctx.ref_for(tensor, "f32" if kind == "float" else "i32", tuple(map(str, dims)), frame)
    out = Sym(_Node("index", "float" if kind == "float" else "int", args=nodes, value=ref))
    if kind == "bool":  # a bool tensor is stored as i32 0/1
        return _compare("!=", out, _lit_int(0))
    return out


# -- the torch-function table -----------------------------------------------

_MISSING = object()


def _arg(args, kwargs, i: int, name: str, default=_MISSING):
    if len(args) > i:
        return args[i]
    if name in kwargs:
        return kwargs[name]
    if default is _MISSING:
        _fail(f"missing argument '{name}'")
    return default


def _binary(fn):
    def handler(args, kwargs):
        return fn(_lift(_arg(args, kwargs, 0, "input")), _lift(_arg(args, kwargs, 1, "other")))
    return handler


def _reflected(fn):
    def handler(args, kwargs):  # Tensor.__radd__(self, other) is other + self
        return fn(_lift(_arg(args, kwargs, 1, "other")), _lift(_arg(args, kwargs, 0, "input")))
    return handler


def _unary(fn):
    def handler(args, kwargs):
        return fn(_lift(_arg(args, kwargs, 0, "input")))
    return handler


def _with_alpha(fn):
    def handler(args, kwargs):
        a = _lift(_arg(args, kwargs, 0, "input"))
        b = _lift(_arg(args, kwargs, 1, "other"))
        alpha = kwargs.get("alpha", args[2] if len(args) > 2 else 1)
        return fn(a, b if alpha == 1 else _mul(_lift(alpha), b))
    return handler


def _div_handler(args, kwargs):
    a = _lift(_arg(args, kwargs, 0, "input"))
    b = _lift(_arg(args, kwargs, 1, "other"))
    mode = kwargs.get("rounding_mode")
    if mode is None:
        return _truediv(a, b)
    if mode == "floor":
        return _floordiv(a, b)
    if mode == "trunc":
        a, b = _num(a, "div"), _num(b, "div")
        if a.type == "int" and b.type == "int":  # C division is trunc
            _sign_of(b)
            return _bin("/", a, b, "int", a.nonneg and b.nonneg)
        _fail("torch.div(rounding_mode='trunc') of floats (.attn has no trunc())")
    _fail(f"torch.div with rounding_mode={mode!r}")


def _fmod_handler(args, kwargs):
    a = _num(_lift(_arg(args, kwargs, 0, "input")), "fmod")
    b = _num(_lift(_arg(args, kwargs, 1, "other")), "fmod")
    _sign_of(b)
    t = _numtype(a, b)  # fmod is C's remainder, .attn's % as is
    return _bin("%", a, b, t, a.nonneg)


def _reduction_checked(fn):
    # torch.min(a, b) is torch.minimum; torch.min(a) and torch.min(a, dim)
    # are reductions, meaningless on a scalar.
    def handler(args, kwargs):
        other = _arg(args, kwargs, 1, "other", None)
        if not isinstance(other, Sym) and getattr(other, "shape", None) is None:
            alt = "torch.minimum" if fn == "min" else "torch.maximum"
            _fail(f"torch.{fn} as a reduction", f"use {alt}(a, b)")
        return _minmax(fn, _lift(_arg(args, kwargs, 0, "input")), _lift(other))
    return handler


def _clamp_handler(which=None):
    def handler(args, kwargs):
        x = _lift(_arg(args, kwargs, 0, "input"))
        if which == "min":
            return _clamp(x, _arg(args, kwargs, 1, "min"), None)
        if which == "max":
            return _clamp(x, None, _arg(args, kwargs, 1, "max"))
        return _clamp(x, _arg(args, kwargs, 1, "min", None), _arg(args, kwargs, 2, "max", None))
    return handler


def _where_handler(args, kwargs):
    if len(args) + len(kwargs) < 3:
        _fail("torch.where(condition) with one argument (it returns indices)")
    c = _lift(_arg(args, kwargs, 0, "condition"))
    return _select(c, _lift(_arg(args, kwargs, 1, "input")), _lift(_arg(args, kwargs, 2, "other")))


def _like_handler(fill):
    # torch.full_like(x, v), zeros_like, ones_like: a constant of x's dtype
    # (or dtype=...), the fill value cast the way torch casts it.
    def handler(args, kwargs):
        x = _lift(_arg(args, kwargs, 0, "input"))
        value = _arg(args, kwargs, 1, "fill_value") if fill is None else fill
        dtype = kwargs.get("dtype")
        kind = x.type if dtype is None else _dtype_kind(dtype)
        return _const(_const_value(value), kind)
    return handler


def _new_handler(fill):
    # x.new_ones(size, dtype=...), x.new_zeros(size), x.new_full(size, v)
    def handler(args, kwargs):
        x = _lift(args[0])
        if fill is None:
            value = _arg(args, kwargs, 2, "fill_value")
        else:
            value = fill
        dtype = kwargs.get("dtype")
        kind = x.type if dtype is None else _dtype_kind(dtype)
        return _const(_const_value(value), kind)
    return handler


def _const_value(v):
    c = _py_const(v)
    if c is None:
        c = _lit(_lift(v))
        if c is None:
            _fail("a fill value that is not a constant")
    return c


def _to_handler(args, kwargs):
    x = _lift(args[0])
    target = kwargs.get("dtype", args[1] if len(args) > 1 else None)
    if isinstance(target, Sym):
        return _to_kind(x, target.type, ".to()")
    if target is None or isinstance(target, str) and not _dtype_kind(target):
        return x  # .to(device) and friends change nothing here
    if getattr(target, "dtype", None) is not None and getattr(target, "shape", None) is not None:
        target = target.dtype  # .to(other_tensor)
    if type(target).__name__ == "device":
        return x
    return _to_kind(x, _dtype_kind(target), ".to()")


def _type_as_handler(args, kwargs):
    x = _lift(args[0])
    other = args[1] if len(args) > 1 else kwargs.get("other")
    kind = other.type if isinstance(other, Sym) else _dtype_kind(getattr(other, "dtype", None))
    return _to_kind(x, kind, ".type_as()")


def _conv(kind: str, what: str):
    def handler(args, kwargs):
        return _to_kind(_lift(args[0]), kind, what)
    return handler


def _logical(op: str):
    def handler(args, kwargs):
        a = _to_kind(_lift(_arg(args, kwargs, 0, "input")), "bool", f"logical_{op}")
        if op == "not":
            return _not(a)
        b = _to_kind(_lift(_arg(args, kwargs, 1, "other")), "bool", f"logical_{op}")
        return _logic({"and": "&", "or": "|", "xor": "^"}[op], a, b)
    return handler


def _pow_handler(args, kwargs):
    return _pow(_lift(_arg(args, kwargs, 0, "input")), _lift(_arg(args, kwargs, 1, "exponent")))


def _cmp_handler(op):
    return _binary(lambda a, b: _compare(op, a, b))


def _rsqrt(x: Sym) -> Sym:
    return _truediv(_lit_float(1.0), _unary_float("sqrt", x))


def _sigmoid(x: Sym) -> Sym:
    return _truediv(_lit_float(1.0), _add(_lit_float(1.0), _unary_float("exp", _neg(_num(x, "sigmoid")))))


def _reciprocal(x: Sym) -> Sym:
    return _truediv(_lit_float(1.0), x)


def _square(x: Sym) -> Sym:
    return _mul(_num(x, "square"), _num(x, "square"))


def _getitem_handler(args, kwargs):
    return _lookup(args[0], args[1])


def _build_table() -> dict:
    t: dict[str, Callable] = {}

    def put(names, handler):
        for n in names.split():
            t[n] = handler

    put("add __add__ __iadd__", _with_alpha(_add))
    put("sub subtract __sub__ __isub__", _with_alpha(_sub))
    put("rsub", lambda a, k: _with_alpha(_sub)((a[1], a[0]) + tuple(a[2:]), k))
    put("mul multiply __mul__ __imul__", _binary(_mul))
    put("div divide __truediv__ __div__ __itruediv__", _div_handler)
    put("true_divide", _binary(_truediv))
    put("floor_divide __floordiv__ __ifloordiv__", _binary(_floordiv))
    put("remainder __mod__ __imod__", _binary(_mod))
    put("fmod", _fmod_handler)
    put("pow __pow__", _pow_handler)
    put("__radd__", _reflected(_add))
    put("__rsub__", _reflected(_sub))
    put("__rmul__", _reflected(_mul))
    put("__rtruediv__ __rdiv__", _reflected(_truediv))
    put("__rfloordiv__", _reflected(_floordiv))
    put("__rmod__", _reflected(_mod))
    put("__rpow__", _reflected(_pow))
    put("__rand__", _reflected(lambda a, b: _logic("&", a, b)))
    put("__ror__", _reflected(lambda a, b: _logic("|", a, b)))
    put("__rxor__", _reflected(lambda a, b: _logic("^", a, b)))
    put("eq __eq__", _cmp_handler("=="))
    put("ne not_equal __ne__", _cmp_handler("!="))
    put("lt less __lt__", _cmp_handler("<"))
    put("le less_equal __le__", _cmp_handler("<="))
    put("gt greater __gt__", _cmp_handler(">"))
    put("ge greater_equal __ge__", _cmp_handler(">="))
    put("bitwise_and __and__ __iand__", _binary(lambda a, b: _logic("&", a, b)))
    put("bitwise_or __or__ __ior__", _binary(lambda a, b: _logic("|", a, b)))
    put("bitwise_xor __xor__ __ixor__", _binary(lambda a, b: _logic("^", a, b)))
    put("bitwise_not __invert__", _unary(_invert))
    put("logical_and", _logical("and"))
    put("logical_or", _logical("or"))
    put("logical_xor", _logical("xor"))
    put("logical_not", _logical("not"))
    put("neg negative __neg__", _unary(_neg))
    put("positive __pos__", _unary(lambda x: _num(x, "+")))
    put("abs absolute __abs__", _unary(_abs))
    put("minimum", _binary(lambda a, b: _minmax("min", a, b)))
    put("maximum", _binary(lambda a, b: _minmax("max", a, b)))
    put("min", _reduction_checked("min"))
    put("max", _reduction_checked("max"))
    put("clamp clip", _clamp_handler())
    put("clamp_min", _clamp_handler("min"))
    put("clamp_max", _clamp_handler("max"))
    for fn in ("tanh", "exp", "exp2", "log", "log2", "sqrt"):
        put(fn, _unary(functools.partial(_unary_float, fn)))
    put("rsqrt", _unary(_rsqrt))
    put("sigmoid", _unary(_sigmoid))
    put("reciprocal", _unary(_reciprocal))
    put("square", _unary(_square))
    put("sign sgn", _unary(_sign))
    put("where", _where_handler)
    put("full_like", _like_handler(None))
    put("zeros_like", _like_handler(0))
    put("ones_like", _like_handler(1))
    put("new_full", _new_handler(None))
    put("new_zeros", _new_handler(0))
    put("new_ones", _new_handler(1))
    put("float double half bfloat16", _conv("float", ".float()"))
    put("int long short", _conv("int", ".int()"))
    put("bool", _conv("bool", ".bool()"))
    put("to", _to_handler)
    put("type_as", _type_as_handler)
    put("__getitem__", _getitem_handler)
    return t


_TORCH_FUNCS = _build_table()


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def sym_var(name: str) -> Sym:
    """One of the .attn variables b h q k seq_q seq_k (int, >= 0) or score."""
    if name == "score":
        return Sym(_Node("name", "float", name))
    assert name in ("b", "h", "q", "k", "seq_q", "seq_k"), name
    return Sym(_Node("name", "int", name), nonneg=True)


def sym_raw(text: str, type_: str = "bool") -> Sym:
    """Verbatim .attn text that parses as one atom (``causal``,
    ``sliding_window(left = 4, right = 0)``)."""
    return Sym(_Node("raw", type_, text))


def sym_lookup(ref: TensorRef, *indices: Sym) -> Sym:
    """ref[indices] for a TensorRef made by the caller (spec's ALiBi)."""
    t = "float" if ref.kind == "f32" else "int"
    return Sym(_Node("index", t, args=[i.node for i in indices], value=ref))


def sym_call(fn: str, *args) -> Sym:
    """An .attn math function applied like the tracer would: ``tanh exp
    exp2 log log2 sqrt`` (float), ``abs``, ``min``, ``max``, ``float``."""
    xs = [_lift(a) for a in args]
    if fn in ("tanh", "exp", "exp2", "log", "log2", "sqrt"):
        return _unary_float(fn, *xs)
    if fn == "abs":
        return _abs(*xs)
    if fn in ("min", "max"):
        return _minmax(fn, *xs)
    if fn == "float":
        return _as_float(*xs)
    raise ValueError(f"unknown .attn function {fn!r}")


def _def_site(fn) -> tuple[str, int]:
    f = fn.func if isinstance(fn, functools.partial) else fn
    if not hasattr(f, "__code__") and hasattr(f, "__call__"):
        f = f.__call__  # a callable object
    f = getattr(f, "__func__", f)
    code = getattr(f, "__code__", None)
    if code is None:
        return ("<unknown>", 0)
    return code.co_filename, code.co_firstlineno


def finish(value, role: str, at: tuple[str, int] = ("<unknown>", 0)) -> Traced:
    """A Traced from a traced function's return value: checks its type for
    the role ('mask_mod' needs a bool; 'score_mod' a number, ints become
    float(...)) and the size limits of the parser."""
    # Errors about the returned value itself point at the function.
    _state.at = at
    try:
        s = _lift(value)
    finally:
        _state.at = None
    if role == "mask_mod" and s.type != "bool":
        _fail(
            f"mask_mod must return a boolean, but returned an {s.type} "
            f"expression `{render(s.node)}`",
            "compare it, e.g. q_idx >= kv_idx",
            at=at,
        )
    if role == "score_mod":
        if s.type == "bool":
            _fail(
                f"score_mod must return a number, but returned a boolean "
                f"expression `{render(s.node)}`",
                "drop positions with a mask_mod instead",
                at=at,
            )
        s = _as_float(s)
    ops, depth = _tree_size(s.node)
    if ops > 4000 or depth > 150:
        _fail(
            f"the traced expression is too large for .attn ({ops} operations, "
            f"depth {depth}); nested floor divisions of possibly negative "
            "values expand into large formulas",
            at=at,
        )
    return Traced(render(s.node), _tensors_in(s.node), s.node)


def _check_arity(fn, n: int, role: str, params: str) -> None:
    if not callable(fn):
        raise TraceError(f"{role} must be callable, got {type(fn).__name__}")
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # builtins and C callables: just call them
    try:
        sig.bind(*range(n))
    except TypeError:
        head, _, src = _site(*_def_site(fn)).partition("\n")
        raise TraceError(
            f"{head}: {role} must take {n} positional arguments "
            f"({params}); its signature is {sig}" + (f"\n{src}" if src else "")
        ) from None


def _run(fn, role: str, args: Sequence[Sym], known: Iterable[TensorRef]) -> Traced:
    ctx = _Trace(fn, role, known)
    stack = getattr(_state, "stack", None)
    if stack is None:
        stack = _state.stack = []
    stack.append(ctx)
    try:
        result = fn(*args)
        return finish(result, role, _def_site(fn))
    finally:
        stack.pop()


def trace_mask_mod(fn: Callable, *, known: Iterable[TensorRef] = ()) -> Traced:
    """Traces ``fn(b, h, q_idx, kv_idx) -> bool`` into an ``.attn`` mask.

    ``known``: tensors already named in the same spec; a tensor found among
    them (by identity) keeps its name, and their names are not reused.
    Raises TraceError for anything that cannot be traced.
    """
    _check_arity(fn, 4, "mask_mod", "b, h, q_idx, kv_idx")
    args = [sym_var(n) for n in ("b", "h", "q", "k")]
    return _run(fn, "mask_mod", args, known)


def trace_score_mod(fn: Callable, *, known: Iterable[TensorRef] = ()) -> Traced:
    """Traces ``fn(score, b, h, q_idx, kv_idx) -> number`` into an
    ``.attn`` score expression (an int result is converted with
    ``float(...)``). ``known`` as for :func:`trace_mask_mod`."""
    return trace_score_mod_of(fn, sym_var("score"), known=known)


def trace_score_mod_of(fn: Callable, score: Sym, *, known: Iterable[TensorRef] = ()) -> Traced:
    """:func:`trace_score_mod` with ``score`` standing for the score: how
    :mod:`flashgen.spec` applies a score_mod after softcap and ALiBi."""
    _check_arity(fn, 5, "score_mod", "score, b, h, q_idx, kv_idx")
    args = [score] + [sym_var(n) for n in ("b", "h", "q", "k")]
    return _run(fn, "score_mod", args, known)
