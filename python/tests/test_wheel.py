"""The wheel scripts/install-python.sh installs: built with the standard library
alone (no setuptools, no network), every file listed in RECORD with its
sha256, the library inside, and installable by pip into an empty target."""
import base64
import hashlib
import os
import pathlib
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    lib = os.environ.get("FLASHGEN_LIBRARY", str(ROOT / "build" / "lib" / "libflashgen.so"))
    if not os.path.isfile(lib):
        pytest.skip(f"libflashgen.so not built ({lib})")
    out = tmp_path_factory.mktemp("dist")
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "make-wheel.py"), "--library",
                        lib, "--out", str(out)], capture_output=True, text=True, check=True)
    return pathlib.Path(r.stdout.strip())


def test_record_lists_every_file_with_its_hash(wheel):
    assert wheel.name.startswith("flashgen-0.1.0-py3-none-")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        record = z.read("flashgen-0.1.0.dist-info/RECORD").decode().splitlines()
        listed = set()
        for line in record:
            name, digest, size = line.rsplit(",", 2)
            listed.add(name)
            if name.endswith("RECORD"):
                continue
            data = z.read(name)
            want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={want}", name
            assert int(size) == len(data), name
        assert listed == names
        assert "flashgen/_lib/libflashgen.so" in names
        assert "flashgen/__init__.py" in names and "flashgen/trace.py" in names
        wheel_meta = z.read("flashgen-0.1.0.dist-info/WHEEL").decode()
        assert "Root-Is-Purelib: false" in wheel_meta


def test_pip_installs_it_without_network(wheel, tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                        "--disable-pip-version-check", "-q", "--target", str(tmp_path),
                        str(wheel)], capture_output=True, text=True)
    if r.returncode and "No module named pip" in r.stderr:
        pytest.skip("this python has no pip")
    assert r.returncode == 0, r.stderr
    code = ("import flashgen; flashgen.check_spec('attention a { head_dim = 64; }'); "
            "print(flashgen._library.library()._name)")
    env = {k: v for k, v in os.environ.items() if k not in ("FLASHGEN_LIBRARY", "PYTHONPATH")}
    env["PYTHONPATH"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=str(tmp_path), check=True)
    assert out.stdout.strip() == str(tmp_path / "flashgen" / "_lib" / "libflashgen.so")
