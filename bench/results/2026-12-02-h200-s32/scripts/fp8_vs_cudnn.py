"""Session 32: flashgen's fp8 forward against cuDNN's, which torch 2.11
exposes only as aten._scaled_dot_product_cudnn_attention on float8_e4m3fn
inputs (no descale arguments: factors of 1; fp8 output). Same e4m3 inputs
(N(0, 1) rounded), error against float64 on their exact values: the
relative Frobenius error and the largest absolute one; the e4m3 rounding of
the float64 output alone as the floor of an fp8 output; and the times of
both fp8 kernels and of cuDNN's bf16 on the same values (ms, median)."""
import torch
from triton.testing import do_bench

import flashgen

torch.manual_seed(0)
cudnn = torch.ops.aten._scaled_dot_product_cudnn_attention


def err(o, ref):
    d = o.double() - ref
    return (d.norm() / ref.norm()).item(), d.abs().max().item()


def reference(q, k, v, causal):
    s = torch.einsum("bhqd,bhkd->bhqk", q, k) / q.shape[-1] ** 0.5
    if causal:
        n = s.shape[-1]
        s = s.masked_fill(torch.ones(n, n, dtype=torch.bool, device=s.device).triu(1),
                          float("-inf"))
    return torch.einsum("bhqk,bhkd->bhqd", torch.softmax(s, -1), v)


print("| B x H x N, d128 | causal | flashgen fp8: rel err, max err | cuDNN fp8: rel err, max err "
      "| e4m3(float64 O): rel err | flashgen fp8 ms | cuDNN fp8 ms | cuDNN bf16 ms |")
print("|---|---|---|---|---|---|---|---|")
for b, h, n in ((2, 16, 1024), (1, 16, 4096), (4, 16, 8192)):
    for causal in (False, True):
        q8, k8, v8 = (torch.randn(b, h, n, 128, device="cuda").to(torch.float8_e4m3fn)
                      for _ in range(3))
        ref = reference(q8.double(), k8.double(), v8.double(), causal)
        spec = flashgen.Spec(mask_mod=(lambda b_, h_, q, k: q >= k)) if causal else \
            flashgen.Spec()
        ours = flashgen.attention(q8, k8, v8, spec)
        theirs = cudnn(q8, k8, v8, None, False, 0.0, causal, False)[0]
        floor = err(ref.to(torch.float8_e4m3fn), ref)[0]
        bf = [t.double().to(torch.bfloat16) for t in (q8, k8, v8)]
        t_ours = do_bench(lambda: flashgen.attention(q8, k8, v8, spec), return_mode="median")
        t_cud8 = do_bench(lambda: cudnn(q8, k8, v8, None, False, 0.0, causal, False),
                          return_mode="median")
        t_cud16 = do_bench(lambda: cudnn(*bf, None, False, 0.0, causal, False),
                           return_mode="median")
        eo, mo = err(ours, ref)
        ec, mc = err(theirs, ref)
        print(f"| {b} x {h} x {n} | {causal} | {eo:.2e}, {mo:.2e} | {ec:.2e}, {mc:.2e} | "
              f"{floor:.2e} | {t_ours:.4f} | {t_cud8:.4f} | {t_cud16:.4f} |", flush=True)
