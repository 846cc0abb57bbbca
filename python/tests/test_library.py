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
    with pytest.raises(flashgen.UnsupportedError, match="block masks given at run time"):
        flashgen.check_spec("attention r { head_dim = 64; sparsity = runtime; }")


def test_unknown_arch():
    with pytest.raises(flashgen.FlashgenError, match="unknown architecture 'sm_99'"):
        flashgen.check_spec("attention a { head_dim = 64; }", arch="sm_99")


def test_every_example_checks():
    root = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
    names = sorted(f for f in os.listdir(root) if f.endswith(".attn") and "runtime" not in f)
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


def test_api_version_is_checked():
    assert _library.library().flashgenApiVersion() == _library.API_VERSION
