"""A tiny evaluator of ``.attn`` expressions with the compiler's semantics,
for the Python tests (no compiler needed).

It follows compiler/lib/Frontend: the grammar and precedence of Parser.cpp,
the typing of SemaExpr.cpp (ints promote to float when mixed, arithmetic
on bools and bools as indices are type errors, mask builtins desugar as
there) and C arithmetic as Lowering.cpp emits it (integer ``/`` truncates,
``%`` is the C remainder, float ``%`` is fmod; both ``?:`` branches are
evaluated). Floats are evaluated in double precision. Anything the real
frontend would reject raises ``AttnSyntaxError`` / ``AttnTypeError``, so
evaluating text doubles as a check that it is well formed.

    ev = AttnExpr("q / 1000 == k / 1000", tensors={"doc": FakeTensor(...)})
    ev(q=3, k=4)  -> True

``FakeTensor`` is the tensor the tests trace and evaluate with when there is
no torch: nested lists with a shape and a dtype name.
"""

from __future__ import annotations

import math
import re

__all__ = ["AttnExpr", "AttnSyntaxError", "AttnTypeError", "FakeTensor", "c_div", "c_rem",
           "parse_variant"]


class AttnSyntaxError(ValueError):
    pass


class AttnTypeError(TypeError):
    pass


_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)"
    r"|(?P<id>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:()\[\],=]))"
)

_LEVELS = [("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "/", "%")]
_MATH = {"abs": 1, "min": 2, "max": 2, "clamp": 3, "tanh": 1, "exp": 1, "exp2": 1,
         "log": 1, "log2": 1, "sqrt": 1, "float": 1}
_VARS = ("b", "h", "q", "k", "seq_q", "seq_k")


def c_div(a: int, b: int) -> int:
    """The spec language's integer division (templates/flashgen/attention/
    IntArith.cuh): truncates toward zero, x / 0 = 0 (int32 wrap-around for
    INT_MIN / -1 is not reached by the tests' values)."""
    if b == 0:
        return 0
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def c_rem(a: int, b: int) -> int:
    """The spec language's remainder: sign of the dividend, x % 0 = x."""
    if b == 0:
        return a
    return a - b * c_div(a, b)


def _tokens(text: str):
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise AttnSyntaxError(f"bad character at {pos} in {text!r}")
        pos = m.end()
        kind = m.lastgroup
        tok = m.group(kind)
        if kind == "num":
            if pos < len(text) and (text[pos].isalpha() or text[pos] == "_"):
                raise AttnSyntaxError(f"invalid number {tok}{text[pos]}")
            if re.fullmatch(r"\d+", tok):
                if int(tok) > 2**31 - 1:
                    raise AttnSyntaxError(f"integer literal {tok} does not fit in 32 bits")
                out.append(("int", int(tok)))
            else:
                v = float(tok)
                if not math.isfinite(v):
                    raise AttnSyntaxError(f"number {tok} is out of range")
                out.append(("float", v))
        elif kind == "id":
            out.append(("bool", tok == "true") if tok in ("true", "false") else ("id", tok))
        else:
            out.append(("op", tok))
    out.append(("eof", None))
    return out


class _Parser:
    """Parser.cpp's grammar, building nested tuples."""

    def __init__(self, text: str):
        self.toks = _tokens(text)
        self.i = 0

    def peek(self):
        return self.toks[self.i]

    def take(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, op):
        t = self.take()
        if t != ("op", op):
            raise AttnSyntaxError(f"expected {op!r}, found {t}")

    def expr(self):
        c = self.binary(0)
        if self.peek() == ("op", "?"):
            self.take()
            a = self.expr()
            self.expect(":")
            b = self.expr()
            return ("cond", c, a, b)
        return c

    def binary(self, level):
        if level == len(_LEVELS):
            return self.unary()
        lhs = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in _LEVELS[level]:
            op = self.take()[1]
            lhs = ("bin", op, lhs, self.binary(level + 1))
        return lhs

    def unary(self):
        if self.peek() in (("op", "-"), ("op", "!")):
            op = self.take()[1]
            return ("neg" if op == "-" else "not", self.unary())
        return self.postfix()

    def postfix(self):
        t = self.peek()
        if t[0] != "id":
            return self.primary()
        self.take()
        name = t[1]
        if self.peek() == ("op", "("):
            self.take()
            args = []
            if self.peek() != ("op", ")"):
                while True:
                    key = None
                    if self.peek()[0] == "id" and self.toks[self.i + 1] == ("op", "="):
                        key = self.take()[1]
                        self.take()
                    args.append((key, self.expr()))
                    if self.peek() != ("op", ","):
                        break
                    self.take()
            self.expect(")")
            return ("call", name, args)
        if self.peek() == ("op", "["):
            self.take()
            idx = [self.expr()]
            while self.peek() == ("op", ","):
                self.take()
                idx.append(self.expr())
            self.expect("]")
            return ("index", name, idx)
        return ("name", name)

    def primary(self):
        t = self.take()
        if t[0] in ("int", "float", "bool"):
            return ("lit", t[1])
        if t == ("op", "("):
            e = self.expr()
            self.expect(")")
            return e
        raise AttnSyntaxError(f"expected an expression, found {t}")


def _typ(v):
    if type(v) is bool:
        return "bool"
    return "int" if isinstance(v, int) else "float"


def _num(v, what):
    if _typ(v) == "bool":
        raise AttnTypeError(f"{what} needs numbers, got bool")
    return v


class AttnExpr:
    """A parsed .attn expression. ``context``: 'mask' or 'score' (which
    names are allowed). ``tensors``: name -> object with ``.data`` (nested
    lists) and ``.shape``; ``kinds``: name -> 'i32'/'f32' (default from
    the data)."""

    def __init__(self, text: str, *, context: str = "mask", tensors=None, kinds=None):
        p = _Parser(text)
        self.tree = p.expr()
        if p.peek()[0] != "eof":
            raise AttnSyntaxError(f"trailing tokens in {text!r}: {p.toks[p.i:]}")
        self.text = text
        self.context = context
        self.tensors = dict(tensors or {})
        self.kinds = dict(kinds or {})

    def __call__(self, **env):
        for name in _VARS:
            env.setdefault(name, 0)
        v = self._eval(self.tree, env)
        return v

    # -- evaluation ----------------------------------------------------------
    def _eval(self, n, env):
        kind = n[0]
        if kind == "lit":
            return n[1]
        if kind == "name":
            name = n[1]
            if name in _VARS:
                return int(env[name])
            if name == "score":
                if self.context != "score":
                    raise AttnTypeError("'score' outside the score expression")
                return float(env["score"])
            if name in ("causal", "none", "key_padding", "sliding_window"):
                return self._builtin(name, [], env)
            raise AttnTypeError(f"unknown identifier {name!r}")
        if kind == "index":
            return self._index(n[1], [self._eval(i, env) for i in n[2]])
        if kind == "call":
            return self._call(n[1], n[2], env)
        if kind == "neg":
            v = _num(self._eval(n[1], env), "unary -")
            return -v
        if kind == "not":
            v = self._eval(n[1], env)
            if _typ(v) != "bool":
                raise AttnTypeError("'!' needs a bool")
            return not v
        if kind == "cond":
            c = self._eval(n[1], env)
            a = self._eval(n[2], env)  # both branches, as the lowering does
            b = self._eval(n[3], env)
            if _typ(c) != "bool":
                raise AttnTypeError("condition of ?: must be a bool")
            ta, tb = _typ(a), _typ(b)
            if "bool" in (ta, tb) and ta != tb:
                raise AttnTypeError("branches of ?: have different types")
            r = a if c else b
            if ta != tb:  # int/float mix promotes
                r = float(r)
            return r
        if kind == "bin":
            return self._binary(n[1], self._eval(n[2], env), self._eval(n[3], env))
        raise AssertionError(n)

    def _binary(self, op, a, b):
        ta, tb = _typ(a), _typ(b)
        if op in ("&&", "||"):
            if ta != "bool" or tb != "bool":
                raise AttnTypeError(f"{op} needs bools")
            return (a and b) if op == "&&" else (a or b)
        if op in ("==", "!="):
            if (ta == "bool") != (tb == "bool"):
                raise AttnTypeError(f"{op} needs operands of the same kind")
            if "float" in (ta, tb):
                a, b = float(a), float(b)
            return (a == b) if op == "==" else (a != b)
        _num(a, op)
        _num(b, op)
        isfloat = "float" in (ta, tb)
        if isfloat:
            a, b = float(a), float(b)
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        if op == ">=":
            return a >= b
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if isfloat:
                if b == 0:
                    return math.copysign(math.inf, a) if a else math.nan
                return a / b
            return c_div(a, b)
        if op == "%":
            if isfloat:
                return math.fmod(a, b) if b != 0 else math.nan
            return c_rem(a, b)
        raise AssertionError(op)

    def _index(self, name, idx):
        if name not in self.tensors:
            raise AttnTypeError(f"unknown tensor {name!r}")
        t = self.tensors[name]
        if len(idx) != len(t.shape):
            raise AttnTypeError(f"tensor {name} has rank {len(t.shape)}, indexed with {len(idx)}")
        v = t.data
        for i, size in zip(idx, t.shape):
            if _typ(i) != "int":
                raise AttnTypeError(f"index of {name} must be an int, got {_typ(i)}")
            if not 0 <= i < size:
                raise IndexError(f"{name}: index {i} out of range [0, {size})")
            v = v[i]
        kind = self.kinds.get(name) or ("f32" if isinstance(v, float) else "i32")
        return float(v) if kind == "f32" else int(v)

    def _call(self, name, args, env):
        if name in ("causal", "sliding_window", "none", "key_padding"):
            return self._builtin(name, args, env)
        if name not in _MATH:
            raise AttnTypeError(f"unknown function {name!r}")
        if len(args) != _MATH[name] or any(k for k, _ in args):
            raise AttnTypeError(f"{name} takes {_MATH[name]} positional arguments")
        xs = [_num(self._eval(a, env), name) for _, a in args]
        allint = all(_typ(x) == "int" for x in xs)
        if name == "abs":
            return abs(xs[0])
        if name in ("min", "max", "clamp"):
            if not allint:
                xs = [float(x) for x in xs]
            if name == "min":
                return min(xs)
            if name == "max":
                return max(xs)
            return min(max(xs[0], xs[1]), xs[2])
        x = float(xs[0])
        if name == "float":
            return x
        f = {"tanh": math.tanh, "exp": math.exp, "exp2": lambda v: 2.0 ** v,
             "log": lambda v: math.log(v) if v > 0 else (-math.inf if v == 0 else math.nan),
             "log2": lambda v: math.log2(v) if v > 0 else (-math.inf if v == 0 else math.nan),
             "sqrt": lambda v: math.sqrt(v) if v >= 0 else math.nan}[name]
        return f(x)

    def _builtin(self, name, args, env):
        """SemaExpr.cpp's desugaring of the mask builtins."""
        if self.context != "mask":
            raise AttnTypeError(f"{name!r} is a mask")
        q, k, sq, sk = (int(env[x]) for x in ("q", "k", "seq_q", "seq_k"))
        if name == "none":
            return True
        if name == "key_padding":
            return k < self._index("seqlens_k", [int(env["b"])])
        bottom_right = False
        left = right = None
        for key, value in args:
            if (key in (None, "align")) and value[0] == "name" and value[1] in ("top_left", "bottom_right"):
                bottom_right = value[1] == "bottom_right"
                continue
            if name == "causal":
                raise AttnTypeError("causal takes only an alignment")
            if key not in ("left", "right"):
                raise AttnTypeError(f"sliding_window has no argument {key!r}")
            v = self._eval(value, env)
            if _typ(v) != "int" or v < 0:
                raise AttnTypeError(f"sliding window {key} must be an int >= 0")
            if key == "left":
                left = v
            else:
                right = v
        qa = q + (sk - sq) if bottom_right else q
        if name == "causal":
            return k <= qa
        if name == "sliding_window" and not args:
            raise AttnTypeError("sliding_window needs its window")
        if left is None and right is None:
            raise AttnTypeError("sliding_window needs left and/or right")
        ok = k <= qa + (right or 0)
        if left is not None:
            ok = ok and qa - left <= k
        return ok


def parse_variant(text: str) -> dict:
    """Splits one ``attention NAME { ... }`` variant into
    {'name', 'props': {key: value text}, 'tensors': {name: (kind, dims)}}.
    Checks the outline only; values are checked by AttnExpr."""
    m = re.fullmatch(r"\s*attention\s+([A-Za-z_]\w*)\s*\{(.*)\}\s*", text, re.S)
    if not m:
        raise AttnSyntaxError("not one 'attention NAME { ... }' variant")
    out = {"name": m.group(1), "props": {}, "tensors": {}}
    for item in m.group(2).split(";"):
        item = item.strip()
        if not item:
            continue
        t = re.fullmatch(r"tensor\s+([A-Za-z_]\w*)\s*:\s*(i32|f32)\s*\[([^\]]*)\]", item)
        if t:
            dims = tuple(d.strip() for d in t.group(3).split(","))
            out["tensors"][t.group(1)] = (t.group(2), dims)
            continue
        p = re.fullmatch(r"([A-Za-z_]\w*)\s*=\s*(.+)", item, re.S)
        if not p:
            raise AttnSyntaxError(f"bad item {item!r}")
        if p.group(1) in out["props"]:
            raise AttnSyntaxError(f"property {p.group(1)} set twice")
        out["props"][p.group(1)] = p.group(2).strip()
    return out


class FakeTensor:
    """A minimal tensor-like: ``.shape``, ``.dtype`` (a string, like
    str(torch.int32) minus the prefix), ``.item()``, and indexing: concrete
    indices read ``data`` (nested lists); a traced index is forwarded to
    ``__torch_function__`` as torch's ``Tensor.__getitem__`` does."""

    def __init__(self, data, dtype: str = "int32"):
        self.data = data
        shape, v = [], data
        while isinstance(v, list):
            shape.append(len(v))
            v = v[0]
        self.shape = tuple(shape)
        self.dtype = dtype

    def __getitem__(self, index):
        __tracebackhide__ = True  # the tracer reports the caller's line
        items = index if isinstance(index, tuple) else (index,)
        for x in items:
            tf = getattr(type(x), "__torch_function__", None)
            if tf is not None:
                return tf(FakeTensor.__getitem__, (type(x),), (self, index), {})
        v = self.data
        for i in items:
            v = v[i]
        return v

    def item(self):
        assert self.shape == ()
        return self.data
