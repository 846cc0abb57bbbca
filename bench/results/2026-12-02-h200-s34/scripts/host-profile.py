"""Host time of flashgen.attention on a small masked call (blocks 5%, 2k,
d128: its kernels take ~0.1 ms), under cProfile: where the Python side's
time per call goes, forward under no_grad and the backward alone."""
import cProfile
import pstats
import sys
import time

import torch

sys.path.insert(0, "bench")
import mask_bench  # noqa: E402
import flashgen  # noqa: E402

name, n, d = (sys.argv[1] if len(sys.argv) > 1 else "blocks05"), 2048, 128
b, h = 16384 // n, 16
q, k, v = (torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16, requires_grad=True)
           for _ in range(3))
do = torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16)
body, tensors, _ = mask_bench.masks(n, b, "cuda")[name]
if "block_mask" in tensors:
    tensors = {"block_mask": tensors["block_mask"].expand(b, h, -1, -1)}
spec = f"attention m_{name} {{ dtype = bf16; head_dim = {d}; {body} }}"
out = flashgen.attention(q, k, v, spec, tensors=tensors)
out.backward(do, retain_graph=True)
torch.cuda.synchronize()


def fwd():
    with torch.no_grad():
        flashgen.attention(q, k, v, spec, tensors=tensors)


def bwd():
    out.backward(do, retain_graph=True)


for label, fn, calls in (("forward (no_grad)", fwd, 300), ("backward", bwd, 100)):
    for _ in range(5):
        fn()
    torch.cuda.synchronize()
    # Host time alone: calls issued while the GPU is idle-bound are the
    # host's; the GPU-side time comes from the profile table (call 4).
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    host = (time.perf_counter() - t0) * 1e6 / calls
    torch.cuda.synchronize()
    print(f"== {label}: {host:.1f} us per call issued (host, GPU may lag)")
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        fn()
    prof.disable()
    torch.cuda.synchronize()
    st = pstats.Stats(prof)
    st.sort_stats("tottime").print_stats(18)
