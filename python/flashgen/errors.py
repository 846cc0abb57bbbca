"""Exceptions raised by the flashgen Python package.

Every error the package raises on purpose derives from :class:`FlashgenError`,
so ``except flashgen.errors.FlashgenError`` catches all of them. Each class
also derives from the built-in exception a caller would expect for that kind
of failure (``ValueError`` for bad input, ``NotImplementedError`` for a valid
but unsupported request, ``RuntimeError`` for environment failures), so code
written against plain Python exceptions keeps working.
"""

__all__ = [
    "FlashgenError",
    "SpecError",
    "TraceError",
    "UnsupportedError",
    "NoDeviceError",
    "ArgumentError",
    "CudaError",
]


class FlashgenError(Exception):
    """Base class of every error raised by flashgen."""


class SpecError(FlashgenError, ValueError):
    """The attention specification is invalid: ``.attn`` text, or the
    keywords of :class:`flashgen.spec.Spec` (the message names the keyword)."""


class TraceError(SpecError):
    """A FlexAttention-style ``mask_mod`` / ``score_mod`` could not be traced
    into an ``.attn`` expression. The message names the construct and the
    user's source line as ``path:line``."""


class UnsupportedError(FlashgenError, NotImplementedError):
    """The request is valid but flashgen does not support it (yet)."""


class NoDeviceError(FlashgenError, RuntimeError):
    """No usable GPU: no CUDA driver, or no device visible."""


class ArgumentError(FlashgenError, ValueError):
    """A tensor argument is wrong: shape, dtype, device or strides."""


class CudaError(FlashgenError, RuntimeError):
    """NVRTC compilation or a CUDA driver call failed."""
