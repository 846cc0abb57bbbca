# Session 27: where a cold forward's compile goes on the machine that runs
# it: NVRTC's front end to LTO-IR, then nvJitLink's NVVM (LTO) and ptxas,
# per source (FLASHGEN_FWD_DECODING 0, as the JIT compiles a forward), best
# of REPS runs after one warm-up, one process; ctypes on the CUDA libraries.
#   python3 coldsplit.py TEMPLATES_DIR X.cu...   (REPS=3 by default)
import ctypes, glob, os, re, sys, time
def lib(name, dirs):
    # The versioned file (libX.so.13...), as the JIT's dlopen finds it: a
    # bare libX.so may be another CUDA's (call 3's run linked nothing).
    for d in dirs:
        for f in sorted(glob.glob(f"{d}/{name}.so.*"), key=len) + glob.glob(f"{d}/{name}.so"):
            print(f"# {name}: {os.path.realpath(f)}", file=sys.stderr)
            return ctypes.CDLL(f), d
    raise SystemExit(f"no {name}")
nv, nvdir = lib("libnvrtc", ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib"] + glob.glob("/usr/local/cuda-*/lib64"))
jl, _ = lib("libnvJitLink", [nvdir])  # beside NVRTC, as runtime/lib/NvJitLink.cpp looks
tpl = sys.argv[1]
def run(path):
    src = open(path).read().encode()
    t0 = time.time()
    prog = ctypes.c_void_p()
    nv.nvrtcCreateProgram(ctypes.byref(prog), src, b"x.cu", 0, None, None)
    opts = [b"--gpu-architecture=compute_90a", b"--std=c++17", b"-default-device", b"-DFLASHGEN_NO_HOST=1",
            b"-DFLASHGEN_FWD_DECODING=0", b"--no-cache", b"-I" + tpl.encode(), b"-dlto"]
    arr = (ctypes.c_char_p * len(opts))(*opts)
    if nv.nvrtcCompileProgram(prog, len(opts), arr) != 0:
        return None
    n = ctypes.c_size_t(); nv.nvrtcGetLTOIRSize(prog, ctypes.byref(n))
    ir = ctypes.create_string_buffer(n.value); nv.nvrtcGetLTOIR(prog, ir)
    t1 = time.time()
    lopts = [b"-arch=sm_90a", b"-lto", b"-optimize-unused-variables", b"-time"] + \
        [o.encode() for o in os.environ.get("COLDSPLIT_LINK_OPTS", "").split()]
    h = ctypes.c_void_p(); a = (ctypes.c_char_p * len(lopts))(*lopts)
    if jl.nvJitLinkCreate(ctypes.byref(h), len(lopts), a) != 0:
        raise SystemExit(f"nvJitLinkCreate refused {lopts}")
    rc = jl.nvJitLinkAddData(h, 3, ir.raw, len(ir.raw), b"x.ltoir") or jl.nvJitLinkComplete(h)
    if rc != 0:
        m = ctypes.c_size_t(); jl.nvJitLinkGetErrorLogSize(h, ctypes.byref(m))
        b = ctypes.create_string_buffer(m.value); jl.nvJitLinkGetErrorLog(h, b)
        print(f"# {path}: link failed ({rc}): {b.value.decode()[:300]}", file=sys.stderr)
        return None
    t2 = time.time()
    m = ctypes.c_size_t(); jl.nvJitLinkGetInfoLogSize(h, ctypes.byref(m))
    b = ctypes.create_string_buffer(m.value); jl.nvJitLinkGetInfoLog(h, b)
    log = b.value.decode()
    if os.environ.get("COLDSPLIT_DEBUG"):
        c = ctypes.c_size_t(); jl.nvJitLinkGetLinkedCubinSize(h, ctypes.byref(c))
        print(f"# {path}: cubin {c.value} bytes, LTO-IR {len(ir.raw)} bytes, info log: {log[:400]!r}", file=sys.stderr)
    # (-time's lines; absent from some nvJitLink builds: nan)
    ptx, fin = (float(m.group(1)) if m else float("nan") for m in
                (re.search(r"time to create PTX: ([0-9.]+)", log), re.search(r"time to finish: ([0-9.]+)", log)))
    return ((t1 - t0) * 1e3, ptx, fin, (t2 - t1) * 1e3)
paths = sys.argv[2:]
run(paths[0])
print("| source (forward) | NVRTC front end, ms | NVVM (LTO), ms | ptxas, ms | nvJitLink, ms | total, ms |")
print("|---|---|---|---|---|---|")
for p in paths:
    rs = [r for r in (run(p) for _ in range(int(os.environ.get("REPS", "3")))) if r]
    if not rs:
        print(f"| {os.path.basename(p)} | failed | | | | |"); continue
    r = min(rs, key=lambda r: r[0] + r[3])
    print(f"| {os.path.basename(p)[:-3]} | {r[0]:.0f} | {r[1]:.0f} | {r[2]:.0f} | {r[3]:.0f} | {r[0] + r[3]:.0f} |", flush=True)
