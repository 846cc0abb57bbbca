#!/usr/bin/env python3
"""Where a cold forward's compile goes (issue 14's cold JIT <= 1 s).

The JIT compiles a forward in two steps (runtime/lib/Nvrtc.cpp): NVRTC's
front end to LTO-IR (-dlto), then nvJitLink (-lto
-optimize-unused-variables), whose NVVM optimizes the whole kernel to PTX
and whose ptxas makes the CUBIN. This times both for each generated source
(`flashgen compile X.attn --arch sm_90a -o X.cu`) through ctypes on the
same libraries the JIT loads (NVRTC's versioned library; nvJitLink from
NVRTC's directory), with FLASHGEN_FWD_DECODING 0 as the JIT compiles a
forward, best of --reps runs after one warm-up in the process. nvJitLink's
-time splits its part into NVVM ("time to create PTX") and ptxas ("time to
finish").

On a machine with a CUDA driver nvJitLink keeps LTO links in the driver's
compute cache, so a second link of a source is a cache hit (~6 ms): give
each run a fresh CUDA_CACHE_PATH or pass --link-opt=-no-cache. The first
link of a process without a CUDA context pays nvJitLink's cuInit (~190 ms
on the H200 machine): the warm-up takes it.

  python3 bench/cold_split.py [--templates DIR] [--reps 3] [--link-opt OPT ...] X.cu ...
Prints a markdown table (ms): front end, NVVM, ptxas, nvJitLink, total.
(bench/results/2026-12-01-h200-s27.md section 2 has its numbers.)
"""
import argparse
import ctypes
import glob
import os
import re
import sys
import time

NVJITLINK_INPUT_LTOIR = 3


def load(name, dirs):
    """The versioned library (libX.so.13...) of the first directory holding one."""
    for d in dirs:
        files = sorted(glob.glob(f"{d}/{name}.so.*"), key=len) + glob.glob(f"{d}/{name}.so")
        if files:
            return ctypes.CDLL(files[0]), d, os.path.realpath(files[0])
    sys.exit(f"cold_split: no {name} in {', '.join(dirs)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sources", nargs="+", help="generated forward sources (.cu)")
    ap.add_argument("--templates", default=os.path.join(os.path.dirname(__file__), "..", "templates"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--link-opt", action="append", default=[], help="an extra nvJitLink option")
    ap.add_argument("--arch", default="sm_90a")
    args = ap.parse_args()
    cuda_dirs = ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib"] + \
        sorted(glob.glob("/usr/local/cuda-*/lib64"))
    nvrtc, nvrtc_dir, nvrtc_file = load("libnvrtc", cuda_dirs)
    link, _, link_file = load("libnvJitLink", [nvrtc_dir])
    print(f"<!-- NVRTC {nvrtc_file}, nvJitLink {link_file} -->")
    virtual = "compute_" + args.arch[3:]
    templates = os.path.abspath(args.templates)

    def run(path):
        src = open(path, "rb").read()
        t0 = time.perf_counter()
        prog = ctypes.c_void_p()
        nvrtc.nvrtcCreateProgram(ctypes.byref(prog), src, b"x.cu", 0, None, None)
        opts = [f"--gpu-architecture={virtual}", "--std=c++17", "-default-device",
                "-DFLASHGEN_NO_HOST=1", "-DFLASHGEN_FWD_DECODING=0", "--no-cache",
                f"-I{templates}", "-dlto"]
        arr = (ctypes.c_char_p * len(opts))(*[o.encode() for o in opts])
        if nvrtc.nvrtcCompileProgram(prog, len(opts), arr) != 0:
            n = ctypes.c_size_t()
            nvrtc.nvrtcGetProgramLogSize(prog, ctypes.byref(n))
            log = ctypes.create_string_buffer(n.value)
            nvrtc.nvrtcGetProgramLog(prog, log)
            sys.exit(f"cold_split: NVRTC failed on {path}:\n{log.value.decode()[:2000]}")
        n = ctypes.c_size_t()
        nvrtc.nvrtcGetLTOIRSize(prog, ctypes.byref(n))
        ir = ctypes.create_string_buffer(n.value)
        nvrtc.nvrtcGetLTOIR(prog, ir)
        nvrtc.nvrtcDestroyProgram(ctypes.byref(prog))
        t1 = time.perf_counter()
        lopts = [f"-arch={args.arch}", "-lto", "-optimize-unused-variables", "-time"] + args.link_opt
        h = ctypes.c_void_p()
        arr = (ctypes.c_char_p * len(lopts))(*[o.encode() for o in lopts])
        if link.nvJitLinkCreate(ctypes.byref(h), len(lopts), arr) != 0:
            sys.exit(f"cold_split: nvJitLink refused the options {lopts}")
        rc = link.nvJitLinkAddData(h, NVJITLINK_INPUT_LTOIR, ir.raw, len(ir.raw), b"x.ltoir") or \
            link.nvJitLinkComplete(h)
        t2 = time.perf_counter()
        which = "Error" if rc else "Info"
        m = ctypes.c_size_t()
        getattr(link, f"nvJitLinkGet{which}LogSize")(h, ctypes.byref(m))
        buf = ctypes.create_string_buffer(m.value)
        getattr(link, f"nvJitLinkGet{which}Log")(h, buf)
        link.nvJitLinkDestroy(ctypes.byref(h))
        log = buf.value.decode()
        if rc:
            sys.exit(f"cold_split: nvJitLink failed on {path} ({rc}):\n{log[:2000]}")
        # -time's lines; without them (a cache hit) nan.
        nvvm, ptxas = (float(m.group(1)) if m else float("nan") for m in (
            re.search(r"time to create PTX: ([0-9.]+)", log),
            re.search(r"time to finish: ([0-9.]+)", log)))
        return (t1 - t0) * 1e3, nvvm, ptxas, (t2 - t1) * 1e3

    run(args.sources[0])  # warm-up: the libraries' first use
    print("| source (forward) | NVRTC front end, ms | NVVM (LTO), ms | ptxas, ms | nvJitLink, ms | total, ms |")
    print("|---|---|---|---|---|---|")
    for path in args.sources:
        r = min((run(path) for _ in range(args.reps)), key=lambda r: r[0] + r[3])
        name = os.path.basename(path).removesuffix(".cu")
        print(f"| {name} | {r[0]:.0f} | {r[1]:.0f} | {r[2]:.0f} | {r[3]:.0f} | {r[0] + r[3]:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
