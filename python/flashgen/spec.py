"""``.attn`` spec text from Python keywords.

:class:`Spec` describes an attention variant the way Python users already
write one: flash-attn's keywords (``causal``, ``window``, ``softcap``,
``alibi_slopes``, ``dropout_p``, ``scale``) and FlexAttention's
``mask_mod`` / ``score_mod`` functions. :meth:`Spec.to_attn` turns it into
one ``attention NAME { ... }`` variant of the ``.attn`` language, which is
what the compiler takes. The builtins ``causal``, ``causal(bottom_right)``
and ``sliding_window(...)`` are used wherever they express the mask exactly
(the compiler's tile classifier knows them best); other pieces are plain
expressions over ``q``, ``k``, ``seq_q``, ``seq_k``.

The text is a pure function of the spec and the ``to_attn`` arguments
(captured tensors appear by name, rank and size, never by value), so it can
serve as the compilation cache key; :meth:`Spec.cache_key` hashes it.

Semantics of the pieces, in the order they apply:

* mask = causal AND window AND mask_mod;
* score = softcap first (``C * tanh(score / C)``), then ALiBi as in
  flash-attn 2 (``score - slope * |q + seq_k - seq_q - k|`` bottom-right
  aligned, ``|q - k|`` top-left), then ``score_mod`` applied to that value
  (its ``score`` argument stands for the score so far).

No PyTorch is needed: tensors are any objects with ``.shape`` and ``.dtype``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import numbers
import re
from dataclasses import dataclass
from typing import Callable, Optional, Union

from . import trace as _trace
from .errors import SpecError, UnsupportedError
from .trace import TensorRef

__all__ = ["Spec"]

_ALIGNS = ("top_left", "bottom_right")
_DTYPES = {
    "bf16": "bf16", "bfloat16": "bf16",
    "f16": "f16", "fp16": "f16", "float16": "f16", "half": "f16",
    # fp8 inputs, bf16 output: forward only (the .attn dtype fp8_e4m3).
    "fp8_e4m3": "fp8_e4m3", "float8_e4m3fn": "fp8_e4m3",
}
_KEYWORDS = ("attention", "tensor", "true", "false")
_INT32_MAX = 2**31 - 1


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _same(a, b) -> bool:
    """Field equality: values for plain data, identity for tensors and
    functions (whose == is elementwise or meaningless)."""
    if a is b:
        return True
    plain = (bool, int, float, str, tuple, type(None))
    return isinstance(a, plain) and isinstance(b, plain) and a == b


@dataclass(eq=False)
class Spec:
    """An attention variant described by keywords; see the module doc.

    causal: ``True`` (aligned by ``align``), ``'top_left'`` (``k <= q``) or
        ``'bottom_right'`` (``k <= q + seq_k - seq_q``, for decoding).
    window: ``(left, right)``: query ``q`` sees keys ``q - left ..
        q + right`` (aligned by ``align``); ``-1`` leaves that side
        unbounded; an int ``w`` means ``(w, 0)``.
    align: ``'top_left'`` or ``'bottom_right'``, for ``window``,
        ``causal=True`` and ALiBi.
    softcap: ``C`` for ``C * tanh(score / C)``; ``0`` or ``None`` is off.
    alibi_slopes: a float tensor ``[heads]`` or ``[batch, heads]``.
    dropout_p: attention dropout probability in ``[0, 1)``.
    mask_mod, score_mod: FlexAttention-style functions, traced by
        :mod:`flashgen.trace`.
    scale: the softmax scale; ``None`` is ``1 / sqrt(qk_head_dim)``.
    name: the variant's name in the ``.attn`` text.

    Invalid keywords raise :class:`~flashgen.errors.SpecError` naming the
    keyword, at construction and again in :meth:`to_attn` (fields may be
    assigned in between).
    """

    causal: Union[bool, str] = False
    window: Union[None, int, tuple] = None
    align: str = "top_left"
    softcap: Optional[float] = None
    alibi_slopes: object = None
    dropout_p: float = 0.0
    mask_mod: Optional[Callable] = None
    score_mod: Optional[Callable] = None
    scale: Optional[float] = None
    name: str = "spec"

    def __post_init__(self) -> None:
        if isinstance(self.window, list):  # hashable, like the rest
            self.window = tuple(self.window)
        self.validate()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Spec):
            return NotImplemented
        return all(_same(getattr(self, f.name), getattr(other, f.name))
                   for f in dataclasses.fields(self))

    __hash__ = None  # mutable

    # -- construction from flash-attn 2.x arguments ------------------------

    @classmethod
    def from_flash_attn(cls, causal: bool = False, window_size=(-1, -1), softcap: float = 0.0,
                        alibi_slopes=None, dropout_p: float = 0.0,
                        softmax_scale: Optional[float] = None) -> "Spec":
        """The Spec of a flash-attn 2.x call: causal masks and local windows
        are aligned to the bottom-right corner; ``window_size=(-1, -1)`` is
        no window (any negative side is unbounded); ``causal=True`` sets
        the window's right side to 0 and keeps its left side; softcap
        ``0.0`` is off; ALiBi is bottom-right aligned."""
        if window_size is None:
            window_size = (-1, -1)
        try:
            left, right = window_size
        except (TypeError, ValueError):
            raise SpecError(f"window_size must be a pair (left, right), got {window_size!r}") from None
        if not (_is_int(left) and _is_int(right)):
            raise SpecError(f"window_size must be a pair of ints, got {window_size!r}")
        left, right = (int(x) if x >= 0 else -1 for x in (left, right))
        if not isinstance(causal, (bool, int)) or isinstance(causal, str):
            raise SpecError(f"causal must be a bool, got {causal!r}")
        if causal:
            right = 0
        # Unbounded on both sides, or causal with an unbounded left: no
        # window beyond what causal says.
        window = None if left < 0 and (right < 0 or causal) else (left, right)
        return cls(causal=bool(causal), window=window, align="bottom_right",
                   softcap=softcap if softcap else None, alibi_slopes=alibi_slopes,
                   dropout_p=dropout_p, scale=softmax_scale)

    # -- validation --------------------------------------------------------

    def validate(self) -> None:
        """Raises SpecError naming the first invalid keyword."""
        c = self.causal
        if not (isinstance(c, bool) or (isinstance(c, str) and c in _ALIGNS)):
            raise SpecError(f"Spec.causal must be True, False, 'top_left' or 'bottom_right', "
                            f"got {c!r}")
        if self.align not in _ALIGNS:
            raise SpecError(f"Spec.align must be 'top_left' or 'bottom_right', got {self.align!r}")
        self._window()  # validates
        sc = self.softcap
        if sc is not None and not (_is_real(sc) and math.isfinite(sc) and sc >= 0):
            raise SpecError(f"Spec.softcap must be a finite number >= 0 (0 or None is off), "
                            f"got {sc!r}")
        a = self.alibi_slopes
        if a is not None:
            shape = getattr(a, "shape", None)
            if shape is None or len(tuple(shape)) not in (1, 2):
                raise SpecError("Spec.alibi_slopes must be a tensor [heads] or [batch, heads], "
                                f"got {'shape ' + str(list(shape)) if shape is not None else type(a).__name__}")
            dtype = getattr(a, "dtype", None)
            if dtype is not None and _trace._dtype_kind(dtype) != "float":
                raise SpecError(f"Spec.alibi_slopes must be a float tensor, got dtype {dtype}")
        p = self.dropout_p
        if not (_is_real(p) and 0.0 <= p < 1.0):
            raise SpecError(f"Spec.dropout_p must be a number in [0, 1), got {p!r}")
        for key in ("mask_mod", "score_mod"):
            f = getattr(self, key)
            if f is not None and not callable(f):
                raise SpecError(f"Spec.{key} must be callable or None, got {type(f).__name__}")
        s = self.scale
        if s is not None and not (_is_real(s) and math.isfinite(s) and s > 0):
            raise SpecError(f"Spec.scale must be a finite number > 0 (None: 1/sqrt(head dim)), "
                            f"got {s!r}")
        if not (isinstance(self.name, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.name)
                and self.name not in _KEYWORDS):
            raise SpecError(f"Spec.name must be an identifier (not {', '.join(_KEYWORDS)}), "
                            f"got {self.name!r}")

    def _window(self) -> Optional[tuple]:
        """The window as (left, right) with -1 for unbounded, or None."""
        w = self.window
        if w is None:
            return None
        if _is_int(w):
            if w < 0:
                raise SpecError(f"Spec.window must be >= 0 (or a pair with -1 for unbounded), "
                                f"got {w}")
            w = (int(w), 0)
        elif isinstance(w, (tuple, list)) and len(w) == 2 and all(_is_int(x) for x in w):
            w = (int(w[0]), int(w[1]))
            if min(w) < -1:
                raise SpecError(f"Spec.window sides must be >= 0, or -1 for unbounded, got {w}")
        else:
            raise SpecError(f"Spec.window must be None, an int or a pair (left, right), got {w!r}")
        if max(w) > _INT32_MAX:
            raise SpecError(f"Spec.window {w} does not fit in 32 bits")
        return None if w == (-1, -1) else w

    def _causal_align(self) -> Optional[str]:
        if self.causal is True:
            return self.align
        return self.causal or None

    # -- .attn text --------------------------------------------------------

    def to_attn(self, *, dtype: str, qk_head_dim: int, v_head_dim: int, varlen: bool = False,
                backward: bool = True) -> tuple[str, tuple[TensorRef, ...]]:
        """``(text, tensors)``: one ``attention NAME { ... }`` variant and the
        TensorRefs it declares (the ALiBi slopes, then the tensors captured
        by mask_mod, then by score_mod), in declaration order.

        dtype: ``'bf16'``, ``'f16'`` or ``'fp8_e4m3'`` (forward only; also ``'fp16'``, ``'bfloat16'``,
        ``'float16'``, or a torch dtype). Deterministic: equal inputs give
        equal text.
        """
        self.validate()
        dt = _DTYPES.get(str(dtype).rsplit(".", 1)[-1].lower())
        if dt is None:
            if "float8" in str(dtype) or "fp8" in str(dtype):
                raise UnsupportedError(f"dtype {dtype} is not supported yet; use fp8_e4m3, "
                                       "bf16 or f16")
            raise SpecError(f"dtype must be 'bf16', 'f16' or 'fp8_e4m3', got {dtype!r}")
        for key, d in (("qk_head_dim", qk_head_dim), ("v_head_dim", v_head_dim)):
            if not _is_int(d) or d <= 0:
                raise SpecError(f"{key} must be a positive int, got {d!r}")
            if d % 8 or d > 256:
                raise UnsupportedError(f"{key} = {d}: head dims must be multiples of 8 "
                                       "no larger than 256")

        refs: list[TensorRef] = []

        def add_refs(new) -> None:
            for r in new:
                if not any(r.tensor is x.tensor for x in refs):
                    refs.append(r)

        # ALiBi's tensor first, so traced tensors never take its name.
        alibi = None
        if self.alibi_slopes is not None:
            rank = len(tuple(self.alibi_slopes.shape))
            alibi = TensorRef("alibi_slopes", self.alibi_slopes, "f32",
                              ("heads",) if rank == 1 else ("batch", "heads"))
            add_refs([alibi])

        mask = self._mask(refs, add_refs)
        score = self._score(alibi, refs, add_refs)

        items: list[tuple[str, str]] = [("dtype", dt)]
        if qk_head_dim == v_head_dim:
            items.append(("head_dim", str(qk_head_dim)))
        else:
            items += [("qk_head_dim", str(qk_head_dim)), ("v_head_dim", str(v_head_dim))]
        if self.scale is not None:
            items.append(("scale", repr(float(self.scale))))
        if mask is not None:
            items.append(("mask", mask))
        if score is not None:
            items.append(("score", score))
        if self.dropout_p > 0:
            items.append(("dropout", repr(float(self.dropout_p))))
        if varlen:
            items.append(("varlen", "true"))
        if backward and dt != "fp8_e4m3":  # fp8 has a forward only
            items.append(("passes", "forward, backward"))

        # Laid out like examples/*.attn: '=' aligned, tensor declarations
        # after the shape properties and before the expressions using them.
        width = max(len(k) for k, _ in items)
        lines = [f"attention {self.name} {{"]
        decls = [f"  {r.declaration()}" for r in refs]
        for k, v in items:
            if decls and k in ("mask", "score", "dropout", "varlen", "passes"):
                lines += decls
                decls = []
            lines.append(f"  {k.ljust(width)} = {v};")
        lines += decls
        lines.append("}")
        return "\n".join(lines) + "\n", tuple(refs)

    def cache_key(self, *, dtype: str, qk_head_dim: int, v_head_dim: int, varlen: bool = False,
                  backward: bool = True) -> str:
        """A hex digest of :meth:`to_attn`'s text: equal for specs that
        compile to the same kernels (captured tensors count by name, dtype
        kind and shape, not by value)."""
        text, _ = self.to_attn(dtype=dtype, qk_head_dim=qk_head_dim, v_head_dim=v_head_dim,
                               varlen=varlen, backward=backward)
        return hashlib.sha256(text.encode()).hexdigest()

    def _aligned_q(self, align: str):
        q = _trace.sym_var("q")
        if align == "bottom_right":
            return q + _trace.sym_var("seq_k") - _trace.sym_var("seq_q")
        return q

    def _causal_piece(self, align: str):
        return _trace.sym_raw("causal" if align == "top_left" else "causal(bottom_right)")

    def _window_piece(self, left: int, right: int, align: str):
        """q - left <= k <= q + right (aligned); -1 leaves a side open."""
        if left < 0 and right == 0:
            return self._causal_piece(align)
        tail = ", align = bottom_right" if align == "bottom_right" else ""
        if left >= 0 and right >= 0:
            return _trace.sym_raw(f"sliding_window(left = {left}, right = {right}{tail})")
        if right >= 0:  # sliding_window without left has no lower bound
            return _trace.sym_raw(f"sliding_window(right = {right}{tail})")
        # Only the lower bound: the builtin always bounds the right side.
        return (self._aligned_q(align) - left) <= _trace.sym_var("k")

    def _mask(self, refs, add_refs) -> Optional[str]:
        parts = []
        causal = self._causal_align()
        window = self._window()
        if window is not None:
            left, right = window
            if causal == self.align:
                # Same alignment: causal caps the right side at 0 (k <= q),
                # exactly; one builtin says both.
                right, causal = 0, None
            parts.append(self._window_piece(left, right, self.align))
        if causal is not None:
            parts.insert(0, self._causal_piece(causal))
        if self.mask_mod is not None:
            traced = _trace.trace_mask_mod(self.mask_mod, known=refs)
            add_refs(traced.tensors)
            parts.append(_trace.Sym(traced.node))
        if not parts:
            return None
        m = parts[0]
        for p in parts[1:]:
            m = m & p
        if m.node.kind == "bool" and m.node.value:
            return None  # everything visible: the default
        return _trace.finish(m, "mask_mod").expr

    def _score(self, alibi: Optional[TensorRef], refs, add_refs) -> Optional[str]:
        s = _trace.sym_var("score")
        if self.softcap:
            c = float(self.softcap)
            s = c * _trace.sym_call("tanh", s / c)
        if alibi is not None:
            h = _trace.sym_var("h")
            idx = (h,) if len(alibi.dims) == 1 else (_trace.sym_var("b"), h)
            slope = _trace.sym_lookup(alibi, *idx)
            dist = self._aligned_q(self.align) - _trace.sym_var("k")
            s = s - slope * _trace.sym_call("abs", dist)
        if self.score_mod is not None:
            traced = _trace.trace_score_mod_of(self.score_mod, s, known=refs)
            add_refs(traced.tensors)
            node = traced.node
        else:
            node = s.node
        if node.kind == "name" and node.op == "score":
            return None  # unchanged: the default
        return _trace.render(node)
