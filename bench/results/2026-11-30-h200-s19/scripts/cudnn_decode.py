"""SDPA cuDNN / flash decode calls for ncu: B, Nk from argv; GQA 32/8 d128 bf16, Nq = 1."""
import sys, torch, torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
b, nk, be = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
q = torch.randn(b, 32, 1, 128, device="cuda", dtype=torch.bfloat16)
k = torch.randn(b, 8, nk, 128, device="cuda", dtype=torch.bfloat16)
v = torch.randn(b, 8, nk, 128, device="cuda", dtype=torch.bfloat16)
backend = SDPBackend.CUDNN_ATTENTION if be == "cudnn" else SDPBackend.FLASH_ATTENTION
with torch.no_grad(), sdpa_kernel(backend):
    for _ in range(5):
        F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
torch.cuda.synchronize()
