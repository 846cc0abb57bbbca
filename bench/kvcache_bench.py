"""flashgen.flash_attn_with_kvcache (flash-attn's signature and layout,
per-entry cache lengths) next to SDPA's cuDNN and flash backends on the
filled part of the cache (issue 17). GQA 32/8, d128, bf16, bottom-right
causal; every entry filled to `len`. All timed with triton's do_bench
(median, L2 evicted before each call). SDPA gets q and the filled K/V in
its own layout, copied before timing; flashgen reads the caches in place.
Usage (on the GPU machine, the Python package installed):
    python3 bench/kvcache_bench.py [--nq 1,4,16] [--quick]
Prints a markdown table: ms, the KV bandwidth (B * 8 * len * 256 * 2 bytes
/ time) and the best of cuDNN/FA2 over flashgen."""
import argparse

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from triton.testing import do_bench

from gpu_warmup import warm_up

from flashgen.kvcache import flash_attn_with_kvcache


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nq", default="1,4,16", help="query rows per call")
    ap.add_argument("--quick", action="store_true", help="B 1, 8 x len 4k, 32k")
    args = ap.parse_args()
    shapes = [(1, 4096), (1, 32768), (8, 4096), (8, 32768)]
    if not args.quick:
        shapes += [(1, 131072), (8, 131072), (64, 4096), (64, 32768)]
    warm_up()
    print(f"# torch {torch.__version__} on {torch.cuda.get_device_name()}; GQA 32/8 d128 bf16")
    print("| B | Nq | len | flashgen kvcache ms (KV TB/s) | cuDNN ms | FA2 ms | best / flashgen |")
    print("|---|---|---|---|---|---|---|")
    for b, ln in shapes:
        kc = torch.randn(b, ln, 8, 128, device="cuda", dtype=torch.bfloat16)
        vc = torch.randn(b, ln, 8, 128, device="cuda", dtype=torch.bfloat16)
        ks, vs = kc.transpose(1, 2).contiguous(), vc.transpose(1, 2).contiguous()
        lens = torch.full((b,), ln, dtype=torch.int32, device="cuda")
        for nq in (int(x) for x in args.nq.split(",")):
            q = torch.randn(b, nq, 32, 128, device="cuda", dtype=torch.bfloat16)
            qs = q.transpose(1, 2).contiguous()
            with torch.no_grad():
                fg = do_bench(lambda: flash_attn_with_kvcache(q, kc, vc, cache_seqlens=lens,
                                                              causal=True),
                              warmup=25, rep=100, return_mode="median")
                res = {}
                for name, be in (("cudnn", SDPBackend.CUDNN_ATTENTION),
                                 ("fa2", SDPBackend.FLASH_ATTENTION)):
                    def run():
                        with sdpa_kernel(be):
                            return F.scaled_dot_product_attention(qs, ks, vs, enable_gqa=True)
                    try:
                        res[name] = do_bench(run, warmup=25, rep=100, return_mode="median")
                    except RuntimeError:
                        res[name] = None
            best = min([x for x in res.values() if x], default=None)
            kvb = b * 8 * ln * 256 * 2
            fmt = lambda x: f"{x:.4f}" if x else "-"
            print(f"| {b} | {nq} | {ln} | {fg:.4f} ({kvb / fg / 1e9:.2f}) | {fmt(res['cudnn'])} | "
                  f"{fmt(res['fa2'])} | {(best / fg) if best else 0:.2f} |", flush=True)
        del kc, vc, ks, vs


if __name__ == "__main__":
    main()
