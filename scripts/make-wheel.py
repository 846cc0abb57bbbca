#!/usr/bin/env python3
"""Builds the flashgen wheel from python/flashgen and a libflashgen.so.

    scripts/make-wheel.py --library build/lib/libflashgen.so --out build/dist

Why by hand: installing must not download anything, and the pythons this must
serve do not all have a wheel builder (a Python 3.12 venv has no setuptools;
setuptools < 70.1 builds no wheel without the separate `wheel` package). pip
installs a wheel with nothing but itself. The package is pure Python plus
one shared library that any CPython loads through ctypes, so the wheel is
tagged py3-none-<platform>: one build serves every Python version.

A wheel is a zip of the package and a .dist-info folder (METADATA, WHEEL,
RECORD with a sha256 per file), as PEP 427 / the binary distribution format
specify.
"""
import argparse
import base64
import hashlib
import pathlib
import re
import sysconfig
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def project_version() -> str:
    text = (ROOT / "python" / "pyproject.toml").read_text()
    m = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    if not m:
        raise SystemExit("make-wheel: no version in python/pyproject.toml")
    return m.group(1)


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--library", required=True, help="libflashgen.so to ship in the wheel")
    ap.add_argument("--out", required=True, help="folder for the .whl")
    a = ap.parse_args()
    lib = pathlib.Path(a.library)
    if not lib.is_file():
        raise SystemExit(f"make-wheel: no library at {lib}")
    version = project_version()
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    tag = f"py3-none-{platform}"
    dist_info = f"flashgen-{version}.dist-info"
    files: list[tuple[str, bytes]] = []
    pkg = ROOT / "python" / "flashgen"
    for f in sorted(pkg.rglob("*.py")):
        files.append((f"flashgen/{f.relative_to(pkg).as_posix()}", f.read_bytes()))
    files.append(("flashgen/_lib/libflashgen.so", lib.read_bytes()))
    readme = (ROOT / "python" / "README.md").read_text()
    metadata = (f"Metadata-Version: 2.1\nName: flashgen\nVersion: {version}\n"
                "Summary: IO-aware attention kernels compiled from a one-line spec: a "
                "flash-attn drop-in and Flex-style masks for PyTorch\n"
                "Requires-Python: >=3.9\nProvides-Extra: torch\n"
                "Requires-Dist: torch>=2.4; extra == \"torch\"\n"
                "Description-Content-Type: text/markdown\n\n" + readme)
    wheel = (f"Wheel-Version: 1.0\nGenerator: flashgen make-wheel.py\nRoot-Is-Purelib: false\n"
             f"Tag: {tag}\n")
    files.append((f"{dist_info}/METADATA", metadata.encode()))
    files.append((f"{dist_info}/WHEEL", wheel.encode()))
    files.append((f"{dist_info}/top_level.txt", b"flashgen\n"))
    record = [record_line(n, d) for n, d in files] + [f"{dist_info}/RECORD,,"]
    files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode()))
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    whl = out / f"flashgen-{version}-{tag}.whl"
    with zipfile.ZipFile(whl, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name.endswith(".so") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    print(whl)


if __name__ == "__main__":
    main()
