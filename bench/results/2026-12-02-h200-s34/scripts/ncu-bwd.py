"""One flashgen backward of a mask_bench mask (d128, 16k, 16 heads), for ncu.

    ncu --kernel-name regex:bwd_fused --launch-skip 1 --launch-count 1 python3 ncu-bwd.py MASK
"""
import sys

import torch

sys.path.insert(0, "bench")
import mask_bench  # noqa: E402
import flashgen  # noqa: E402

name = sys.argv[1]
n, d, b, h = 16384, 128, 1, 16
q, k, v = (torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16, requires_grad=True)
           for _ in range(3))
do = torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16)
body, tensors, _ = mask_bench.masks(n, b, "cuda")[name]
if "block_mask" in tensors:
    tensors = {"block_mask": tensors["block_mask"].expand(b, h, -1, -1)}
spec = f"attention m_{name} {{ dtype = bf16; head_dim = {d}; {body} }}"
for _ in range(2):
    flashgen.attention(q, k, v, spec, tensors=tensors).backward(do)
torch.cuda.synchronize()
