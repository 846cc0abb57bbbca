"""The package against libflashgen.so with no PyTorch and no GPU: specs checked
and compiled to CUDA source through the C API, errors mapped to exceptions
that name the problem, and a clear word when there is no GPU."""
import ctypes
import os

import pytest

import flashgen
from flashgen import _library


def test_check_spec_accepts_and_generates():
    text = "attention a { dtype = bf16; head_dim = 64; mask = causal; }"
    flashgen.check_spec(text)
    src = flashgen.generate_source(text)
    assert "auto-generated" in src and "extern \"C\"" in src
    bwd = flashgen.generate_source(text, backward=True)
    assert bwd != src


def test_spec_errors_carry_the_diagnostics():
    with pytest.raises(flashgen.SpecError) as e:
        flashgen.check_spec("attention a { head_dim = 64; mask = casual; }", "x.attn")
    assert "x.attn:1:37: error: unknown identifier 'casual' (did you mean 'causal'?)" in str(e.value)


def test_unsupported_is_its_own_error():
    with pytest.raises(flashgen.UnsupportedError, match="has rank 5; at most 4"):
        flashgen.check_spec("attention r { head_dim = 64; tensor t : i32[1, 1, 1, 1, 1]; "
                            "mask = t[0, 0, 0, 0, 0] > 0; }")


def test_runtime_sparsity_reads_the_block_map():
    src = flashgen.generate_source("attention r { head_dim = 64; "
                                   "sparsity = runtime(block_size = 64); }")
    # The tile-class builder bounds the map over a tile's blocks.
    assert "lookupScan<4>(p.tensors[0], {b, h, v2, v3})" in src


def _expand_bsr(counts, indices, stride, rows, cols, heads=1, full=None):
    lib = _library.library()
    c = (ctypes.c_int32 * len(counts))(*counts)
    i = (ctypes.c_int32 * len(indices))(*indices)
    bsr = _library.BsrBlockMask(1, heads, rows, cols, ctypes.addressof(c), ctypes.addressof(i),
                                stride)
    if full:
        fc = (ctypes.c_int32 * len(full[0]))(*full[0])
        fi = (ctypes.c_int32 * len(full[1]))(*full[1])
        bsr.full_counts, bsr.full_indices = ctypes.addressof(fc), ctypes.addressof(fi)
        bsr.full_index_stride = full[2]
    out = (ctypes.c_int32 * (heads * rows * cols))()
    status = lib.flashgenExpandBsrBlockMask(ctypes.byref(bsr), ctypes.addressof(out))
    _library.raise_for(status)
    return list(out)


def test_bsr_block_masks_expand_and_name_bad_rows():
    assert _expand_bsr([1, 2], [2, 0, 0, 1], 2, rows=2, cols=3) == [0, 0, 1, 1, 1, 0]
    assert _expand_bsr([1, 0], [2, 0, 0, 1], 2, rows=2, cols=3,
                       full=([1, 1], [0, 2], 1)) == [1, 0, 1, 0, 0, 1]
    with pytest.raises(flashgen.ArgumentError,
                       match=r"row \(batch 0, head 1, query block 0\): partial kv block 3 at "
                             r"position 1 is outside \[0, 3\)"):
        _expand_bsr([1, 2], [0, 0, 1, 3], 2, rows=1, cols=3, heads=2)
    with pytest.raises(flashgen.ArgumentError, match="strictly ascending, but 1 at position 1"):
        _expand_bsr([2], [1, 1], 2, rows=1, cols=3)
    with pytest.raises(flashgen.ArgumentError, match="listed both partial and full"):
        _expand_bsr([1], [2], 1, rows=1, cols=3, full=([1], [2], 1))


def test_unknown_arch():
    with pytest.raises(flashgen.FlashgenError, match="unknown architecture 'sm_99'"):
        flashgen.check_spec("attention a { head_dim = 64; }", arch="sm_99")


def test_every_example_checks():
    root = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
    names = sorted(f for f in os.listdir(root) if f.endswith(".attn"))
    assert len(names) >= 15
    for f in names:
        with open(os.path.join(root, f)) as fh:
            flashgen.check_spec(fh.read(), f)


def _has_driver():
    try:
        ctypes.CDLL("libcuda.so.1")
        return True
    except OSError:
        return False


@pytest.mark.skipif(_has_driver(),
                    reason="a CUDA driver is present: the no-GPU error cannot be provoked")
def test_no_gpu_is_said_clearly():
    with pytest.raises(flashgen.NoDeviceError, match="flashgen needs a CUDA GPU"):
        _library.kernel("attention a { dtype = bf16; head_dim = 64; }", 0)
    # The training creator (backward JITted beside the forward) too.
    with pytest.raises(flashgen.NoDeviceError, match="flashgen needs a CUDA GPU"):
        _library.kernel("attention a { dtype = bf16; head_dim = 64; }", 0, for_training=True)


def test_api_version_is_checked():
    assert _library.library().flashgenApiVersion() == _library.API_VERSION
