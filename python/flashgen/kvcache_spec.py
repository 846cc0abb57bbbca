"""The .attn variant of a flash_attn_with_kvcache call (no torch needed, so
that the text is tested everywhere). Each batch entry's keys are the first
``cache_seqlens[b] + seqlen_new`` of its cache: the launch passes them as
per-entry key lengths (seqused_k), so the kernel reads no row past them and
the variant sees ``seq_k`` = the entry's own length. Causal masks, local
windows and ALiBi count positions from that length's end (the query rows are
its last seq_q positions), as flash-attn's: bottom-right alignment."""
from __future__ import annotations

import functools
from typing import Optional

from .errors import ArgumentError

_WHO = "flash_attn_with_kvcache"


def kvcache_spec_text(dtype: str, qk_dim: int, v_dim: int, *, causal: bool,
                      window_size=(-1, -1), softcap: float = 0.0,
                      alibi_rank: Optional[int] = None,
                      softmax_scale: Optional[float] = None) -> str:
    """The .attn variant of a flash_attn_with_kvcache call, for a launch
    with per-entry key lengths (seq_k is the entry's): causal masks, windows
    and ALiBi count positions from the length's end."""
    try:
        left, right = (int(w) for w in (window_size if window_size is not None else (-1, -1)))
    except (TypeError, ValueError):
        raise ArgumentError(f"{_WHO}: window_size must be a pair of ints, "
                            f"got {window_size!r}") from None
    return _text(dtype, qk_dim, v_dim, causal, left, right, softcap, alibi_rank, softmax_scale)


@functools.lru_cache(maxsize=256)  # one text per decoding configuration, built once
def _text(dtype: str, qk_dim: int, v_dim: int, causal: bool, left: int, right: int,
          softcap: float, alibi_rank: Optional[int], softmax_scale: Optional[float]) -> str:
    """kvcache_spec_text's text for a checked window (left, right)."""
    if causal:
        right = 0
    # Row q's position among the entry's keys: the queries are the last rows.
    pos = "(q + seq_k - seq_q)"
    mask = []
    if right >= 0:
        mask.append(f"k <= {pos}" + (f" + {right}" if right else ""))
    if left >= 0:
        mask.append(f"k >= {pos}" + (f" - {left}" if left else ""))
    score = "score"
    if softcap:
        c = repr(float(softcap))
        score = f"{c} * tanh(score / {c})"
    lines = [f"attention fa_kvcache {{", f"  dtype = {dtype};",
             f"  qk_head_dim = {qk_dim};", f"  v_head_dim = {v_dim};"]
    if alibi_rank is not None:
        lines.append("  tensor alibi_slopes : f32[" + ("heads" if alibi_rank == 1 else
                                                       "batch, heads") + "];")
        slope = "alibi_slopes[h]" if alibi_rank == 1 else "alibi_slopes[b, h]"
        score = f"{score} - {slope} * float(abs({pos} - k))"
    if softmax_scale is not None:
        lines.append(f"  scale = {float(softmax_scale)!r};")
    if mask:
        lines.append("  mask = " + " && ".join(mask) + ";")
    if score != "score":
        lines.append(f"  score = {score};")
    lines.append("}")
    return "\n".join(lines) + "\n"
