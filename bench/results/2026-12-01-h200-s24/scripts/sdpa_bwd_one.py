"""SDPA forward+backward for ncu: backend B H N D causal(0/1) from argv; bf16, 3 steps."""
import sys, torch, torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
be, b, h, n, d, causal = sys.argv[1], *map(int, sys.argv[2:7])
q, k, v = (torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16, requires_grad=True)
           for _ in range(3))
backend = SDPBackend.CUDNN_ATTENTION if be == "cudnn" else SDPBackend.FLASH_ATTENTION
with sdpa_kernel(backend):
    for _ in range(3):
        o = F.scaled_dot_product_attention(q, k, v, is_causal=bool(causal))
        o.backward(torch.ones_like(o))
torch.cuda.synchronize()
