"""flashgen's PyTorch operators: `flashgen::attention_fwd` and `flashgen::attention_bwd`.

Registered with `torch.library.custom_op`, with fake (meta) implementations
and an autograd formula, so that `torch.compile(fullgraph=True)` traces a
model that calls them with no graph break and `loss.backward()` runs the
compiled backward kernels.

The operators see Q, K, V in flash-attn's logical layout, [batch, seq, heads,
dim] (varlen: [tokens, heads, dim]), with any strides the kernels can read
(unit last stride, other strides multiples of 8 elements); the API layer
(api.py) transposes SDPA-layout inputs into that view without copying. The
spec travels as its `.attn` text: the kernel is compiled once per (text,
device) and kept by _library.kernel.
"""
from __future__ import annotations

import ctypes
from typing import Optional

import torch

from . import _library
from .descale import Descale
from .errors import ArgumentError

Tensor = torch.Tensor

# The output layouts attention_fwd can allocate O in (its `o_layout` argument).
O_BSHD, O_BHSD = 0, 1

# 16-bit inputs' factors: none.
_NO_DESCALE = Descale((1.0, 1.0, 1.0), (None, None, None))


def _strides(t: Tensor, varlen: bool) -> _library.Strides:
    """Element strides (batch, row, head) of a [B, S, H, D] or varlen [T, H, D] view."""
    s = t.stride()
    if varlen:
        return _library.Strides(0, s[0], s[1])
    return _library.Strides(s[0], s[1], s[2])


def _check_dtype(kern: _library.Kernel, q: Tensor) -> None:
    """The kernel's input dtype is q's: a .attn text's own `dtype` is not
    rewritten to the tensors' (bf16 bits read as f16 would be a silently
    wrong answer)."""
    want, name = ((torch.float8_e4m3fn, "fp8_e4m3") if kern.info.fp8 else
                  (torch.bfloat16, "bf16") if kern.info.bf16 else (torch.float16, "f16"))
    if q.dtype != want:
        raise ArgumentError(f"flashgen: the spec's dtype is {name}, but q is {q.dtype} "
                            "(set the spec's `dtype`, or pass a flashgen.Spec, which "
                            "takes the tensors' dtype)")


def _named_tensors(kern: _library.Kernel, names: str, tensors: list[Tensor], device):
    """The spec's named tensors in the kernel's dtypes (i32 or f32) on `device`;
    ArgumentError naming the tensor when one is missing or extra."""
    given = [n for n in names.split(",") if n] if names else []
    if len(given) != len(tensors):
        raise ArgumentError(f"flashgen: {len(given)} tensor names for {len(tensors)} tensors")
    declared = {d.name: d for d in kern.tensors}
    out = []
    for name, t in zip(given, tensors):
        d = declared.get(name)
        if d is None:
            raise ArgumentError(f"flashgen: tensor '{name}' is not declared by the spec "
                                f"(it declares: {', '.join(declared) or 'none'})")
        if t.device != device:
            raise ArgumentError(f"flashgen: tensor '{name}' is on {t.device}, q is on {device}")
        want = torch.float32 if d.is_float else torch.int32
        if t.dtype != want:
            t = t.to(want)  # i32/f32 is what the kernels read; small tables
        if t.dim() and t.stride(-1) != 1 and t.numel() > 1:
            t = t.contiguous()
        out.append((name, t))
    missing = [n for n in declared if n not in given]
    if missing:
        raise ArgumentError(f"flashgen: the spec reads tensor(s) {', '.join(missing)}; "
                            "pass them in `tensors={...}`")
    return out


def _int32_rows(name: str, t: Tensor, batch: int, rank: int, device) -> None:
    """ArgumentError unless `t` is a contiguous int32 tensor of `rank`
    dimensions, the first `batch`, on `device` (what the kernels index)."""
    if t.dtype != torch.int32 or t.dim() != rank or t.shape[0] != batch or \
            t.device != device or not t.is_contiguous():
        want = f"[batch = {batch}" + (", ...]" if rank > 1 else "]")
        raise ArgumentError(f"flashgen: {name} must be a contiguous int32 tensor {want} on "
                            f"{device}, got {t.dtype} {list(t.shape)} on {t.device}")


class _Launch:
    """A ForwardArgs for one call, and the ctypes arrays it points into."""

    def __init__(self, kern, q, k, v, o, lse, names, tensors, cu_q, cu_k, max_q, max_k, seed,
                 positions=None, seqused_k=None, page_table=None, kv_batch_index=None,
                 descale=None):
        varlen = cu_q is not None
        a = _library.ForwardArgs()
        a.q, a.k, a.v, a.o = q.data_ptr(), k.data_ptr(), v.data_ptr(), o.data_ptr()
        a.lse = lse.data_ptr()
        if varlen:
            a.batch = cu_q.numel() - 1
            a.heads, a.kv_heads = q.shape[1], k.shape[1]
            a.seq_q, a.seq_k = max_q, max_k
            a.cu_seqlens_q, a.cu_seqlens_k = cu_q.data_ptr(), cu_k.data_ptr()
            a.total_q, a.total_k = q.shape[0], k.shape[0]
        else:
            a.batch, a.seq_q, a.heads = q.shape[0], q.shape[1], q.shape[2]
            a.seq_k, a.kv_heads = k.shape[1], k.shape[2]
        a.q_strides, a.k_strides = _strides(q, varlen), _strides(k, varlen)
        a.v_strides, a.o_strides = _strides(v, varlen), _strides(o, varlen)
        if seed is not None:
            s = seed.tolist()
            a.dropout_seed, a.dropout_offset = s[0] & (2**64 - 1), s[1] & (2**64 - 1)
        self.named = _named_tensors(kern, names, tensors, q.device)
        n = len(self.named)
        if n:
            if any(t.dim() > 4 or t.dim() < 1 for _, t in self.named):
                raise ArgumentError("flashgen: named tensors must have rank 1 to 4")
            self._names = (ctypes.c_char_p * n)(*[nm.encode() for nm, _ in self.named])
            self._data = (ctypes.c_void_p * n)(*[t.data_ptr() for _, t in self.named])
            self._ranks = (ctypes.c_int * n)(*[t.dim() for _, t in self.named])
            shapes, strides = [], []
            for _, t in self.named:
                shapes += list(t.shape) + [0] * (4 - t.dim())
                strides += list(t.stride()) + [0] * (4 - t.dim())
            self._shapes = (ctypes.c_int64 * (4 * n))(*shapes)
            self._tstrides = (ctypes.c_int64 * (4 * n))(*strides)
            a.num_tensors = n
            a.tensor_names = self._names
            a.tensor_data = self._data
            a.tensor_ranks = self._ranks
            a.tensor_shapes = self._shapes
            a.tensor_strides = self._tstrides
        if positions is not None:
            a.positions = _library.Positions(*positions)
        if seqused_k is not None:
            _int32_rows("seqused_k", seqused_k, a.batch, 1, q.device)
            a.seqused_k = seqused_k.data_ptr()
        if page_table is not None:
            # k, v: pools [pages, page_size, kv heads, d]; a launch of
            # max_pages x page_size keys per entry, contiguous pool rows.
            _int32_rows("block_table", page_table, a.batch, 2, q.device)
            for name, t in (("k", k), ("v", v)):
                if not t.is_contiguous():
                    raise ArgumentError(f"flashgen: the paged {name} cache must be contiguous "
                                        "[num_pages, page_size, kv_heads, head_dim]")
            a.page_table = page_table.data_ptr()
            a.page_size, a.num_pages = k.shape[1], k.shape[0]
            a.page_table_stride = page_table.shape[1]
            a.seq_k = page_table.shape[1] * k.shape[1]
            a.k_strides = a.v_strides = _library.Strides(0, 0, 0)
        if kv_batch_index is not None:
            # k, v: [kv_batch, S, Hk, D], entry b reads kv_batch_index[b].
            _int32_rows("cache_batch_idx", kv_batch_index, a.batch, 1, q.device)
            a.kv_batch_index = kv_batch_index.data_ptr()
            a.kv_batch = k.shape[0]
        if descale is not None:  # fp8 inputs' factors (descale.Descale)
            a.q_descale, a.k_descale, a.v_descale = descale.factors
            for field, t in zip(("q_head_descale", "k_head_descale", "v_head_descale"),
                                descale.heads):
                if t is not None:
                    setattr(a, field, _library.HeadDescale(t.data_ptr(), t.stride(0),
                                                           t.stride(1)))
        a.stream = torch._C._cuda_getCurrentRawStream(q.device.index)
        self.args = a


def _out_shapes(q, v, cu_q):
    """Shapes of O and the logsumexp for these inputs."""
    if cu_q is not None:
        return (q.shape[0], q.shape[1], v.shape[-1]), (q.shape[1], q.shape[0])
    return (q.shape[0], q.shape[1], q.shape[2], v.shape[-1]), (q.shape[0], q.shape[2], q.shape[1])


def _alloc_out(q, v, cu_q, o_layout):
    o_shape, lse_shape = _out_shapes(q, v, cu_q)
    # fp8 inputs give a bf16 output.
    dtype = torch.bfloat16 if q.dtype == torch.float8_e4m3fn else q.dtype
    if cu_q is None and o_layout == O_BHSD:
        b, s, h, d = o_shape
        o = q.new_empty((b, h, s, d), dtype=dtype).transpose(1, 2)
    else:
        o = q.new_empty(o_shape, dtype=dtype)
    return o, q.new_empty(lse_shape, dtype=torch.float32)


class _OnDevice:
    """Makes q's device PyTorch's current one for the call when it is not
    (the runtime makes that device's primary context current; this keeps
    PyTorch's idea of the current device where it was). A no-op in the
    common case, without the cost of torch.cuda.device()."""

    __slots__ = ("index", "prev")

    def __init__(self, index: int):
        self.index, self.prev = index, -1

    def __enter__(self):
        cur = torch._C._cuda_getDevice()
        if cur != self.index:
            self.prev = cur
            torch._C._cuda_setDevice(self.index)

    def __exit__(self, *exc):
        if self.prev >= 0:
            torch._C._cuda_setDevice(self.prev)


def forward_call(q: Tensor, k: Tensor, v: Tensor, spec: str, names: str, tensors: list[Tensor],
                 cu_seqlens_q: Optional[Tensor], cu_seqlens_k: Optional[Tensor],
                 max_seqlen_q: int, max_seqlen_k: int, seed: Optional[Tensor], o_layout: int,
                 positions: Optional[tuple] = None,
                 seqused_k: Optional[Tensor] = None,
                 page_table: Optional[Tensor] = None,
                 kv_batch_index: Optional[Tensor] = None,
                 descale: Optional[Descale] = None) -> tuple[Tensor, Tensor]:
    """O and the logsumexp (fp32, [B, H, Sq]; varlen [H, Tq]) of `spec` on Q, K, V.
    descale: fp8 inputs' (q, k, v) descale factors.
    positions: (q_offset, k_offset, head_offset, seq_q, seq_k, heads) of this
    launch in a larger problem (FlashgenPositions), or None for a whole one.
    seqused_k: int32 [B], how many keys of each entry exist (forward only).
    page_table: int32 [B, max_pages] when k and v are paged pools.
    kv_batch_index: int32 [B], the entry of k and v each batch entry reads."""
    with _OnDevice(q.device.index):
        # Inputs that want gradients: the backward JITs beside the forward.
        training = q.requires_grad or k.requires_grad or v.requires_grad
        kern = _library.kernel(spec, q.device.index, for_training=training)
        _check_dtype(kern, q)
        q, k, v = _usable(q), _usable(k), _usable(v)
        o, lse = _alloc_out(q, v, cu_seqlens_q, o_layout)
        launch = _Launch(kern, q, k, v, o, lse, names, tensors, cu_seqlens_q, cu_seqlens_k,
                         max_seqlen_q, max_seqlen_k, seed, positions, seqused_k, page_table,
                         kv_batch_index, descale)
        kern.forward(launch.args)
    return o, lse


def _fwd_impl(q: Tensor, k: Tensor, v: Tensor, spec: str, names: str, tensors: list[Tensor],
              cu_seqlens_q: Optional[Tensor], cu_seqlens_k: Optional[Tensor],
              max_seqlen_q: int, max_seqlen_k: int, seed: Optional[Tensor], o_layout: int,
              deterministic: bool) -> tuple[Tensor, Tensor]:
    """O and the logsumexp (fp32, [B, H, Sq]; varlen [H, Tq]) of `spec` on Q, K, V."""
    return forward_call(q, k, v, spec, names, tensors, cu_seqlens_q, cu_seqlens_k,
                        max_seqlen_q, max_seqlen_k, seed, o_layout)


attention_fwd = torch.library.custom_op("flashgen::attention_fwd", _fwd_impl, mutates_args=(),
                                        device_types="cuda")


@attention_fwd.register_fake
def _(q, k, v, spec, names, tensors, cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k,
      seed, o_layout, deterministic):
    return _alloc_out(q, v, cu_seqlens_q, o_layout)


def _fwd_seqused_impl(q: Tensor, k: Tensor, v: Tensor, spec: str, names: str,
                      tensors: list[Tensor], seqused_k: Tensor, o_layout: int,
                      page_table: Optional[Tensor] = None,
                      kv_batch_index: Optional[Tensor] = None, q_descale: float = 1.0,
                      k_descale: float = 1.0, v_descale: float = 1.0,
                      q_descale_heads: Optional[Tensor] = None,
                      k_descale_heads: Optional[Tensor] = None,
                      v_descale_heads: Optional[Tensor] = None) -> tuple[Tensor, Tensor]:
    """The forward with per-entry key lengths (flash_attn_with_kvcache's
    cache_seqlens): entry b attends its first seqused_k[b] keys; with
    page_table, k and v are paged pools; with kv_batch_index, entry b reads
    k and v's entry kv_batch_index[b]. fp8 inputs: with their descale
    factors, per tensor and per head (ignored for 16-bit ones)."""
    fp8 = q.dtype == torch.float8_e4m3fn
    descale = Descale((q_descale, k_descale, v_descale),
                      (q_descale_heads, k_descale_heads, v_descale_heads))
    return forward_call(q, k, v, spec, names, tensors, None, None, q.shape[1], k.shape[1], None,
                        o_layout, seqused_k=seqused_k, page_table=page_table,
                        kv_batch_index=kv_batch_index, descale=descale if fp8 else None)


# Inference only: no autograd formula (the backward has no per-entry key
# lengths), so a call that needs gradients fails in torch, not silently.
attention_fwd_seqused = torch.library.custom_op("flashgen::attention_fwd_seqused",
                                                _fwd_seqused_impl, mutates_args=(),
                                                device_types="cuda")


@attention_fwd_seqused.register_fake
def _(q, k, v, spec, names, tensors, seqused_k, o_layout, page_table=None, kv_batch_index=None,
      q_descale=1.0, k_descale=1.0, v_descale=1.0, q_descale_heads=None, k_descale_heads=None,
      v_descale_heads=None):
    return _alloc_out(q, v, None, o_layout)


def attention_seqused(q: Tensor, k: Tensor, v: Tensor, spec: str, names: str,
                      tensors: list[Tensor], seqused_k: Tensor, o_layout: int,
                      page_table: Optional[Tensor] = None,
                      kv_batch_index: Optional[Tensor] = None,
                      descale: Optional[Descale] = None) -> tuple[Tensor, Tensor]:
    """O and the logsumexp of `spec` on BSHD q, k, v where entry b has
    seqused_k[b] keys (k, v paged pools with page_table; fp8 inputs with
    their descale factors): the operator while torch.compile traces, else
    the kernels directly."""
    descale = descale or _NO_DESCALE
    if torch.compiler.is_compiling():
        return attention_fwd_seqused(q, k, v, spec, names, tensors, seqused_k, o_layout,
                                     page_table, kv_batch_index, *descale.factors,
                                     *descale.heads)
    if torch.is_grad_enabled() and (q.requires_grad or k.requires_grad or v.requires_grad):
        raise ArgumentError("flashgen: per-entry key lengths (seqused_k, cache_seqlens) are "
                            "for inference: the backward does not take them")
    return _fwd_seqused_impl(q, k, v, spec, names, tensors, seqused_k, o_layout, page_table,
                             kv_batch_index, *descale.factors, *descale.heads)


def _usable(t: Tensor) -> Tensor:
    """`t` itself when the kernels can read it in place, else a contiguous copy.
    Called inside the operators (eager code), where data pointers exist.
    Strides: multiples of 16 bytes (8 elements, 16 of fp8)."""
    st, m = t.stride(), 16 // t.element_size()
    if st[-1] == 1 and not t.data_ptr() & 15 and all(s > 0 and not s % m for s in st[:-1]):
        return t  # the common case, checked cheaply
    if st[-1] != 1 or t.data_ptr() & 15 or any(
            s % m or s <= 0 for s, n in zip(st[:-1], t.shape[:-1]) if n > 1):
        return t.contiguous()
    return t


def _bwd_impl(dout: Tensor, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor,
              spec: str, names: str, tensors: list[Tensor], cu_seqlens_q: Optional[Tensor],
              cu_seqlens_k: Optional[Tensor], max_seqlen_q: int, max_seqlen_k: int,
              seed: Optional[Tensor], deterministic: bool) -> tuple[Tensor, Tensor, Tensor]:
    """dQ, dK, dV (laid out like q, k, v) of `spec` given dO."""
    return backward_call(dout, q, k, v, out, lse, spec, names, tensors, cu_seqlens_q,
                         cu_seqlens_k, max_seqlen_q, max_seqlen_k, seed, deterministic)


def backward_call(dout: Tensor, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor,
                  spec: str, names: str, tensors: list[Tensor], cu_seqlens_q: Optional[Tensor],
                  cu_seqlens_k: Optional[Tensor], max_seqlen_q: int, max_seqlen_k: int,
                  seed: Optional[Tensor], deterministic: bool,
                  positions: Optional[tuple] = None,
                  accumulate: Optional[tuple] = None) -> tuple[Tensor, Tensor, Tensor]:
    """_bwd_impl with `positions` as forward_call takes them: `out` and `lse`
    may be those of the whole problem's rows (merged over key blocks), then
    dQ, dK, dV are this launch's block's share of the gradients.
    accumulate: (dq, dk, dv) fp32 tensors shaped like q, k, v to add the
    gradients to (no rounding to the input dtype per launch); returned."""
    with _OnDevice(q.device.index):
        kern = _library.kernel(spec, q.device.index)
        _check_dtype(kern, q)
        dout = _usable(dout)
        if accumulate is None:
            # Gradients like their inputs (empty_like keeps a dense layout's
            # strides); inputs the kernels cannot read in place are copied.
            dq, dk, dv = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
        else:
            dq, dk, dv = accumulate
            for name, g, like in (("dq", dq, q), ("dk", dk, k), ("dv", dv, v)):
                if g.dtype != torch.float32 or g.shape != like.shape or _usable(g) is not g:
                    raise ArgumentError(f"backward: accumulate {name} must be fp32 shaped "
                                        f"{tuple(like.shape)} with a unit last stride, other "
                                        f"strides multiples of 8, 16-byte aligned; got "
                                        f"{g.dtype} {tuple(g.shape)} strides {g.stride()}")
        q, k, v = _usable(q), _usable(k), _usable(v)
        if accumulate is None:
            dq, dk, dv = _usable(dq), _usable(dk), _usable(dv)
        launch = _Launch(kern, q, k, v, out, lse, names, tensors, cu_seqlens_q, cu_seqlens_k,
                         max_seqlen_q, max_seqlen_k, seed, positions)
        varlen = cu_seqlens_q is not None
        b = _library.BackwardArgs()
        b.fwd = launch.args
        b.d_o, b.dq, b.dk, b.dv = dout.data_ptr(), dq.data_ptr(), dk.data_ptr(), dv.data_ptr()
        b.do_strides, b.dq_strides = _strides(dout, varlen), _strides(dq, varlen)
        b.dk_strides, b.dv_strides = _strides(dk, varlen), _strides(dv, varlen)
        b.deterministic = int(bool(deterministic))
        b.accumulate_f32 = int(accumulate is not None)
        # The workspace comes from PyTorch's allocator: stream-ordered, and
        # capturable in a CUDA graph (the runtime's own would call cuMemAlloc).
        ws = torch.empty(max(kern.backward_workspace_bytes(launch.args), 16), dtype=torch.uint8,
                         device=q.device)
        b.workspace = ws.data_ptr()
        kern.backward(b)
    return dq, dk, dv


attention_bwd = torch.library.custom_op("flashgen::attention_bwd", _bwd_impl, mutates_args=(),
                                        device_types="cuda")


@attention_bwd.register_fake
def _(dout, q, k, v, out, lse, spec, names, tensors, cu_seqlens_q, cu_seqlens_k, max_seqlen_q,
      max_seqlen_k, seed, deterministic):
    return torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)


def _save(ctx, q, k, v, out, lse, spec, names, tensors, cu_q, cu_k, max_q, max_k, seed,
          deterministic):
    """What the backward needs, saved by both autograd paths (the operator's
    and _EagerAttention)."""
    ctx.save_for_backward(q, k, v, out, lse, cu_q, cu_k, seed, *tensors)
    ctx.spec, ctx.names = spec, names
    ctx.max_q, ctx.max_k, ctx.deterministic = max_q, max_k, deterministic


def _gradients(ctx, dout, bwd):
    """dQ, dK, dV through `bwd` (the operator or its eager implementation),
    and the number of named tensors (which get no gradient). The logsumexp
    is an auxiliary output (as in flash-attn): no gradient flows through it."""
    q, k, v, out, lse, cu_q, cu_k, seed, *tensors = ctx.saved_tensors
    grads = bwd(dout, q, k, v, out, lse, ctx.spec, ctx.names, list(tensors), cu_q, cu_k,
                ctx.max_q, ctx.max_k, seed, ctx.deterministic)
    return grads, len(tensors)


def _setup_context(ctx, inputs, output):
    (q, k, v, spec, names, tensors, cu_q, cu_k, max_q, max_k, seed, _o_layout,
     deterministic) = inputs
    _save(ctx, q, k, v, *output, spec, names, tensors, cu_q, cu_k, max_q, max_k, seed,
          deterministic)


def _backward(ctx, dout, dlse):
    (dq, dk, dv), n = _gradients(ctx, dout, attention_bwd)
    # One None per named tensor, then the non-tensor arguments.
    return (dq, dk, dv, None, None, [None] * n, None, None, None, None, None, None, None)


attention_fwd.register_autograd(_backward, setup_context=_setup_context)


class _EagerAttention(torch.autograd.Function):
    """The same two implementations as the operators, for eager mode: a plain
    autograd.Function costs a fraction of torch.library's Python dispatch
    (pytree flattening, aliasing checks, dynamo guards), which measured
    ~165 us of host time per forward on the H200 machine
    (bench/results/2026-11-29-h200-python-s7.md)."""

    @staticmethod
    def forward(ctx, q, k, v, spec, names, cu_q, cu_k, max_q, max_k, seed, o_layout,
                deterministic, *tensors):
        out, lse = _fwd_impl(q, k, v, spec, names, list(tensors), cu_q, cu_k, max_q, max_k,
                             seed, o_layout, deterministic)
        _save(ctx, q, k, v, out, lse, spec, names, tensors, cu_q, cu_k, max_q, max_k, seed,
              deterministic)
        ctx.mark_non_differentiable(lse)
        return out, lse

    @staticmethod
    def backward(ctx, dout, dlse):
        (dq, dk, dv), n = _gradients(ctx, dout, _bwd_impl)
        # None for the nine non-tensor arguments and each named tensor.
        return (dq, dk, dv) + (None,) * (9 + n)


def attention(q: Tensor, k: Tensor, v: Tensor, spec: str, names: str, tensors: list[Tensor],
              cu_seqlens_q: Optional[Tensor], cu_seqlens_k: Optional[Tensor],
              max_seqlen_q: int, max_seqlen_k: int, seed: Optional[Tensor], o_layout: int,
              deterministic: bool) -> tuple[Tensor, Tensor]:
    """O and the logsumexp: the custom operator while torch.compile traces,
    else the same kernels through _EagerAttention (or directly without
    autograd)."""
    if torch.compiler.is_compiling():
        return attention_fwd(q, k, v, spec, names, tensors, cu_seqlens_q, cu_seqlens_k,
                             max_seqlen_q, max_seqlen_k, seed, o_layout, deterministic)
    if torch.is_grad_enabled() and (q.requires_grad or k.requires_grad or v.requires_grad):
        return _EagerAttention.apply(q, k, v, spec, names, cu_seqlens_q, cu_seqlens_k,
                                     max_seqlen_q, max_seqlen_k, seed, o_layout,
                                     deterministic, *tensors)
    return _fwd_impl(q, k, v, spec, names, tensors, cu_seqlens_q, cu_seqlens_k, max_seqlen_q,
                     max_seqlen_k, seed, o_layout, deterministic)


def _fwd_fp8_impl(q: Tensor, k: Tensor, v: Tensor, spec: str, names: str,
                  tensors: list[Tensor], o_layout: int, q_descale: float, k_descale: float,
                  v_descale: float, q_descale_heads: Optional[Tensor] = None,
                  k_descale_heads: Optional[Tensor] = None,
                  v_descale_heads: Optional[Tensor] = None) -> tuple[Tensor, Tensor]:
    """The fp8 (e4m3) forward: bf16 O and the logsumexp of `spec` on BSHD
    torch.float8_e4m3fn q, k, v with descale factors per tensor and per
    (batch entry, kv head)."""
    descale = Descale((q_descale, k_descale, v_descale),
                      (q_descale_heads, k_descale_heads, v_descale_heads))
    return forward_call(q, k, v, spec, names, tensors, None, None, q.shape[1], k.shape[1], None,
                        o_layout, descale=descale)


# Inference only: fp8 has no backward, so no autograd formula (a call that
# needs gradients fails in torch, not silently).
attention_fwd_fp8 = torch.library.custom_op("flashgen::attention_fwd_fp8", _fwd_fp8_impl,
                                            mutates_args=(), device_types="cuda")


@attention_fwd_fp8.register_fake
def _(q, k, v, spec, names, tensors, o_layout, q_descale, k_descale, v_descale,
      q_descale_heads=None, k_descale_heads=None, v_descale_heads=None):
    return _alloc_out(q, v, None, o_layout)


def attention_fp8(q: Tensor, k: Tensor, v: Tensor, spec: str, names: str,
                  tensors: list[Tensor], o_layout: int,
                  descale: Descale) -> tuple[Tensor, Tensor]:
    """O (bf16) and the logsumexp of `spec` on BSHD fp8 q, k, v: the operator
    while torch.compile traces, else the kernels directly."""
    if torch.compiler.is_compiling():
        return attention_fwd_fp8(q, k, v, spec, names, tensors, o_layout, *descale.factors,
                                 *descale.heads)
    if torch.is_grad_enabled() and (q.requires_grad or k.requires_grad or v.requires_grad):
        raise ArgumentError("flashgen: fp8 inputs have a forward only (train in bf16)")
    return _fwd_fp8_impl(q, k, v, spec, names, tensors, o_layout, *descale.factors,
                         *descale.heads)
