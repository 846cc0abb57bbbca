"""GPU tests: skipped (with the reason) where PyTorch or a CUDA GPU is absent.

Every accuracy check appends (case, flashgen's max error, PyTorch's
low-precision error) to the `report` fixture; with $FLASHGEN_PYTEST_REPORT set,
the rows are written there as TSV at the end of the session, for
bench/results/.
"""
import os

import pytest

torch = pytest.importorskip("torch", reason="the GPU tests need PyTorch")

if not torch.cuda.is_available():
    pytest.skip("no CUDA GPU: flashgen's GPU tests need one", allow_module_level=True)

_rows = []


@pytest.fixture
def report(request):
    rows = []
    yield rows
    for name, err, base in rows:
        _rows.append((request.node.name, name, err, base))


@pytest.fixture(autouse=True)
def fresh_seed(request):
    # Fresh random inputs on every run; the seed is in the test's output
    # (pytest shows captured prints of a failing test) to replay a failure.
    seed = int.from_bytes(os.urandom(4), "little")
    print(f"torch seed {seed}")
    torch.manual_seed(seed)


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("FLASHGEN_PYTEST_REPORT")
    if path and _rows:
        with open(path, "w") as f:
            f.write("test\tquantity\tflashgen_err\ttorch_lowprec_err\n")
            for t, n, e, b in _rows:
                f.write(f"{t}\t{n}\t{e:.3e}\t{b:.3e}\n")
