"""Decoding shapes (issue 17): flashgen's forward, with split-KV
(FLASHGEN_FWD_KV_SPLITS=auto) and without (=1), next to SDPA's flash and cuDNN backends, same
call. Time (median) and the KV bandwidth it reaches: B * Hkv * Nk * (dqk +
dv) * 2 bytes / time. flashgen runs `causal(bottom_right)` (every query row
sees all keys up to its own position from the end); SDPA runs without a
mask (its is_causal aligns top-left), which differs by at most Nq - 1 keys.
flashgen's main column has q, k, v and o in SDPA's layout (bhsd), where a kv
head's query rows can be packed into one tile for any Nq; the bshd column
(flash-attn's layout) packs them for Nq = 1 only. The paged columns keep q
and o in bhsd too (K/V in a pool of pages), as flash_attn_with_kvcache lays
them out for several query rows. Both are timed as triton's
do_bench times SDPA: the L2 evicted before each launch by a write queued
ahead of the start event (`flashgen run --cold-l2`), so neither side is
timed from a warm L2 or with the host's launch time (--warm-l2: flashgen
back to back, as before session 21).
--flex adds FlexAttention (torch.compile'd flex_attention, its decoding
kernel at these query lengths; no mask, as SDPA; one compile for every
shape, dynamic=True, or one per shape with --flex-static) and --lean leaves
out the bshd and no-split columns.
Usage (repository root, after scripts/device-prep.sh, .carry carried):
    python3 bench/decode_bench.py [--flashgen .carry/flashgen] [--quick] [--paged 16,256]
Prints a markdown table; a backend that refuses a shape says so."""
import argparse
import os
import re
import subprocess
import tempfile

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from triton.testing import do_bench

from gpu_warmup import warm_up


def spec_text(h, hkv, d, dtype="bf16"):
    return (f"attention decode_{h}_{hkv}_{d} {{\n  dtype = {dtype};\n  head_dim = {d};\n"
            f"  heads = {h};\n  kv_heads = {hkv};\n  mask = causal(bottom_right);\n}}\n")


COLD_L2 = True


def flashgen_ms(binary, text, b, h, nq, nk, splits="auto", page_size=0, layout="bshd",
                pack_rows=True):
    with tempfile.NamedTemporaryFile("w", suffix=".attn", delete=False) as f:
        f.write(text)
    env = dict(os.environ)
    env["FLASHGEN_FWD_KV_SPLITS"] = str(splits)
    flags = ["--page-size", str(page_size)] if page_size else []
    flags += ["--layout", layout]
    if not pack_rows:  # GQA packing of several query rows (q and o in BHSD) off
        flags.append("--pack-gqa-rows=false")
    if COLD_L2:
        flags.append("--cold-l2")
    out = subprocess.run([binary, "run", f.name, "--no-check", "--reps", "30",
                          "--shape", f"{b},{h},{nq},{nk}"] + flags, capture_output=True,
                         text=True, timeout=300, env=env).stdout
    t = re.search(r"time=([0-9.]+) ms", out)
    s = re.search(r"kv_splits=([0-9]+)", out)
    if not t:
        return None, (out.strip().splitlines() or ["no output"])[-1][:80]
    return float(t.group(1)), int(s.group(1)) if s else 1


def sdpa_ms(backend, b, h, hkv, nq, nk, d):
    q = torch.randn(b, h, nq, d, device="cuda", dtype=torch.bfloat16)
    k = torch.randn(b, hkv, nk, d, device="cuda", dtype=torch.bfloat16)
    v = torch.randn(b, hkv, nk, d, device="cuda", dtype=torch.bfloat16)

    def run():
        with sdpa_kernel(backend):
            return F.scaled_dot_product_attention(q, k, v, enable_gqa=h != hkv)
    try:
        with torch.no_grad():
            return do_bench(run, warmup=25, rep=100, return_mode="median"), None
    except RuntimeError as e:  # the backend refuses the shape
        return None, str(e).splitlines()[0][:80]


_flex = None
FLEX_DYNAMIC = True


def flex_ms(b, h, hkv, nq, nk, d):
    """FlexAttention's time on BHSD bf16 inputs (no mask: every key, as
    SDPA's), compiled once with dynamic shapes (the first call compiles), or
    per shape (FLEX_DYNAMIC false: --flex-static)."""
    global _flex
    from torch.nn.attention.flex_attention import flex_attention
    if _flex is None:
        if not FLEX_DYNAMIC:  # a compile per shape: past the default limit of 8
            torch._dynamo.config.cache_size_limit = 1024
            torch._dynamo.config.accumulated_cache_size_limit = 4096
        _flex = torch.compile(flex_attention, dynamic=FLEX_DYNAMIC)
    q = torch.randn(b, h, nq, d, device="cuda", dtype=torch.bfloat16)
    k = torch.randn(b, hkv, nk, d, device="cuda", dtype=torch.bfloat16)
    v = torch.randn(b, hkv, nk, d, device="cuda", dtype=torch.bfloat16)
    try:
        with torch.no_grad():
            return do_bench(lambda: _flex(q, k, v, enable_gqa=h != hkv), warmup=25, rep=100,
                            return_mode="median"), None
    except Exception as e:  # (compile errors are not RuntimeErrors)
        return None, f"{type(e).__name__}: {str(e).splitlines()[0][:60]}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flashgen", default=".carry/flashgen")
    ap.add_argument("--quick", action="store_true", help="Nq = 1, B in 1, 8, Nk in 4k, 32k")
    ap.add_argument("--paged", default="",
                    help="page sizes, e.g. 16,256: flashgen with K/V in a paged pool too")
    ap.add_argument("--pack-rows", action="store_true",
                    help="a column without GQA packing of several query rows (BHSD, Nq > 1): "
                         "what the packing gains")
    ap.add_argument("--warm-l2", action="store_true",
                    help="flashgen timed back to back from a warm L2 (host time included)")
    ap.add_argument("--groups", default="",
                    help="query/kv heads, e.g. 32/8 (default: 32/8 with --quick, else 32/8,64/8)")
    ap.add_argument("--fp8", action="store_true",
                    help="columns of flashgen with an fp8 (e4m3) cache too (bhsd; KV TB/s at "
                         "one byte per element) and its speed over the best bf16 backend")
    ap.add_argument("--nq", default="",
                    help="query rows, e.g. 4,16 (default: 1 with --quick, else 1,4,16)")
    ap.add_argument("--nk", default="",
                    help="keys, e.g. 4096,32768 (default: 4k, 32k, and 128k without --quick)")
    ap.add_argument("--batches", default="",
                    help="batch sizes, e.g. 1,8 (default: 1, 8, and 64 without --quick)")
    ap.add_argument("--flex", action="store_true",
                    help="a column of FlexAttention (torch.compile'd, dynamic shapes)")
    ap.add_argument("--flex-static", action="store_true",
                    help="the Flex column compiled per shape (dynamic=False) instead of once")
    ap.add_argument("--lean", action="store_true",
                    help="without the bshd and no-split columns of flashgen")
    args = ap.parse_args()
    global COLD_L2, FLEX_DYNAMIC
    COLD_L2 = not args.warm_l2
    FLEX_DYNAMIC = not args.flex_static
    args.flex |= args.flex_static
    pages = [int(p) for p in args.paged.split(",") if p]
    groups = [(32, 8, 128)] if args.quick else [(32, 8, 128), (64, 8, 128)]
    if args.groups:
        groups = [(int(g.split("/")[0]), int(g.split("/")[1]), 128) for g in args.groups.split(",")]
    def ints(text, quick, full):
        """A comma list's integers, else the grid's (--quick's or the full one)."""
        return tuple(int(x) for x in text.split(",")) if text else quick if args.quick else full
    nqs = ints(args.nq, (1,), (1, 4, 16))
    nks = ints(args.nk, (4096, 32768), (4096, 32768, 131072))
    batches = ints(args.batches, (1, 8), (1, 8, 64))
    warm_up()
    print(f"# torch {torch.__version__} on {torch.cuda.get_device_name()}; ms (KV TB/s)")
    paged_head = "".join(f" flashgen paged {p} |" for p in pages)
    rows_head = " flashgen bhsd, rows not packed |" if args.pack_rows else ""
    fp8_head = (" flashgen fp8 (bhsd) | fp8 splits | fp8/best bf16 |" +
                "".join(f" fp8 paged {p} |" for p in pages)) if args.fp8 else ""
    bshd_head = "" if args.lean else " flashgen (bshd) | flashgen bshd, no split |"
    flex_head = " Flex | flashgen/Flex |" if args.flex else ""
    head = ("| H/Hkv | B | Nq | Nk | flashgen (bhsd) | splits |" + bshd_head + paged_head +
            rows_head + fp8_head + " FA2 (SDPA flash) | cuDNN |" + flex_head +
            " flashgen/best |")
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    for h, hkv, d in groups:
        text, text8 = spec_text(h, hkv, d), spec_text(h, hkv, d, "fp8_e4m3")
        for b in batches:
            for nk in nks:
                for nq in nqs:
                    kv_bytes = b * hkv * nk * 2 * d * 2

                    def cell(ms, note=None, elem_bytes=2):
                        if ms is None:
                            return f"- ({note})"
                        return f"{ms:.4f} ({kv_bytes * elem_bytes / 2 / ms / 1e9:.2f})"
                    fg, splits = flashgen_ms(args.flashgen, text, b, h, nq, nk, layout="bhsd")
                    bshd = ""
                    if not args.lean:
                        fgs, fgsn = flashgen_ms(args.flashgen, text, b, h, nq, nk)
                        fg1, fg1n = flashgen_ms(args.flashgen, text, b, h, nq, nk, splits=1)
                        bshd = f" {cell(fgs, fgsn)} | {cell(fg1, fg1n)} |"
                    paged = "".join(
                        f" {cell(*flashgen_ms(args.flashgen, text, b, h, nq, nk, page_size=p, layout='bhsd'))} |"
                        for p in pages)
                    rows = ""
                    if args.pack_rows:
                        unpacked = flashgen_ms(args.flashgen, text, b, h, nq, nk, layout="bhsd",
                                               pack_rows=False)
                        rows = f" {cell(*unpacked)} |" if nq > 1 else " - |"
                    fa, fan = sdpa_ms(SDPBackend.FLASH_ATTENTION, b, h, hkv, nq, nk, d)
                    cu, cun = sdpa_ms(SDPBackend.CUDNN_ATTENTION, b, h, hkv, nq, nk, d)
                    best = min([x for x in (fa, cu) if x is not None], default=None)
                    ratio = f"{best / fg:.2f}" if fg and best else "-"
                    if args.fp8:
                        f8, f8s = flashgen_ms(args.flashgen, text8, b, h, nq, nk, layout="bhsd")
                        rows += (f" {cell(f8, f8s, 1)} | {f8s if f8 else '-'} | "
                                 f"{f'{best / f8:.2f}' if f8 and best else '-'} |")
                        for p in pages:
                            f8p = flashgen_ms(args.flashgen, text8, b, h, nq, nk, page_size=p,
                                              layout="bhsd")
                            rows += f" {cell(*f8p, 1)} |"
                    flex = ""
                    if args.flex:
                        fx, fxn = flex_ms(b, h, hkv, nq, nk, d)
                        flex = (f" {cell(fx, fxn)} | "
                                f"{f'{fx / fg:.2f}' if fx and fg else '-'} |")
                    print(f"| {h}/{hkv} | {b} | {nq} | {nk} | {cell(fg, splits)} | "
                          f"{splits if fg else '-'} |{bshd}{paged}{rows} {cell(fa, fan)} | "
                          f"{cell(cu, cun)} |{flex} {ratio} |", flush=True)


if __name__ == "__main__":
    main()
