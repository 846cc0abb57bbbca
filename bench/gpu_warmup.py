"""A second of GPU work before a table is timed. The first row of a table
in a fresh process has read 2-3x slow for SDPA (decode_bench, kvcache_bench:
cuDNN 0.0556-0.0606 ms at batch 1 x 4k where other runs read 0.0169,
bench/results/2026-12-01-h200-s21.md); an idle H200 sits at 345 MHz, and
the process's first kernels pay lazy initialization. Imported by the
benches here."""
import time

import torch


def warm_up(seconds: float = 1.0) -> None:
    """bf16 matmuls on the current device for `seconds`."""
    a = torch.randn(4096, 4096, device="cuda", dtype=torch.bfloat16)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(8):
            a = torch.nn.functional.normalize(a @ a, dim=-1)
        torch.cuda.synchronize()
