"""flashgen: fused, IO-aware attention kernels compiled from a one-line spec.

    import flashgen
    out = flashgen.attention(q, k, v, flashgen.Spec(causal=True))      # [B, H, N, D]
    from flashgen import flash_attn_func                                # flash-attn 2.x drop-in

The compiler is libflashgen.so (C++, loaded with ctypes); kernels are compiled
for the GPU present on first use and cached in memory and on disk.

What needs no PyTorch (spec text from keywords, the Flex-style function
tracer, spec checking through the library) imports without it; the tensor
functions import PyTorch when first touched.
"""
from __future__ import annotations

from .errors import (ArgumentError, CudaError, FlashgenError, NoDeviceError, SpecError,
                     TraceError, UnsupportedError)
from .spec import Spec
from .trace import trace_mask_mod, trace_score_mod

__version__ = "0.1.0"

# Names served by modules that need PyTorch, imported on first use.
_TORCH_NAMES = {
    "attention": "api",
    "BlockMask": "block_mask",
    "merge_attention": "merge",
    "flash_attn_func": "flash_attn_interface",
    "flash_attn_qkvpacked_func": "flash_attn_interface",
    "flash_attn_kvpacked_func": "flash_attn_interface",
    "flash_attn_varlen_func": "flash_attn_interface",
    "flash_attn_varlen_qkvpacked_func": "flash_attn_interface",
    "flash_attn_varlen_kvpacked_func": "flash_attn_interface",
    "flash_attn_with_kvcache": "kvcache",
}

__all__ = ["Spec", "trace_mask_mod", "trace_score_mod", "check_spec", "generate_source",
           "classify_blocks",
           "FlashgenError", "SpecError", "TraceError", "UnsupportedError", "NoDeviceError",
           "ArgumentError", "CudaError", *_TORCH_NAMES]


def check_spec(text: str, name: str = "spec.attn", arch: str = "sm_90a") -> None:
    """Checks and plans a .attn text for `arch` without a GPU; SpecError or
    UnsupportedError with the compiler's diagnostics when it is bad."""
    from . import _library
    _library.check_spec(text, name, arch)


def generate_source(text: str, name: str = "spec.attn", arch: str = "sm_90a",
                    backward: bool = False) -> str:
    """The CUDA C++ flashgen generates for a .attn text (no GPU needed)."""
    from . import _library
    return _library.generate_source(text, name, arch, backward)


def classify_blocks(text: str, seq_q: int, seq_k: int, blocks, name: str = "spec.attn") -> list:
    """How the mask of a .attn text covers blocks (q0, q1, k0, k1) (inclusive)
    of a whole seq_q x seq_k problem: 0 empty, 1 full, 2 partial (or
    decided by run-time tensors), from the compiler's interval analysis."""
    from . import _library
    return _library.classify_blocks(text, seq_q, seq_k, blocks, name)


def __getattr__(name: str):
    module = _TORCH_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'flashgen' has no attribute {name!r}")
    try:
        import importlib
        mod = importlib.import_module(f".{module}", __name__)
    except ImportError as e:
        raise ImportError(f"flashgen.{name} needs PyTorch ({e})") from e
    value = getattr(mod, name)
    globals()[name] = value
    return value
