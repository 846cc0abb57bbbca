"""libflashgen.so through ctypes: the C API of flashgen-c/Runtime.h.

The compiler (frontend, MLIR passes, codegen, NVRTC, the CUDA driver) lives in
one shared library with only glibc, libstdc++ and libnvrtc as dependencies, so
this package is pure Python and works with any CPython version. The structs
below mirror the C header field by field; `flashgenApiVersion()` is checked at
load time so that a stale library fails loudly instead of misreading them.

Where the library is looked for, first hit wins:
  1. $FLASHGEN_LIBRARY (a path to libflashgen.so),
  2. flashgen/_lib/libflashgen.so inside this package (what the installer copies),
  3. build/lib/libflashgen.so of the source tree this package sits in.
"""
from __future__ import annotations

import ctypes
import os
import pathlib
import threading
from ctypes import (POINTER, Structure, c_char_p, c_float, c_int, c_int64, c_size_t,
                    c_uint64, c_void_p)

from .errors import (ArgumentError, CudaError, FlashgenError, NoDeviceError, SpecError,
                     UnsupportedError)

API_VERSION = 9  # FLASHGEN_C_API_VERSION of the header these structs mirror

# FlashgenStatus -> the exception raised for it.
_STATUS_ERRORS = {
    1: SpecError,
    2: UnsupportedError,
    3: NoDeviceError,
    4: ArgumentError,
    5: CudaError,
}


class Strides(Structure):
    _fields_ = [("batch", c_int64), ("row", c_int64), ("head", c_int64)]


class Positions(Structure):
    """FlashgenPositions: where a launch sits in a larger problem."""
    _fields_ = [
        ("q_offset", c_int), ("k_offset", c_int), ("head_offset", c_int),
        ("seq_q", c_int), ("seq_k", c_int), ("heads", c_int),
    ]


class HeadDescale(Structure):
    _fields_ = [("data", c_void_p), ("batch_stride", c_int64), ("head_stride", c_int64)]


class ForwardArgs(Structure):
    _fields_ = [
        ("q", c_void_p), ("k", c_void_p), ("v", c_void_p), ("o", c_void_p),
        ("lse", c_void_p),
        ("batch", c_int), ("heads", c_int), ("kv_heads", c_int),
        ("seq_q", c_int), ("seq_k", c_int),
        ("layout", c_int),
        ("cu_seqlens_q", c_void_p), ("cu_seqlens_k", c_void_p),
        ("total_q", c_int), ("total_k", c_int),
        ("dropout_seed", c_uint64), ("dropout_offset", c_uint64),
        ("num_tensors", c_int),
        ("tensor_names", POINTER(c_char_p)),
        ("tensor_data", POINTER(c_void_p)),
        ("tensor_ranks", POINTER(c_int)),
        ("tensor_shapes", POINTER(c_int64)),
        ("stream", c_void_p),
        ("q_strides", Strides), ("k_strides", Strides), ("v_strides", Strides),
        ("o_strides", Strides),
        ("tensor_strides", POINTER(c_int64)),
        ("positions", Positions),
        ("seqused_k", c_void_p),
        ("page_table", c_void_p),
        ("page_size", c_int), ("num_pages", c_int), ("page_table_stride", c_int),
        ("kv_batch_index", c_void_p), ("kv_batch", c_int),
        ("q_descale", c_float), ("k_descale", c_float), ("v_descale", c_float),
        ("q_head_descale", HeadDescale), ("k_head_descale", HeadDescale),
        ("v_head_descale", HeadDescale),
    ]


class BackwardArgs(Structure):
    _fields_ = [
        ("fwd", ForwardArgs),
        ("d_o", c_void_p),
        ("dq", c_void_p), ("dk", c_void_p), ("dv", c_void_p),
        ("workspace", c_void_p),
        ("deterministic", c_int),
        ("do_strides", Strides), ("dq_strides", Strides), ("dk_strides", Strides),
        ("dv_strides", Strides),
        ("accumulate_f32", c_int),
    ]


class KernelInfo(Structure):
    _fields_ = [
        ("bf16", c_int),
        ("qk_head_dim", c_int), ("v_head_dim", c_int),
        ("varlen", c_int),
        ("dropout", c_float),
        ("kv_heads_ratio", c_int),
        ("num_tensors", c_int),
        ("device", c_int),
        ("has_fast_backward", c_int),
        ("fp8", c_int),
    ]


class BsrBlockMask(Structure):
    _fields_ = [("batch", c_int), ("heads", c_int), ("row_blocks", c_int), ("col_blocks", c_int),
                ("counts", c_void_p), ("indices", c_void_p), ("index_stride", c_int),
                ("full_counts", c_void_p), ("full_indices", c_void_p),
                ("full_index_stride", c_int)]


class _Handle(Structure):
    _fields_ = [("ptr", c_void_p)]


_lib = None
_lib_error: str | None = None
_lib_lock = threading.Lock()


def _candidates() -> list[pathlib.Path]:
    here = pathlib.Path(__file__).resolve().parent
    out = []
    env = os.environ.get("FLASHGEN_LIBRARY")
    if env:
        out.append(pathlib.Path(env))
    out.append(here / "_lib" / "libflashgen.so")
    build = os.environ.get("FLASHGEN_BUILD_DIR")
    if build:
        out.append(pathlib.Path(build) / "lib" / "libflashgen.so")
    out.append(here.parent.parent / "build" / "lib" / "libflashgen.so")
    return out


def _preload_nvrtc() -> None:
    """Makes libnvrtc loadable for libflashgen.so when it is not where the
    library's RUNPATH (/usr/local/cuda/lib64) says: $CUDA_HOME, or the NVRTC
    that PyTorch's pip packages ship. Loading it RTLD_GLOBAL first satisfies
    the dependency by soname."""
    try:
        ctypes.CDLL("libnvrtc.so.13", mode=ctypes.RTLD_GLOBAL)
        return
    except OSError:
        pass
    roots = [os.environ.get("CUDA_HOME", ""), "/usr/local/cuda"]
    dirs = [pathlib.Path(r) / "lib64" for r in roots if r]
    try:  # nvidia-cuda-nvrtc wheels: site-packages/nvidia/{cu13,cuda_nvrtc}/lib
        import importlib.util
        spec = importlib.util.find_spec("nvidia")
        if spec and spec.submodule_search_locations:
            for loc in spec.submodule_search_locations:
                dirs += [pathlib.Path(loc) / "cu13" / "lib", pathlib.Path(loc) / "cuda_nvrtc" / "lib"]
    except (ImportError, ValueError):
        pass
    for d in dirs:
        for f in sorted(d.glob("libnvrtc.so.13*")) if d.is_dir() else []:
            try:
                ctypes.CDLL(str(f), mode=ctypes.RTLD_GLOBAL)
                return
            except OSError:
                continue


def _declare(lib) -> None:
    def fn(name, restype, *argtypes):
        f = getattr(lib, name)
        f.restype = restype
        f.argtypes = list(argtypes)

    fn("flashgenApiVersion", c_int)
    fn("flashgenLastError", c_char_p)
    fn("flashgenKernelCreateFromSpecOnDevice", c_int, c_char_p, c_char_p, c_int, POINTER(_Handle))
    fn("flashgenKernelCreateForTraining", c_int, c_char_p, c_char_p, c_int, POINTER(_Handle))
    fn("flashgenKernelDestroy", None, _Handle)
    fn("flashgenSpecCheck", c_int, c_char_p, c_char_p, c_char_p)
    fn("flashgenGenerateSource", c_int, c_char_p, c_char_p, c_char_p, POINTER(c_char_p))
    fn("flashgenGenerateBackwardSource", c_int, c_char_p, c_char_p, c_char_p, POINTER(c_char_p))
    fn("flashgenKernelForward", c_int, _Handle, POINTER(ForwardArgs))
    fn("flashgenKernelBackward", c_int, _Handle, POINTER(BackwardArgs))
    fn("flashgenKernelBackwardWorkspaceBytes", c_size_t, _Handle, POINTER(ForwardArgs))
    fn("flashgenKernelPrepareBackward", c_int, _Handle)
    fn("flashgenKernelGetInfo", c_int, _Handle, POINTER(KernelInfo))
    fn("flashgenKernelTensorName", c_char_p, _Handle, c_int)
    fn("flashgenKernelTensorIsFloat", c_int, _Handle, c_int)
    fn("flashgenKernelTensorRank", c_int, _Handle, c_int)
    fn("flashgenKernelTensorDim", c_char_p, _Handle, c_int, c_int)
    fn("flashgenKernelEntryName", c_char_p, _Handle)
    fn("flashgenExpandBsrBlockMask", c_int, POINTER(BsrBlockMask), c_void_p)
    fn("flashgenSpecClassifyBlocks", c_int, c_char_p, c_char_p, c_int, c_int, c_int,
       POINTER(ctypes.c_int32), POINTER(ctypes.c_int32))


def library():
    """The loaded libflashgen.so; FlashgenError saying where it was looked
    for when it cannot be loaded."""
    global _lib, _lib_error
    with _lib_lock:
        if _lib is not None:
            return _lib
        if _lib_error is not None:
            raise FlashgenError(_lib_error)
        tried = []
        _preload_nvrtc()
        for path in _candidates():
            if not path.is_file():
                tried.append(f"{path} (absent)")
                continue
            try:
                lib = ctypes.CDLL(str(path))
            except OSError as e:
                tried.append(f"{path} ({e})")
                continue
            _declare(lib)
            version = lib.flashgenApiVersion()
            if version != API_VERSION:
                tried.append(f"{path} (C API version {version}, this package needs {API_VERSION}:"
                             " rebuild the library or reinstall the package)")
                continue
            _lib = lib
            return lib
        _lib_error = ("flashgen: cannot load libflashgen.so; tried: " + "; ".join(tried) +
                      ". Build it (scripts/build.sh) and install the package "
                      "(scripts/install-python.sh), or set FLASHGEN_LIBRARY.")
        raise FlashgenError(_lib_error)


def raise_for(status: int, context: str = "") -> None:
    """Raises the exception of a FlashgenStatus with the library's message."""
    if status == 0:
        return
    msg = (library().flashgenLastError() or b"").decode(errors="replace")
    cls = _STATUS_ERRORS.get(status, FlashgenError)
    if cls is NoDeviceError:
        msg = "flashgen needs a CUDA GPU: " + msg
    raise cls(f"{context}{msg}" if context else msg)


def check_spec(text: str, name: str = "spec.attn", arch: str = "sm_90a") -> None:
    """Frontend, passes and tiling for `arch` with no GPU: SpecError (or
    UnsupportedError) with the compiler's diagnostics when the spec is bad."""
    raise_for(library().flashgenSpecCheck(text.encode(), name.encode(), arch.encode()))


def generate_source(text: str, name: str = "spec.attn", arch: str = "sm_90a",
                    backward: bool = False) -> str:
    """The CUDA source flashgen generates for `text` on `arch` (no GPU needed)."""
    lib = library()
    out = c_char_p()
    f = lib.flashgenGenerateBackwardSource if backward else lib.flashgenGenerateSource
    raise_for(f(text.encode(), name.encode(), arch.encode(), ctypes.byref(out)))
    return out.value.decode()


BLOCK_EMPTY, BLOCK_FULL, BLOCK_PARTIAL = 0, 1, 2


def classify_blocks(text: str, seq_q: int, seq_k: int, blocks, name: str = "spec.attn") -> list:
    """How the mask of `text` covers each block (q0, q1, k0, k1) (inclusive
    rows and keys) of a whole seq_q x seq_k problem: BLOCK_EMPTY when no
    pair is attended (any batch entry, any head), BLOCK_FULL when every pair
    is, else BLOCK_PARTIAL (also when it depends on run-time tensors). The
    compiler's interval analysis, on the host; no GPU."""
    blocks = [tuple(int(x) for x in b) for b in blocks]
    n = len(blocks)
    flat = (ctypes.c_int32 * max(4 * n, 1))(*[x for b in blocks for x in b])
    out = (ctypes.c_int32 * max(n, 1))()
    raise_for(library().flashgenSpecClassifyBlocks(text.encode(), name.encode(), int(seq_q),
                                                   int(seq_k), n, flat, out))
    return [int(out[i]) for i in range(n)]


class TensorDecl:
    """A named tensor the compiled spec reads: name, f32 or i32, extents."""

    __slots__ = ("name", "is_float", "dims")

    def __init__(self, name: str, is_float: bool, dims: tuple[str, ...]):
        self.name, self.is_float, self.dims = name, is_float, dims

    def __repr__(self):
        return f"TensorDecl({self.name!r}, {'f32' if self.is_float else 'i32'}, {self.dims})"


class Kernel:
    """One compiled variant on one device (forward, and backward on first
    use, or with `for_training` compiled beside the forward). Owns the C
    handle; thread-safe as the C++ runtime is."""

    def __init__(self, text: str, name: str, device: int, for_training: bool = False):
        lib = library()
        self._lib = lib
        self._h = _Handle()
        create = (lib.flashgenKernelCreateForTraining if for_training
                  else lib.flashgenKernelCreateFromSpecOnDevice)
        raise_for(create(text.encode(), name.encode(), int(device), ctypes.byref(self._h)))
        self.info = KernelInfo()
        raise_for(lib.flashgenKernelGetInfo(self._h, ctypes.byref(self.info)))
        decls = []
        for i in range(self.info.num_tensors):
            rank = lib.flashgenKernelTensorRank(self._h, i)
            decls.append(TensorDecl(
                lib.flashgenKernelTensorName(self._h, i).decode(),
                bool(lib.flashgenKernelTensorIsFloat(self._h, i)),
                tuple(lib.flashgenKernelTensorDim(self._h, i, d).decode() for d in range(rank))))
        self.tensors = tuple(decls)
        self.entry = lib.flashgenKernelEntryName(self._h).decode()

    def __del__(self):
        h = getattr(self, "_h", None)
        if h is not None and h.ptr:
            try:
                self._lib.flashgenKernelDestroy(h)
            except Exception:  # interpreter shutdown
                pass
            h.ptr = None

    def forward(self, args: ForwardArgs) -> None:
        raise_for(self._lib.flashgenKernelForward(self._h, ctypes.byref(args)))

    def backward(self, args: BackwardArgs) -> None:
        raise_for(self._lib.flashgenKernelBackward(self._h, ctypes.byref(args)))

    def prepare_backward(self) -> None:
        raise_for(self._lib.flashgenKernelPrepareBackward(self._h))

    def backward_workspace_bytes(self, args: ForwardArgs) -> int:
        return int(self._lib.flashgenKernelBackwardWorkspaceBytes(self._h, ctypes.byref(args)))


_kernels: dict[tuple[str, int], Kernel] = {}
_kernels_lock = threading.Lock()


def kernel(text: str, device: int, name: str = "spec.attn", for_training: bool = False) -> Kernel:
    """The compiled kernel for `text` on `device`, compiled once per process
    (the C++ runtime also keeps CUBINs on disk across processes). The first
    call with `for_training` JITs the backward beside the forward."""
    key = (text, int(device))
    k = _kernels.get(key)
    if k is not None:
        return k
    with _kernels_lock:
        k = _kernels.get(key)
        if k is None:
            k = Kernel(text, name, device, for_training)
            _kernels[key] = k
        return k
