"""`flashgen.attention`: any attention variant from a spec, as a PyTorch function.

    out = flashgen.attention(q, k, v, flashgen.Spec(causal=True))
    out = flashgen.attention(q, k, v, flashgen.Spec(mask_mod=doc_mask, score_mod=alibi))
    out = flashgen.attention(q, k, v, "attention a { dtype = bf16; head_dim = 128; ... }")

A spec becomes `.attn` text once per (spec, dtype, head dims, scale): Flex-style
functions are traced there (trace.py), never per call. Resolution runs through
`torch.compiler.assume_constant_result`, so under torch.compile it happens at
trace time and the graph holds only the two custom operators (ops.py).
"""
from __future__ import annotations

import dataclasses
import itertools
import os
import re
import threading
from typing import Optional

import torch

from . import ops
from .descale import descale_of
from .errors import ArgumentError, SpecError
from .spec import Spec

Tensor = torch.Tensor

_DTYPES = {torch.bfloat16: "bf16", torch.float16: "f16", torch.float8_e4m3fn: "fp8_e4m3"}

# Specs by key, and what each resolved to. A Spec whose fields are plain
# values is keyed by those values (a Spec rebuilt on every call costs one
# entry); one holding functions or tensors is keyed by identity.
_registry: dict = {}
_resolved: dict = {}
_ids = itertools.count()
_lock = threading.Lock()
# Key kinds other modules define: key[0] -> a function making the Spec.
_key_builders: dict = {}


def register_key_builder(kind: str, build) -> None:
    """Keys ("kind", ...) resolve through build(key) -> Spec (flash-attn's
    options are such keys: plain values, so a call per step costs nothing)."""
    _key_builders[kind] = build


def _spec_key(spec) -> tuple:
    if isinstance(spec, str):
        return ("text", spec)
    if isinstance(spec, Spec):
        if spec.mask_mod is None and spec.score_mod is None and spec.alibi_slopes is None:
            key = ("spec", spec.causal, spec.window, spec.align, spec.softcap, spec.dropout_p,
                   spec.scale, spec.name)
        else:
            key = ("id", spec.__dict__.get("_flashgen_id"))
            if key[1] is None:
                with _lock:
                    spec.__dict__["_flashgen_id"] = next(_ids)
                key = ("id", spec._flashgen_id)
        _registry.setdefault(key, spec)
        return key
    raise SpecError(f"flashgen: spec must be .attn text, a path or a flashgen.Spec, "
                    f"not {type(spec).__name__}")


def _read_text(spec: str) -> str:
    if "{" not in spec and os.path.isfile(spec):
        with open(spec) as f:
            return f.read()
    if "{" not in spec:
        raise SpecError(f"flashgen: spec '{spec}' is neither .attn text nor a file that exists")
    return spec


def _with_scale(text: str, scale: Optional[float]) -> str:
    if scale is None:
        return text
    if re.search(r"\bscale\s*=", text):
        raise SpecError("flashgen: scale= given, but the spec text sets `scale` already")
    brace = text.index("{")
    return f"{text[:brace + 1]}\n  scale = {float(scale)!r};{text[brace + 1:]}"


@torch.compiler.assume_constant_result
def _resolve(key: tuple, dtype: str, qk_dim: int, v_dim: int, varlen: bool,
             scale: Optional[float]) -> tuple[str, str]:
    """(.attn text, comma-separated names of the tensors the spec captured)."""
    rkey = (key, dtype, qk_dim, v_dim, varlen, scale)
    hit = _resolved.get(rkey)
    if hit is not None:
        return hit[0], hit[1]
    if key[0] == "text":
        text, refs = _with_scale(_read_text(key[1]), scale), ()
    else:
        spec = _key_builders[key[0]](key) if key[0] in _key_builders else _registry[key]
        if scale is not None:
            spec = dataclasses.replace(spec, scale=float(scale))
        text, refs = spec.to_attn(dtype=dtype, qk_head_dim=qk_dim, v_head_dim=v_dim,
                                  varlen=varlen, backward=True)
    names = ",".join(r.name for r in refs)
    _resolved[rkey] = (text, names, tuple(r.tensor for r in refs))
    return text, names


def _captured(key, dtype, qk_dim, v_dim, varlen, scale) -> tuple:
    return _resolved[(key, dtype, qk_dim, v_dim, varlen, scale)][2]


def resolve(spec, *, dtype: str, qk_head_dim: int, v_head_dim: int, varlen: bool = False,
            scale: Optional[float] = None, tensors: Optional[dict] = None):
    """(.attn text, tensor names, tensors) for a call: the spec's captured
    tensors, then the caller's `tensors` by name."""
    key = _spec_key(spec)
    text, names = _resolve(key, dtype, qk_head_dim, v_head_dim, varlen, scale)
    captured = list(_captured(key, dtype, qk_head_dim, v_head_dim, varlen, scale))
    name_list = [n for n in names.split(",") if n]
    if tensors:
        for n, t in tensors.items():
            if n in name_list:
                raise ArgumentError(f"flashgen: tensor '{n}' is captured by the spec and also "
                                    "given in tensors=")
            if not isinstance(t, Tensor):
                raise ArgumentError(f"flashgen: tensors['{n}'] must be a torch.Tensor, "
                                    f"not {type(t).__name__}")
            name_list.append(n)
            captured.append(t)
    return text, ",".join(name_list), captured


def _check_qkv(q, k, v, *, varlen: bool, who: str = "attention", bhsd: bool = False):
    """ArgumentError naming the argument when q, k, v cannot be one attention
    (flash-attn's layout, or SDPA's with bhsd=True)."""
    rank = 3 if varlen else 4
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, Tensor):
            raise ArgumentError(f"{who}: '{name}' must be a torch.Tensor, not {type(t).__name__}")
        if t.dim() != rank:
            want = ("[tokens, heads, dim]" if varlen else
                    "[batch, heads, seq, dim]" if bhsd else "[batch, seq, heads, dim]")
            raise ArgumentError(f"{who}: '{name}' must have {rank} dimensions ({want}), got "
                                f"shape {tuple(t.shape)}")
        if t.dtype not in _DTYPES:
            raise ArgumentError(f"{who}: '{name}' has dtype {t.dtype}; flashgen runs "
                                "torch.bfloat16, torch.float16 and (forward only) "
                                "torch.float8_e4m3fn")
        if t.device.type != "cuda":
            raise ArgumentError(f"{who}: '{name}' is on {t.device}; flashgen runs on CUDA "
                                "tensors")
    if not (q.dtype == k.dtype == v.dtype):
        raise ArgumentError(f"{who}: q, k, v must share a dtype, got {q.dtype}, {k.dtype}, "
                            f"{v.dtype}")
    if not (q.device == k.device == v.device):
        raise ArgumentError(f"{who}: q, k, v must be on one device, got {q.device}, {k.device},"
                            f" {v.device}")
    hd = 1 if bhsd else -2  # heads axis
    if k.shape[:-1] != v.shape[:-1]:
        raise ArgumentError(f"{who}: k {tuple(k.shape)} and v {tuple(v.shape)} must agree in "
                            "every dimension but the last")
    if q.shape[-1] != k.shape[-1]:
        raise ArgumentError(f"{who}: q's head dim ({q.shape[-1]}) must equal k's "
                            f"({k.shape[-1]})")
    if not varlen and q.shape[0] != k.shape[0]:
        raise ArgumentError(f"{who}: q has batch {q.shape[0]}, k has {k.shape[0]}")
    if q.shape[hd] % k.shape[hd]:
        raise ArgumentError(f"{who}: k's {k.shape[hd]} heads must divide q's {q.shape[hd]} "
                            "(grouped-query attention)")
    for name, d in (("q/k head dim", q.shape[-1]), ("v head dim", v.shape[-1])):
        if d % 8 or not 8 <= d <= 256:
            raise ArgumentError(f"{who}: {name} {d} is not supported: head dims must be "
                                "multiples of 8 from 8 to 256")


def _seed_tensor(text: str, dropout_seed: Optional[int]):
    """The (seed, offset) pair the dropout mask is drawn from, or None when
    the spec has no dropout. A fresh pair from PyTorch's CPU generator
    unless `dropout_seed` is given (so torch.manual_seed makes runs repeat)."""
    if "dropout" not in text:
        return None
    if dropout_seed is not None:
        return torch.tensor([int(dropout_seed), 0], dtype=torch.int64)
    return torch.randint(0, 2**62, (2,), dtype=torch.int64)


def _call(q, k, v, text, names, tensors, cu_q, cu_k, max_q, max_k, seed, o_layout,
          deterministic):
    return ops.attention(q, k, v, text, names, list(tensors), cu_q, cu_k, max_q, max_k, seed,
                         o_layout, bool(deterministic))


def attention(q: Tensor, k: Tensor, v: Tensor, spec, *, tensors: Optional[dict] = None,
              scale: Optional[float] = None, dropout_seed: Optional[int] = None,
              return_lse: bool = False, deterministic: bool = False, layout: str = "bhsd",
              block_mask=None, q_descale=None, k_descale=None, v_descale=None):
    """Attention of the variant `spec` on q, k, v.

    q: [B, H, Nq, D], k: [B, Hkv, Nk, D], v: [B, Hkv, Nk, Dv] (layout="bhsd",
    SDPA and FlexAttention's layout) or [B, N, H, D] (layout="bshd",
    flash-attn's); bf16 or fp16 CUDA tensors; Hkv dividing H is grouped-query
    attention. Any strides with a unit last stride are read in place.

    spec: `.attn` text, a path to a .attn file, or a `flashgen.Spec`.
    tensors: named tensors the spec reads (`tensor NAME : ...` declarations),
    on q's device; those captured by a Spec's mask_mod/score_mod come along.
    scale: the softmax scale (default: the spec's, else 1/sqrt(D)).
    dropout_seed: the dropout stream's seed (default: drawn from PyTorch's
    generator). deterministic: a backward without atomics (bit-identical
    gradients run to run).
    block_mask: a `flashgen.BlockMask` for a spec with `sparsity =
    runtime(block_size = S)` (passed as its tensor `block_mask`).
    q_descale, k_descale, v_descale: torch.float8_e4m3fn inputs' descale
    factors (the real values are the fp8 values times them, as in
    FlashAttention-3 and cuDNN): numbers (per tensor) or float tensors
    [B, Hkv] (per batch entry and kv head, FlashAttention-3's shape, or
    broadcast to it); the output is bf16 and there is no backward (fp8 runs
    on sm_90a, Q/K head dim 128, V head dim <= 128).

    Returns out (like q with Dv columns), and with return_lse=True also the
    logsumexp [B, H, Nq] in fp32 (natural log).
    """
    if layout not in ("bhsd", "bshd"):
        raise ArgumentError(f"attention: layout must be 'bhsd' or 'bshd', not {layout!r}")
    _check_qkv(q, k, v, varlen=False, bhsd=layout == "bhsd")
    if layout == "bhsd":
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
    if block_mask is not None:
        from .block_mask import BlockMask
        if not isinstance(block_mask, BlockMask):
            raise ArgumentError("attention: block_mask must be a flashgen.BlockMask, not "
                                f"{type(block_mask).__name__}")
        tensors = dict(tensors or {})
        if "block_mask" in tensors:
            raise ArgumentError("attention: block_mask given twice (block_mask= and "
                                "tensors['block_mask'])")
        tensors["block_mask"] = block_mask.tensor_for(q.shape[0], q.shape[2], q.shape[1],
                                                      k.shape[1])
    text, names, ts = resolve(spec, dtype=_DTYPES[q.dtype], qk_head_dim=q.shape[-1],
                              v_head_dim=v.shape[-1], scale=scale, tensors=tensors)
    o_layout = ops.O_BHSD if layout == "bhsd" else ops.O_BSHD
    descale = descale_of("attention", q, (q_descale, k_descale, v_descale), q.shape[0],
                         k.shape[2])
    if descale is not None:
        out, lse = ops.attention_fp8(q, k, v, text, names, list(ts), o_layout, descale)
    else:
        out, lse = _call(q, k, v, text, names, ts, None, None, q.shape[1], k.shape[1],
                         _seed_tensor(text, dropout_seed), o_layout, deterministic)
    if layout == "bhsd":
        out = out.transpose(1, 2)
    return (out, lse) if return_lse else out
