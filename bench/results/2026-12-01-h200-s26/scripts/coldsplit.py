# Session 26: the forward sources in /tmp/ex/X.cu came from `build/bin/flashgen compile examples/X.attn --arch sm_90a -o /tmp/ex/X.cu`;
# prints a markdown table of NVRTC front end / NVVM (LTO) / ptxas times per example.
import ctypes, sys, time, re, glob, os
nv = ctypes.CDLL("/usr/local/cuda-13.0/lib64/libnvrtc.so")
jl = ctypes.CDLL("/usr/local/cuda/lib64/libnvJitLink.so")
rows = []
for path in sorted(glob.glob("/tmp/ex/*.cu")):
    if path.endswith(".bwd.cu") or "fp8" in path: continue
    src = open(path).read().encode()
    t0 = time.time()
    prog = ctypes.c_void_p()
    nv.nvrtcCreateProgram(ctypes.byref(prog), src, b"x.cu", 0, None, None)
    opts = [b"--gpu-architecture=compute_90a", b"--std=c++17", b"-default-device", b"-DFLASHGEN_NO_HOST=1", b"--no-cache", b"-I/work/main/templates", b"-dlto"]
    arr = (ctypes.c_char_p * len(opts))(*opts)
    assert nv.nvrtcCompileProgram(prog, len(opts), arr) == 0
    n = ctypes.c_size_t(); nv.nvrtcGetLTOIRSize(prog, ctypes.byref(n)); ir = ctypes.create_string_buffer(n.value); nv.nvrtcGetLTOIR(prog, ir)
    t1 = time.time()
    lopts = ["-arch=sm_90a", "-lto", "-optimize-unused-variables", "-time"]
    h = ctypes.c_void_p(); a = (ctypes.c_char_p * len(lopts))(*[o.encode() for o in lopts])
    jl.nvJitLinkCreate(ctypes.byref(h), len(lopts), a)
    jl.nvJitLinkAddData(h, 3, ir.raw, len(ir.raw), b"x.ltoir")
    jl.nvJitLinkComplete(h)
    t2 = time.time()
    m = ctypes.c_size_t(); jl.nvJitLinkGetInfoLogSize(h, ctypes.byref(m)); b = ctypes.create_string_buffer(m.value); jl.nvJitLinkGetInfoLog(h, b)
    log = b.value.decode()
    ptx = float(re.search(r"time to create PTX: ([0-9.]+)", log).group(1))
    fin = float(re.search(r"time to finish: ([0-9.]+)", log).group(1))
    rows.append((os.path.basename(path)[:-3], (t1 - t0) * 1e3, ptx, fin, (t2 - t1) * 1e3))
print("| example (forward) | NVRTC front end, ms | NVVM (LTO), ms | ptxas, ms | nvJitLink total, ms |")
print("|---|---|---|---|---|")
for r in rows:
    print(f"| {r[0]} | {r[1]:.0f} | {r[2]:.0f} | {r[3]:.0f} | {r[4]:.0f} |")
