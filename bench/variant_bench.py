"""GQA (32 query heads over 8 kv heads) and MLA-style head dims (qk 192, v 128)
on the GPU machine: flashgen (`flashgen run --no-check`, median of 20) next
to SDPA's flash and cuDNN backends (triton's do_bench, median), same call.
FLOPs as FlashAttention counts them, for unequal dims 2*B*H*N^2*(dqk + dv)
forward (halved for causal masks), the backward 2.5x that.
Usage (repository root, after scripts/device-prep.sh, .carry carried):
    python3 bench/variant_bench.py [--flashgen .carry/flashgen] [--quick]
Prints a markdown table; a backend that refuses a shape says so."""
import argparse
import re
import subprocess
import tempfile

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from triton.testing import do_bench

CASES = [
    # name, query heads, kv heads, dqk, dv, causal
    ("mqa 16/1 d128 causal", 16, 1, 128, 128, True),
    ("gqa 32/8 d128", 32, 8, 128, 128, False),
    ("gqa 32/8 d128 causal", 32, 8, 128, 128, True),
    ("mla 192/128 causal", 16, 16, 192, 128, True),
    ("mla 192/128", 16, 16, 192, 128, False),
]


def spec_text(name, h, hkv, dqk, dv, causal):
    ident = re.sub(r"[^a-z0-9]+", "_", name).strip("_")
    return (f"attention {ident} {{\n  dtype = bf16;\n  qk_head_dim = {dqk};\n"
            f"  v_head_dim = {dv};\n  heads = {h};\n  kv_heads = {hkv};\n"
            + ("  mask = causal;\n" if causal else "")
            + "  passes = forward, backward;\n}\n")


def flashgen_ms(binary, text, b, h, n):
    with tempfile.NamedTemporaryFile("w", suffix=".attn", delete=False) as f:
        f.write(text)
    out = subprocess.run([binary, "run", f.name, "--backward", "--no-check", "--reps", "20",
                          "--shape", f"{b},{h},{n}"], capture_output=True, text=True,
                         timeout=300).stdout
    fwd = re.search(r"time=([0-9.]+) ms", out)
    bwd = re.search(r"bwd=([0-9.]+) ms", out)
    if not fwd or not bwd:
        return None, None, out.strip().splitlines()[-1:] or ["no output"]
    return float(fwd.group(1)), float(bwd.group(1)), None


def sdpa_ms(backend, b, h, hkv, n, dqk, dv, causal):
    q = torch.randn(b, h, n, dqk, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    k = torch.randn(b, hkv, n, dqk, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    v = torch.randn(b, hkv, n, dv, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    do = torch.randn(b, h, n, dv, device="cuda", dtype=torch.bfloat16)

    def run():
        with sdpa_kernel(backend):
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal,
                                                  enable_gqa=h != hkv)
    try:
        with torch.no_grad():
            fwd = do_bench(run, warmup=25, rep=100, return_mode="median")
        out = run()
        bwd = do_bench(lambda: out.backward(do, retain_graph=True), warmup=25, rep=100,
                       return_mode="median")
        return fwd, bwd, None
    except RuntimeError as e:  # the backend refuses the shape
        return None, None, str(e).splitlines()[0][:80]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flashgen", default=".carry/flashgen")
    ap.add_argument("--quick", action="store_true", help="N = 4096 only")
    ap.add_argument("--short", action="store_true",
                    help="GQA/MQA at short sequences, batch 1 and 4: N = 512, 1000, 2048")
    args = ap.parse_args()
    if args.short:
        grid = [(b, n) for n in (512, 1000, 2048) for b in (1, 4)]
        cases = [c for c in CASES if c[1] != c[2]]
    else:
        grid = [(16384 // n, n) for n in ((4096,) if args.quick else (2048, 8192))]
        cases = CASES
    print(f"# torch {torch.__version__} on {torch.cuda.get_device_name()}; "
          + ("B in 1, 4" if args.short else "B*N = 16k"))
    print("| case | B | N | pass | flashgen | FA2 (SDPA flash) | cuDNN | flashgen/cuDNN | flashgen/FA2 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, h, hkv, dqk, dv, causal in cases:
        for b, n in grid:
            flops = 2 * b * h * n * n * (dqk + dv) / (2 if causal else 1)
            fg = flashgen_ms(args.flashgen, spec_text(name, h, hkv, dqk, dv, causal), b, h, n)
            fa = sdpa_ms(SDPBackend.FLASH_ATTENTION, b, h, hkv, n, dqk, dv, causal)
            cu = sdpa_ms(SDPBackend.CUDNN_ATTENTION, b, h, hkv, n, dqk, dv, causal)
            for i, pass_ in ((0, "fwd"), (1, "bwd")):
                scale = 1.0 if i == 0 else 2.5

                def tf(r):
                    return None if r[i] is None else scale * flops / r[i] / 1e9

                cells = [tf(fg), tf(fa), tf(cu)]
                text = [f"{c:.0f}" if c is not None else f"- ({r[2]})"
                        for c, r in zip(cells, (fg, fa, cu))]
                ratio = [f"{cells[0] / c:.2f}" if cells[0] and c else "-" for c in (cells[2], cells[1])]
                print(f"| {name} | {b} | {n} | {pass_} | {' | '.join(text)} | {' | '.join(ratio)} |",
                      flush=True)


if __name__ == "__main__":
    main()
