"""flash-attn 2.x's ``flash_attn_with_kvcache`` on flashgen kernels (decoding).

    out = flash_attn_with_kvcache(q, k_cache, v_cache, k=k_new, v=v_new,
                                  cache_seqlens=lens, causal=True)

q [B, Sq, H, D]; k_cache / v_cache [B, S_max, Hk, D] (contiguous caches;
Hk dividing H is GQA/MQA). When k and v [B, S_new, Hk, D] are given they are
written into the caches in place at positions cache_seqlens[b] ... + S_new,
and the attention covers the first cache_seqlens[b] + S_new keys of entry b
(flash-attn's semantics). Causal masks, local windows and ALiBi are aligned
to that length (the query rows are its last Sq positions); softcap as
flash-attn's. Each entry's length goes to the kernel as a per-entry key
length (seqused_k), so one compiled variant serves every batch of lengths,
its walk over the keys ends there, and the cache's rows past it are never
read into the result (they may hold anything, NaN included).

block_table [B, max_pages] (int32) makes k_cache / v_cache paged pools
[num_pages, page_size, Hk, D] (page_size a multiple of 16): entry b's key k
is row k % page_size of page block_table[b, k // page_size] (sm_90a).

rotary_cos / rotary_sin [seqlen_ro, rotary_dim / 2] rotate the new keys at
their cache positions and the queries at theirs (causal or windowed; else
all at cache_seqlens), interleaved or GPT-NeoX style (rotary.py), before the
keys are appended, as flash-attn does.

fp8 (e4m3) caches: q, k_cache, v_cache (and k, v) as torch.float8_e4m3fn
with descale factors q_descale, k_descale, v_descale (the real value of an
element is its fp8 value times the factor): numbers (per tensor) or float
tensors [batch, nheads_k] as flash-attn 3 takes them (per batch entry and
kv head; shapes that broadcast to it too; read on the device, not
checked); the output is bf16 (sm_90a, head dim 128; no rotary: rotate
before quantizing).

Not yet (UnsupportedError): cache_leftpad. num_splits is a hint flash-attn
may ignore; flashgen chooses its own split-KV.
"""
from __future__ import annotations

from typing import Optional, Union

import torch

from . import api, ops
from .descale import descale_of
from .errors import ArgumentError, UnsupportedError
from .kvcache_spec import _WHO, kvcache_spec_text
from .rotary import apply_rotary, check_rotary

Tensor = torch.Tensor


# Batch x cache capacity (keys) from which several query rows of GQA heads
# go through SDPA's layout to be packed (flash_attn_with_kvcache).
_PACK_ROWS_MIN_KEYS = 16384


def _like_q(q: Tensor, **tensors: Tensor) -> None:
    """ArgumentError naming the first tensor not of q's dtype and device."""
    for name, t in tensors.items():
        if t.device != q.device or t.dtype != q.dtype:
            raise ArgumentError(f"{_WHO}: '{name}' is {t.dtype} on {t.device}, q is "
                                f"{q.dtype} on {q.device}")


def _lengths(cache_seqlens, batch: int, capacity: int, device):
    """cache_seqlens as an int32 tensor [batch] on `device`, and its (least,
    largest) value where the host knows them without reading the device
    (an int, or None: the capacity), else None."""
    if cache_seqlens is None:
        return torch.full((batch,), capacity, dtype=torch.int32, device=device), \
            (capacity, capacity)
    if isinstance(cache_seqlens, int) and not isinstance(cache_seqlens, bool):
        lens = torch.full((batch,), cache_seqlens, dtype=torch.int32, device=device)
        return lens, (cache_seqlens, cache_seqlens)
    elif isinstance(cache_seqlens, Tensor):
        if cache_seqlens.dtype not in (torch.int32, torch.int64) or cache_seqlens.dim() != 1 \
                or cache_seqlens.numel() != batch:
            raise ArgumentError(f"{_WHO}: cache_seqlens must be an int or an integer tensor "
                                f"[batch = {batch}], got {cache_seqlens.dtype} "
                                f"{list(cache_seqlens.shape)}")
        if cache_seqlens.device != device:
            raise ArgumentError(f"{_WHO}: cache_seqlens is on {cache_seqlens.device}, "
                                f"q on {device}")
        lens = cache_seqlens.to(torch.int32)
    else:
        raise ArgumentError(f"{_WHO}: cache_seqlens must be an int or a tensor, "
                            f"not {type(cache_seqlens).__name__}")
    return lens, None


def _require(on: Tensor, condition, message: str) -> None:
    """An error when `condition()` (a bool tensor) is false. On the host
    for CPU tensors (ArgumentError). For CUDA ones, on the device without a
    synchronization (a host read costs a decoding step 2-4x its time:
    bench/results/2026-11-30-h200-s18.md): torch's asynchronous assert,
    which fails the process's CUDA context as an out-of-range index does in
    torch; not while a CUDA graph is being captured (nothing is computed
    then). The kernel never reads outside the caches either way."""
    if not on.is_cuda:
        if not bool(condition()):
            raise ArgumentError(message)
    elif not torch.cuda.is_current_stream_capturing():
        torch._assert_async(condition(), message)


def _check_lengths(lens: Tensor, known, new: int, capacity: int) -> None:
    """An error when a length is negative or a length + the new keys
    exceeds the capacity: lengths the host knows (an int, a CPU tensor)
    name the largest; a CUDA tensor's are checked on the device (_require).
    The kernel also clamps each length to [0, capacity]."""
    if known is None and not lens.is_cuda:
        known = (int(lens.min()), int(lens.max()))
    if known is None:
        _require(lens, lambda: ((lens >= 0) & (lens <= capacity - new)).all(),
                 f"{_WHO}: cache_seqlens + {new} new keys exceed the caches' "
                 f"capacity of {capacity} (or are negative)")
        return
    lo, hi = known
    if lo < 0 or hi + new > capacity:
        raise ArgumentError(f"{_WHO}: cache_seqlens (largest {hi}) + {new} new keys "
                            f"exceed the caches' capacity of {capacity} (or are negative)")


def _check_entries(idx: Tensor, entries: int) -> None:
    """An error when a cache_batch_idx entry is outside [0, entries)."""
    _require(idx, lambda: ((idx >= 0) & (idx < entries)).all(),
             f"{_WHO}: cache_batch_idx holds entries outside [0, {entries})")


def _check_pages(table: Tensor, lens: Tensor, new: int, page_size: int, num_pages: int) -> None:
    """An error when a block-table entry an entry's keys use (the first
    ceil((length + new) / page_size)) is outside [0, num_pages). Entries
    past the keys are never read."""
    def ok():
        needed = (lens.long() + new + page_size - 1) // page_size
        used = torch.arange(table.shape[1], device=table.device)[None, :] < needed[:, None]
        return ~(used & ((table < 0) | (table >= num_pages))).any()
    _require(table, ok, f"{_WHO}: block_table holds page indices outside [0, {num_pages}) "
                        "for pages the keys use")


def flash_attn_with_kvcache(q: Tensor, k_cache: Tensor, v_cache: Tensor,
                            k: Optional[Tensor] = None, v: Optional[Tensor] = None,
                            rotary_cos: Optional[Tensor] = None,
                            rotary_sin: Optional[Tensor] = None,
                            cache_seqlens: Optional[Union[int, Tensor]] = None,
                            cache_batch_idx: Optional[Tensor] = None,
                            cache_leftpad: Optional[Tensor] = None,
                            block_table: Optional[Tensor] = None,
                            softmax_scale: Optional[float] = None, causal: bool = False,
                            window_size=(-1, -1), softcap: float = 0.0,
                            rotary_interleaved: bool = True,
                            alibi_slopes: Optional[Tensor] = None, num_splits: int = 0,
                            return_softmax_lse: bool = False,
                            q_descale=None, k_descale=None, v_descale=None):
    """flash-attn's flash_attn_with_kvcache (see the module's text): out
    [B, Sq, H, Dv], and with return_softmax_lse the logsumexp [B, H, Sq]."""
    if cache_leftpad is not None:
        raise UnsupportedError(f"{_WHO}: cache_leftpad is not supported yet")
    for name, t in (("q", q), ("k_cache", k_cache), ("v_cache", v_cache)):
        if not isinstance(t, Tensor) or t.dim() != 4:
            raise ArgumentError(f"{_WHO}: '{name}' must be a 4-D tensor [batch, seqlen, "
                                f"nheads, headdim], got "
                                f"{list(t.shape) if isinstance(t, Tensor) else type(t).__name__}")
    batch, sq, heads, d = q.shape
    rotary = rotary_cos is not None or rotary_sin is not None
    if rotary:
        check_rotary(rotary_cos, rotary_sin, d, q, _WHO)
    cache_batch, capacity, kv_heads, dk = k_cache.shape
    paged = block_table is not None
    if paged:
        # k_cache / v_cache: pools [num_pages, page_size, nheads_k, headdim].
        page_size = capacity
        if cache_batch_idx is not None:
            raise UnsupportedError(f"{_WHO}: cache_batch_idx with block_table is not "
                                   "supported (the block table picks each entry's pages)")
        if not isinstance(block_table, Tensor) or block_table.dim() != 2 or \
                block_table.shape[0] != batch or block_table.dtype not in (torch.int32,
                                                                           torch.int64):
            raise ArgumentError(f"{_WHO}: block_table must be an integer tensor [batch = "
                                f"{batch}, max_pages], got "
                                f"{list(block_table.shape) if isinstance(block_table, Tensor) else type(block_table).__name__}")
        if page_size % 16:
            raise ArgumentError(f"{_WHO}: the paged caches' page size (dim 1 of k_cache, "
                                f"{page_size}) must be a multiple of 16")
        capacity = block_table.shape[1] * page_size
        cache_batch = batch
    if v_cache.shape[:3] != k_cache.shape[:3]:
        raise ArgumentError(f"{_WHO}: v_cache {list(v_cache.shape)} must match k_cache "
                            f"{list(k_cache.shape)} but for the head dim")
    if dk != d:
        raise ArgumentError(f"{_WHO}: k_cache's head dim {dk} differs from q's {d}")
    if kv_heads < 1 or heads % kv_heads:
        raise ArgumentError(f"{_WHO}: q's {heads} heads are not a multiple of the cache's "
                            f"{kv_heads}")
    _like_q(q, k_cache=k_cache, v_cache=v_cache)
    idx = None
    if cache_batch_idx is not None:
        if not isinstance(cache_batch_idx, Tensor) or cache_batch_idx.dim() != 1 or \
                cache_batch_idx.numel() != batch or cache_batch_idx.dtype not in (torch.int32,
                                                                                  torch.int64):
            raise ArgumentError(f"{_WHO}: cache_batch_idx must be an integer tensor [batch]")
        idx = cache_batch_idx.to(device=q.device, dtype=torch.int64)
        _check_entries(idx, cache_batch)
    elif cache_batch != batch:
        raise ArgumentError(f"{_WHO}: the caches hold {cache_batch} entries, q {batch} "
                            "(give cache_batch_idx to pick entries)")
    lens, known = _lengths(cache_seqlens, batch, capacity, q.device)
    new = 0
    if (k is None) != (v is None):
        raise ArgumentError(f"{_WHO}: give both k and v to append, or neither")
    if k is not None:
        if k.dim() != 4 or k.shape[0] != batch or k.shape[2:] != k_cache.shape[2:] or \
                v.dim() != 4 or v.shape[:3] != k.shape[:3] or v.shape[3] != v_cache.shape[3]:
            raise ArgumentError(f"{_WHO}: k {list(k.shape)} and v {list(v.shape)} must be "
                                f"[batch = {batch}, seqlen_new, {kv_heads}, head dim]")
        _like_q(q, k=k, v=v)
        new = k.shape[1]
    if batch:
        _check_lengths(lens, known, new, capacity)
    alibi_rank = None
    if alibi_slopes is not None:
        want = [(heads,), (batch, heads)]
        if not isinstance(alibi_slopes, Tensor) or tuple(alibi_slopes.shape) not in want:
            raise ArgumentError(f"{_WHO}: alibi_slopes must be [nheads] or [batch, nheads]")
        alibi_rank = alibi_slopes.dim()
    dtype = {torch.bfloat16: "bf16", torch.float16: "f16",
             torch.float8_e4m3fn: "fp8_e4m3"}.get(q.dtype)
    if dtype is None:
        raise ArgumentError(f"{_WHO}: q must be bf16, fp16 or float8_e4m3fn, got {q.dtype}")
    descale = descale_of(_WHO, q, (q_descale, k_descale, v_descale), batch, kv_heads)
    if descale is not None and rotary:
        raise UnsupportedError(f"{_WHO}: rotary embeddings on fp8 inputs are not supported "
                               "(rotate in 16 bits, then quantize)")
    text = kvcache_spec_text(dtype, d, v_cache.shape[3], causal=causal,
                             window_size=window_size, softcap=softcap, alibi_rank=alibi_rank,
                             softmax_scale=softmax_scale)
    if q.device.type != "cuda":  # before the caches are written
        raise ArgumentError(f"{_WHO}: q is on {q.device}; flashgen runs on CUDA tensors")
    if rotary:
        # flash-attn's positions: the new keys at their cache rows; the
        # queries at theirs (the cache's end) when causal or windowed, else
        # all at the first new position.
        start = lens.long()[:, None]
        if new:
            k = apply_rotary(k, rotary_cos, rotary_sin,
                             start + torch.arange(new, device=q.device)[None, :],
                             rotary_interleaved)
        steps = torch.arange(sq, device=q.device)[None, :]
        windowed = tuple(window_size if window_size is not None else (-1, -1)) != (-1, -1)
        q = apply_rotary(q, rotary_cos, rotary_sin,
                         start + steps if causal or windowed else start.expand(-1, sq),
                         rotary_interleaved)
    table = None
    if paged:
        table = block_table.to(device=q.device, dtype=torch.int32).contiguous()
        _check_pages(table, lens, new, page_size, k_cache.shape[0])
    total = lens
    if new:
        pos = lens.long()[:, None] + torch.arange(new, device=q.device)[None, :]
        if paged:  # each new key's page and row in it
            rows, pos = table.long().gather(1, pos // page_size), pos % page_size
        else:
            rows = (torch.arange(batch, device=q.device) if idx is None else idx)[:, None]
        # (fp8 caches through one-byte views: index_put has no float8 kernel)
        bytes_ = k_cache.element_size() == 1
        as_bytes = (lambda t: t.view(torch.uint8)) if bytes_ else (lambda t: t)
        as_bytes(k_cache)[rows, pos] = as_bytes(k)
        as_bytes(v_cache)[rows, pos] = as_bytes(v)
        total = lens + new
    # The kernel reads entry idx[b] of the caches in place (no gathered copy).
    kv_index = None if idx is None else idx.to(torch.int32).contiguous()
    tensors = {}
    if alibi_slopes is not None:
        tensors["alibi_slopes"] = alibi_slopes
    if not paged and idx is None:
        api._check_qkv(q, k_cache, v_cache, varlen=False, who=_WHO)
    text, names, ts = api.resolve(text, dtype=dtype, qk_head_dim=d, v_head_dim=v_cache.shape[3],
                                  tensors=tensors)
    # Several query rows of GQA heads: in SDPA's layout (a head's rows
    # together) the kernels pack a kv head's query rows into one tile and
    # read its K/V once instead of once per query head: 1.6-3.7x less time
    # on the H200 from batch x capacity = 32k keys, 14% more at batch 1 x 4k
    # (bench/results/2026-12-01-h200-s21.md). q and o are small next to the
    # cache: a copy of each buys that.
    o_layout = ops.O_BSHD
    if sq > 1 and heads > kv_heads and batch * capacity >= _PACK_ROWS_MIN_KEYS:
        q = q.transpose(1, 2).contiguous().transpose(1, 2)
        o_layout = ops.O_BHSD
    # Each entry's keys end at its length: rows past it are never read
    # into the result (a cache from torch.empty may hold NaN there).
    out, lse = ops.attention_seqused(q, k_cache, v_cache, text, names, list(ts),
                                     total.contiguous(), o_layout, table, kv_index, descale)
    if o_layout == ops.O_BHSD:
        out = out.contiguous()  # flash-attn's [B, Sq, H, D], contiguous
    return (out, lse) if return_softmax_lse else out
