"""Session 18: where a decoding call's time goes. For GQA 32/8 d128 bf16
Nq = 1: flashgen's flash_attn_with_kvcache (tensor and int lengths) and
api.attention, SDPA cuDNN/flash: do_bench (back to back), the same call
replayed from a CUDA graph (GPU time alone), and host microseconds per call
(perf_counter over 200 calls, no sync inside). Then cProfile of the kvcache
call."""
import cProfile, pstats, io, time
import torch, torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from triton.testing import do_bench
import flashgen
from flashgen.kvcache import flash_attn_with_kvcache

SPEC = ("attention dec { dtype = bf16; head_dim = 128; heads = 32; kv_heads = 8; "
        "mask = causal(bottom_right); }")


def graph_ms(fn):
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        fn(); fn()
    torch.cuda.current_stream().wait_stream(s)
    torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        fn()
    return do_bench(g.replay, warmup=25, rep=200, return_mode="median")


def host_us(fn, n=200):
    fn(); torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(n):
        fn()
    h = (time.perf_counter() - t) / n * 1e6
    torch.cuda.synchronize()
    return h


print("| B | Nk | call | do_bench ms | graph replay ms | host us/call |")
print("|---|---|---|---|---|---|")
for b, nk in [(1, 4096), (8, 4096), (1, 32768), (8, 32768)]:
    q = torch.randn(b, 1, 32, 128, device="cuda", dtype=torch.bfloat16)
    kc = torch.randn(b, nk, 8, 128, device="cuda", dtype=torch.bfloat16)
    vc = torch.randn(b, nk, 8, 128, device="cuda", dtype=torch.bfloat16)
    lens = torch.full((b,), nk, dtype=torch.int32, device="cuda")
    qt, kt, vt = q.transpose(1, 2), kc.transpose(1, 2).contiguous(), vc.transpose(1, 2).contiguous()
    calls = {
        "kvcache (tensor lens)": lambda: flash_attn_with_kvcache(q, kc, vc, cache_seqlens=lens, causal=True),
        "kvcache (int lens)": lambda: flash_attn_with_kvcache(q, kc, vc, cache_seqlens=nk, causal=True),
        "api.attention bshd": lambda: flashgen.attention(q, kc, vc, SPEC, layout="bshd"),
    }
    for name, be in (("SDPA cuDNN", SDPBackend.CUDNN_ATTENTION), ("SDPA flash", SDPBackend.FLASH_ATTENTION)):
        def run(be=be):
            with sdpa_kernel(be):
                return F.scaled_dot_product_attention(qt, kt, vt, enable_gqa=True)
        calls[name] = run
    with torch.no_grad():
        for name, fn in calls.items():
            try:
                db = do_bench(fn, warmup=25, rep=100, return_mode="median")
                gr = graph_ms(fn)
                hu = host_us(fn)
                print(f"| {b} | {nk} | {name} | {db:.4f} | {gr:.4f} | {hu:.1f} |", flush=True)
            except Exception as e:
                print(f"| {b} | {nk} | {name} | error: {str(e).splitlines()[0][:100]} | | |", flush=True)
    if b == 1 and nk == 4096:
        with torch.no_grad():
            pr = cProfile.Profile()
            pr.enable()
            for _ in range(200):
                calls["kvcache (tensor lens)"]()
            pr.disable()
            torch.cuda.synchronize()
            out = io.StringIO()
            pstats.Stats(pr, stream=out).sort_stats("tottime").print_stats(25)
            prof = out.getvalue()
print()
print("```")
print(prof)
print("```")
