"""Session 18: flash_attn_with_kvcache (per-entry key lengths) timed next to
SDPA's cuDNN/flash on the filled part; GQA 32/8 d128 bf16, Nq = 1, causal."""
import torch, torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from triton.testing import do_bench
from flashgen.kvcache import flash_attn_with_kvcache

print("| B | cap | len | flashgen kvcache ms | cuDNN ms (on len) | FA2 ms | KV TB/s | best/flashgen |")
print("|---|---|---|---|---|---|---|---|")
for b, cap, ln in [(1, 4096, 4096), (8, 4096, 4096), (1, 32768, 32768), (8, 32768, 32768),
                   (8, 32768, 8192), (1, 131072, 131072), (64, 4096, 4096)]:
    q = torch.randn(b, 1, 32, 128, device="cuda", dtype=torch.bfloat16)
    kc = torch.randn(b, cap, 8, 128, device="cuda", dtype=torch.bfloat16)
    vc = torch.randn(b, cap, 8, 128, device="cuda", dtype=torch.bfloat16)
    lens = torch.full((b,), ln, dtype=torch.int32, device="cuda")
    with torch.no_grad():
        fg = do_bench(lambda: flash_attn_with_kvcache(q, kc, vc, cache_seqlens=lens, causal=True),
                      warmup=25, rep=100, return_mode="median")
        qs, ks, vs = q.transpose(1, 2), kc[:, :ln].transpose(1, 2), vc[:, :ln].transpose(1, 2)
        ks, vs = ks.contiguous(), vs.contiguous()
        res = {}
        for name, be in (("cudnn", SDPBackend.CUDNN_ATTENTION), ("fa2", SDPBackend.FLASH_ATTENTION)):
            def run():
                with sdpa_kernel(be):
                    return F.scaled_dot_product_attention(qs, ks, vs, enable_gqa=True)
            try:
                res[name] = do_bench(run, warmup=25, rep=100, return_mode="median")
            except RuntimeError:
                res[name] = None
    best = min([x for x in res.values() if x], default=None)
    kvb = b * 8 * ln * 256 * 2
    print(f"| {b} | {cap} | {ln} | {fg:.4f} | {res['cudnn']} | {res['fa2']} | "
          f"{kvb / fg / 1e9:.2f} | {(best / fg) if best else 0:.2f} |", flush=True)
