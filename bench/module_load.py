#!/usr/bin/env python3
"""Where a new process's module load goes (issue 14's disk hit <= 1 ms).

A flashgen disk hit in a new process is ~0.1 ms of our own work and
0.4-0.7 ms of the driver's cuModuleLoadData (bench/results/2026-12-01-h200-s25.md).
This times the driver alone, one new process per measurement, with the
CUBINs of a flashgen kernel cache (FGKC3 entries: a 256-byte header, then
the payload; module entries are ELF files):
  first     the process's first module load
  after     the same, after a tiny module was loaded first (a one-time
            set-up of the context's code memory, if there is one)
  again     the second load of the same CUBIN in the process
  library   cuLibraryLoadData + cuLibraryGetKernel + cuKernelGetFunction
            instead of cuModuleLoadData + cuModuleGetFunction
Each with and without CUDA_MODULE_LOADING=EAGER. Prints one line per
CUBIN and mode: median and range of the per-process times (ms).

  python3 bench/module_load.py CACHE_DIR [--procs 7] [--cubins F.cubin ...]
"""
import argparse
import ctypes
import glob
import os
import statistics
import subprocess
import sys
import time

TINY = r'extern "C" __global__ void tiny(float *p) { if (p) p[threadIdx.x] = 1.0f; }'


def cuda():
    lib = ctypes.CDLL("libcuda.so.1")

    def ok(rc, what):
        if rc != 0:
            raise RuntimeError(f"{what} failed: {rc}")
    ok(lib.cuInit(0), "cuInit")
    dev = ctypes.c_int()
    ok(lib.cuDeviceGet(ctypes.byref(dev), 0), "cuDeviceGet")
    ctx = ctypes.c_void_p()
    ok(lib.cuDevicePrimaryCtxRetain(ctypes.byref(ctx), dev), "cuDevicePrimaryCtxRetain")
    ok(lib.cuCtxSetCurrent(ctx), "cuCtxSetCurrent")
    return lib, ok


def first_entry_name(image):
    # The first kernel's name: its code section is ".text.<name>".
    i = image.find(b".text.")
    return image[i + 6:image.find(b"\0", i)] if i >= 0 else b"tiny"


def child(path, mode, tiny_path):
    lib, ok = cuda()
    image = open(path, "rb").read()
    tiny = open(tiny_path, "rb").read()
    name = first_entry_name(image)
    mod, fn = ctypes.c_void_p(), ctypes.c_void_p()
    if mode == "after":
        t = ctypes.c_void_p()
        ok(lib.cuModuleLoadData(ctypes.byref(t), tiny), "tiny load")
    if mode == "again":
        t = ctypes.c_void_p()
        ok(lib.cuModuleLoadData(ctypes.byref(t), image), "first load")
    buf = ctypes.create_string_buffer(image, len(image))
    t0 = time.perf_counter()
    if mode == "library":
        libr, kern = ctypes.c_void_p(), ctypes.c_void_p()
        ok(lib.cuLibraryLoadData(ctypes.byref(libr), buf, None, None, 0, None, None, 0),
           "cuLibraryLoadData")
        t1 = time.perf_counter()
        ok(lib.cuLibraryGetKernel(ctypes.byref(kern), libr, name), "cuLibraryGetKernel")
        ok(lib.cuKernelGetFunction(ctypes.byref(fn), kern), "cuKernelGetFunction")
    else:
        ok(lib.cuModuleLoadData(ctypes.byref(mod), buf), "cuModuleLoadData")
        t1 = time.perf_counter()
        ok(lib.cuModuleGetFunction(ctypes.byref(fn), mod, name), "cuModuleGetFunction")
    t2 = time.perf_counter()
    print(f"{(t1 - t0) * 1e3:.4f} {(t2 - t1) * 1e3:.4f}")


def tiny_cubin(out):
    nv = ctypes.CDLL(glob.glob("/usr/local/cuda*/lib64/libnvrtc.so*")[0]
                     if glob.glob("/usr/local/cuda*/lib64/libnvrtc.so*") else "libnvrtc.so")
    prog = ctypes.c_void_p()
    assert nv.nvrtcCreateProgram(ctypes.byref(prog), TINY.encode(), b"tiny.cu", 0, None, None) == 0
    opts = (ctypes.c_char_p * 1)(b"--gpu-architecture=sm_90a")
    assert nv.nvrtcCompileProgram(prog, 1, opts) == 0
    size = ctypes.c_size_t()
    nv.nvrtcGetCUBINSize(prog, ctypes.byref(size))
    data = ctypes.create_string_buffer(size.value)
    nv.nvrtcGetCUBIN(prog, data)
    open(out, "wb").write(data.raw)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child(sys.argv[2], sys.argv[3], sys.argv[4])
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cache_dir")
    ap.add_argument("--procs", type=int, default=7)
    ap.add_argument("--cubins", nargs="*", default=[],
                    help="more CUBIN files to time (e.g. synthetic kernels)")
    ap.add_argument("--modes", default="first,after,again,library")
    ap.add_argument("--loading", default="LAZY,EAGER")
    a = ap.parse_args()
    work = "/tmp/module-load"
    os.makedirs(work, exist_ok=True)
    tiny = os.path.join(work, "tiny.cubin")
    tiny_cubin(tiny)
    cubins = [tiny] + a.cubins
    for f in sorted(glob.glob(os.path.join(a.cache_dir, "*.fgk"))):
        payload = open(f, "rb").read()[256:]
        if payload.startswith(b"\x7fELF"):
            p = os.path.join(work, os.path.basename(f) + ".cubin")
            open(p, "wb").write(payload)
            cubins.append(p)
    for c in cubins:
        for loading in a.loading.split(","):
            for mode in a.modes.split(","):
                env = dict(os.environ, CUDA_MODULE_LOADING=loading)
                load, fn = [], []
                for _ in range(a.procs):
                    r = subprocess.run([sys.executable, __file__, "--child", c, mode, tiny],
                                       env=env, capture_output=True, text=True)
                    if r.returncode != 0:
                        print(f"{c} {mode} error: {r.stderr.strip()[-200:]}")
                        break
                    x, y = map(float, r.stdout.split())
                    load.append(x)
                    fn.append(y)
                if load:
                    print(f"{os.path.basename(c)[:24]:24} {os.path.getsize(c):7d} B {loading:5} "
                          f"{mode:7} load {statistics.median(load):.3f} ms "
                          f"({min(load):.3f}-{max(load):.3f}) function "
                          f"{statistics.median(fn):.3f} ms", flush=True)


if __name__ == "__main__":
    main()
