"""What the torch-free tests in this folder share (test_spec.py, test_trace.py):
the import path (this package's source tree and the helpers next to this
file, such as _attn_eval.py) and the `flashgen_check` fixture, which runs the
real frontend on an .attn file.

Importing this file must not need torch: gpu/conftest.py skips the GPU tests
where it is absent. Shared classes live in _attn_eval.py, not here: a test
module cannot import from conftest, whose module name gpu/conftest.py takes
over during collection.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for p in (str(HERE.parent), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

FLASHGEN = Path(os.environ.get("FLASHGEN_BIN", HERE.parents[1] / "build" / "bin" / "flashgen"))


@pytest.fixture
def flashgen_check():
    """check(path) runs ``flashgen check path`` (build/bin/flashgen, or
    $FLASHGEN_BIN) and returns the CompletedProcess (text stdout/stderr); the
    test is skipped where the CLI is not built."""
    if not FLASHGEN.exists():
        pytest.skip(f"flashgen CLI not built ({FLASHGEN} missing): frontend check skipped")

    def check(path):
        return subprocess.run([str(FLASHGEN), "check", str(path)], capture_output=True, text=True)
    return check
