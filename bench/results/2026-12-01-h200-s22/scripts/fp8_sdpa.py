"""cuDNN / FA2 bf16 SDPA times (ms, median of 30, L2 flushed) at B,H,N,D shapes from argv: B,H,N[,causal] ..."""
import sys, torch, torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
flush = torch.empty(256 << 20, dtype=torch.uint8, device="cuda")
for arg in sys.argv[1:]:
    b, h, n, c = (list(map(int, arg.split(","))) + [0])[:4]
    q, k, v = (torch.randn(b, h, n, 128, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    out = []
    for be in (SDPBackend.CUDNN_ATTENTION, SDPBackend.FLASH_ATTENTION):
        with torch.no_grad(), sdpa_kernel(be):
            for _ in range(3):
                F.scaled_dot_product_attention(q, k, v, is_causal=bool(c))
            ts = []
            for _ in range(30):
                flush.zero_()
                s, e = torch.cuda.Event(True), torch.cuda.Event(True)
                s.record(); F.scaled_dot_product_attention(q, k, v, is_causal=bool(c)); e.record()
                torch.cuda.synchronize(); ts.append(s.elapsed_time(e))
            out.append(sorted(ts)[15])
    print(f"sdpa {arg} cudnn={out[0]:.4f} ms fa2={out[1]:.4f} ms")
