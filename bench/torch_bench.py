"""PyTorch side of the forward benchmark, same grid and FLOP count as
FwdBench.cpp: SDPA with the FLASH_ATTENTION and CUDNN_ATTENTION backends and
FlexAttention (torch.compile'd). Timed with triton.testing.do_bench, median.
Prints TSV lines: fwd|bwd <backend> <d> <causal> <N> <B> <H> <ms> <TFLOP/s>
(backward FLOPs = 2.5x forward, as FlashAttention counts them).
Options: --quick (N = 2k, 8k), --head-dim D (64, 128 by default; or 256,
heads = 2048 / D as the grid has it), --no-backward, --no-flex."""
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.nn.attention.flex_attention import create_block_mask, flex_attention
from triton.testing import do_bench

quick = "--quick" in sys.argv
# --head-dim D: one column of the grid, as flashgen-bench's.
head_dims = (64, 128)
if "--head-dim" in sys.argv:
    head_dims = (int(sys.argv[sys.argv.index("--head-dim") + 1]),)
    if head_dims[0] not in (64, 128, 256):
        sys.exit(f"error: --head-dim {head_dims[0]}: the grid has head dims 64, 128 and 256")
# One compiled graph per shape: raise dynamo's recompile limit, or it falls
# back to the unfused (eager) flex_attention after 8 shapes.
torch._dynamo.config.cache_size_limit = 1024
torch._dynamo.config.accumulated_cache_size_limit = 4096
flex = torch.compile(flex_attention, dynamic=False)


def causal_mask(b, h, q, k):
    return k <= q


def main():
    print(f"# torch {torch.__version__} on {torch.cuda.get_device_name()}")
    for d in head_dims:
        for causal in (False, True):
            for n in (512, 1024, 2048, 4096, 8192, 16384):
                if quick and n not in (2048, 8192):
                    continue
                b, h = 16384 // n, 2048 // d
                q, k, v = (torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16,
                                       requires_grad=True) for _ in range(3))
                do = torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16)
                flops = 4 * b * h * n * n * d / (2 if causal else 1)

                def bench(name, run):
                    # Forward alone, then the backward of one forward (grads
                    # accumulate; that costs an add per element, as in training).
                    with torch.no_grad():
                        ms = do_bench(run, warmup=25, rep=100, return_mode="median")
                    print(f"fwd\t{name}\t{d}\t{int(causal)}\t{n}\t{b}\t{h}\t{ms:.4f}\t{flops / ms / 1e9:.1f}")
                    if "--no-backward" in sys.argv:
                        return
                    out = run()
                    ms = do_bench(lambda: out.backward(do, retain_graph=True), warmup=25,
                                  rep=100, return_mode="median")
                    print(f"bwd\t{name}\t{d}\t{int(causal)}\t{n}\t{b}\t{h}\t{ms:.4f}\t{2.5 * flops / ms / 1e9:.1f}")

                for name, backend in (("flash", SDPBackend.FLASH_ATTENTION),
                                      ("cudnn", SDPBackend.CUDNN_ATTENTION)):
                    try:
                        with sdpa_kernel([backend]):
                            bench(name, lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal))
                    except Exception as e:  # a backend may refuse a shape
                        print(f"# {name} d={d} causal={causal} N={n}: {type(e).__name__}: {e}")
                try:
                    if "--no-flex" not in sys.argv:
                        bm = create_block_mask(causal_mask, None, None, n, n) if causal else None
                        bench("flex", lambda: flex(q, k, v, block_mask=bm))
                except Exception as e:
                    print(f"# flex d={d} causal={causal} N={n}: {type(e).__name__}: {str(e)[:200]}")
                del q, k, v, do
                torch.cuda.empty_cache()
                sys.stdout.flush()


if __name__ == "__main__":
    main()
