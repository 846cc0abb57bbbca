"""flashgen vs FlexAttention on custom masks (issue 15's table), one device run.

    python3 bench/mask_bench.py [--dims 128] [--seqlens 2048,8192,16384]
        [--masks causal,window,docs_arith,docs_tensor,dilated,prefix_lm,
                 dense,local_global,blocks50,blocks20,blocks05]
        [--no-backward] [--no-ab-builder] [--ab-bounds] [--ab-links] [--out DIR]

Grid: bf16, head dim d, 16 heads, B = 16384 // N (16k tokens), documents of
1000 tokens, a window of 1024 keys, a prefix of N/4. The same mask runs in
flashgen (a spec; tensors passed by name) and in FlexAttention
(torch.compile'd flex_attention with create_block_mask at 128x128 blocks,
built once outside the timing; its build time is reported). flashgen's
time includes whatever it builds per call (the run-time tile classes);
`flashgen_no_builder` is the same variant with FLASHGEN_TILE_CLASSES=off
(no builder: such a forward computes every tile of its band with the mask;
--no-ab-builder leaves that column out).
With --ab-bounds, `flashgen_no_bounds` is the same variant with
FLASHGEN_TILE_BOUNDS=off (the builder's classes, but each row block's walk
scans its whole band instead of starting at the builder's first non-empty
tile, and each key block's backward walk all its band's query tiles).
FLOPs on computed blocks: 4*B*H*N*N*d times the block mask's density (both
implementations get the same count, so the ratio is the time ratio);
backward 2.5x. Timing: triton.testing.do_bench, median. Prints a markdown
table and writes DIR/mask-bench.json.

Block-sparse rows (`sparsity = runtime(block_size = 128)`, the block map
passed as the tensor block_mask, shared by the heads): local_global (two
neighbouring blocks plus the first block row and column) and random maps
keeping 50%, 20%, 5% of the blocks; Flex gets the same map as a mask_mod
at the same 128 granularity. `dense` (no mask) is the baseline of the
paper's block-sparse speed-up (the table's last column: dense time / time).
"""
import argparse
import json
import os
import sys
import time

import torch
from torch.nn.attention.flex_attention import create_block_mask, flex_attention
from triton.testing import do_bench

import flashgen

torch._dynamo.config.cache_size_limit = 1024
torch._dynamo.config.accumulated_cache_size_limit = 4096
# The backward is timed by repeated out.backward(retain_graph=True) on one
# graph, which a compiled backward with donated buffers refuses (session
# 35: Flex's backward at documents 16k raised); donation only reuses memory.
torch._functorch.config.donated_buffer = False
flex = torch.compile(flex_attention, dynamic=False)
DOC = 1000
WINDOW = 1024
BLOCK = 128
# The runtime's A/B switches (each "off" for one column of the table).
AB_SWITCHES = ("FLASHGEN_TILE_CLASSES", "FLASHGEN_TILE_BOUNDS", "FLASHGEN_TILE_NEXT")
# Masks whose tiles the compiler classifies itself: no run-time tile
# classes, so no bounds or links to switch off.
STATIC_CLASSES = ("dense", "causal", "window", "dilated")


def block_maps(n, b, device):
    """name -> a [b, n/128, n/128] bool block map (seeded: the same each run)."""
    nb = (n + BLOCK - 1) // BLOCK
    gen = torch.Generator(device=device).manual_seed(15)
    i = torch.arange(nb, device=device)
    local_global = ((i[:, None] - i[None, :]).abs() <= 1) | (i[:, None] == 0) | (i[None, :] == 0)
    out = {"local_global": local_global.expand(b, nb, nb)}
    for pct in (50, 20, 5):
        out[f"blocks{pct:02d}"] = torch.rand(b, nb, nb, device=device, generator=gen) < pct / 100
    return out


def masks(n, b, device):
    """name -> (spec body, tensors for flashgen, Flex mask_mod)."""
    doc_id = (torch.arange(n, device=device, dtype=torch.int32) // DOC).expand(b, n).contiguous()
    prefix = torch.full((b,), n // 4, device=device, dtype=torch.int32)
    runtime = f"sparsity = runtime(block_size = {BLOCK});"
    blocks = {}
    for name, m in block_maps(n, b, device).items():
        blocks[name] = (runtime, {"block_mask": m.to(torch.int32)[:, None]},  # [b, 1, ...]
                        lambda b_, h, q, k, m=m: m[b_, q // BLOCK, k // BLOCK])
    return {
        **blocks,
        "dense": ("", {}, lambda b_, h, q, k: q >= 0),
        "causal": ("mask = causal;", {}, lambda b_, h, q, k: k <= q),
        "window": (f"mask = k <= q && q - k < {WINDOW};", {},
                   lambda b_, h, q, k: (k <= q) & (q - k < WINDOW)),
        "docs_arith": (f"mask = causal && q / {DOC} == k / {DOC};", {},
                       lambda b_, h, q, k: (k <= q) & (q // DOC == k // DOC)),
        "docs_tensor": ("tensor doc_id : i32[batch, seq_k]; "
                        "mask = causal && doc_id[b, q] == doc_id[b, k];", {"doc_id": doc_id},
                        lambda b_, h, q, k: (k <= q) & (doc_id[b_, q] == doc_id[b_, k])),
        "dilated": ("mask = (q - k) % 4 == 0;", {},
                    lambda b_, h, q, k: (q - k) % 4 == 0),
        "prefix_lm": ("tensor prefix_len : i32[batch]; mask = k < prefix_len[b] || k <= q;",
                      {"prefix_len": prefix},
                      lambda b_, h, q, k: (k < prefix[b_]) | (k <= q)),
    }


def case(all_masks, name, d, b, h):
    """(spec, tensors, Flex mask_mod) of mask `name` at head dim d from
    masks()'s entries: the block map, shared by the heads, expanded to h."""
    body, tensors, mod = all_masks[name]
    if "block_mask" in tensors:
        tensors = {"block_mask": tensors["block_mask"].expand(b, h, -1, -1)}
    return f"attention m_{name} {{ dtype = bf16; head_dim = {d}; {body} }}", tensors, mod


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dims", default="128")
    p.add_argument("--seqlens", default="2048,8192,16384")
    p.add_argument("--masks", default="causal,window,docs_arith,docs_tensor,dilated,prefix_lm,"
                   "dense,local_global,blocks50,blocks20,blocks05")
    p.add_argument("--heads", type=int, default=16)
    p.add_argument("--no-backward", action="store_true")
    p.add_argument("--no-ab-builder", action="store_true",
                   help="leave out the column without the run-time tile-class builder")
    p.add_argument("--ab-bounds", action="store_true",
                   help="also time masks with run-time tile classes without the builder's row "
                        "bounds (FLASHGEN_TILE_BOUNDS=off; column 'fwd, no bounds')")
    p.add_argument("--ab-links", action="store_true",
                   help="also time them without the builder's next-kept links "
                        "(FLASHGEN_TILE_NEXT=off; column 'fwd, no links')")
    p.add_argument("--out", default=os.environ.get("OUT", "."))
    args = p.parse_args()
    dev = "cuda"
    rows = []
    print(f"# torch {torch.__version__} on {torch.cuda.get_device_name()}", flush=True)
    for d in [int(x) for x in args.dims.split(",")]:
        for n in [int(x) for x in args.seqlens.split(",")]:
            b, h = max(1, 16384 // n), args.heads
            q, k, v = (torch.randn(b, h, n, d, device=dev, dtype=torch.bfloat16,
                                   requires_grad=True) for _ in range(3))
            do = torch.randn(b, h, n, d, device=dev, dtype=torch.bfloat16)
            all_masks = masks(n, b, dev)
            for name in args.masks.split(","):
                spec, tensors, mod = case(all_masks, name, d, b, h)
                row = {"d": d, "n": n, "b": b, "h": h, "mask": name}
                try:
                    torch.cuda.synchronize()
                    t0 = time.perf_counter()
                    bm = create_block_mask(mod, b, None, n, n, device=dev)
                    torch.cuda.synchronize()
                    row["flex_block_mask_ms"] = 1e3 * (time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    bm = create_block_mask(mod, b, None, n, n, device=dev)
                    torch.cuda.synchronize()
                    row["flex_block_mask_again_ms"] = 1e3 * (time.perf_counter() - t0)
                    kv = bm.kv_num_blocks.sum().item() + (
                        bm.full_kv_num_blocks.sum().item() if bm.full_kv_num_blocks is not None else 0)
                    nb = (n + 127) // 128
                    row["density"] = kv / (b * nb * nb)
                except Exception as e:
                    row["error"] = f"block mask: {type(e).__name__}: {str(e)[:200]}"
                    rows.append(row)
                    print(row, flush=True)
                    continue
                flops = 4 * b * h * n * n * d * row["density"]
                # The flashgen_no_* columns run the same call with one of
                # AB_SWITCHES off (set below).
                def fg():
                    return flashgen.attention(q, k, v, spec, tensors=tensors)
                impls = {"flashgen": fg, "flex": lambda: flex(q, k, v, block_mask=bm),
                         "flashgen_no_builder": fg, "flashgen_no_bounds": fg,
                         "flashgen_no_links": fg}
                if "block_mask" in tensors or name == "dense" or args.no_ab_builder:
                    del impls["flashgen_no_builder"]  # no band to walk: nothing to compare
                if not args.ab_bounds or name in STATIC_CLASSES:
                    del impls["flashgen_no_bounds"]
                if not args.ab_links or name in STATIC_CLASSES:
                    del impls["flashgen_no_links"]
                for impl, run in impls.items():
                    # The same variant without the run-time tile-class
                    # builder, or without the row bounds it finds (A/B,
                    # same run).
                    for switch in AB_SWITCHES:
                        os.environ.pop(switch, None)
                    if impl == "flashgen_no_links":
                        os.environ["FLASHGEN_TILE_NEXT"] = "off"
                    if impl == "flashgen_no_builder":
                        os.environ["FLASHGEN_TILE_CLASSES"] = "off"
                    elif impl == "flashgen_no_bounds":
                        os.environ["FLASHGEN_TILE_BOUNDS"] = "off"
                    try:
                        with torch.no_grad():
                            ms = do_bench(run, warmup=25, rep=100, return_mode="median")
                        row[f"{impl}_fwd_ms"] = ms
                        row[f"{impl}_fwd_tflops"] = flops / ms / 1e9
                        if not args.no_backward:
                            out = run()
                            ms = do_bench(lambda: out.backward(do, retain_graph=True),
                                          warmup=10, rep=50, return_mode="median")
                            row[f"{impl}_bwd_ms"] = ms
                            row[f"{impl}_bwd_tflops"] = 2.5 * flops / ms / 1e9
                            del out
                    except Exception as e:
                        row[f"{impl}_error"] = f"{type(e).__name__}: {str(e)[:300]}"
                    q.grad = k.grad = v.grad = None
                rows.append(row)
                print(json.dumps(row), flush=True)
            del q, k, v, do
            torch.cuda.empty_cache()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "mask-bench.json"), "w") as f:
        json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__,
                   "rows": rows}, f, indent=1)
    for switch in AB_SWITCHES:
        os.environ.pop(switch, None)
    dense_ms = {(r["d"], r["n"], p): r.get(f"flashgen_{p}_ms") for r in rows
                if r["mask"] == "dense" for p in ("fwd", "bwd")}
    print("\n| mask | d | N | density | flashgen fwd | Flex fwd | fwd ratio | fwd, no builder | "
          "fwd, no bounds | fwd, no links | flashgen bwd | bwd, no bounds | Flex bwd | bwd ratio | "
          "Flex create_block_mask ms (first, again) | speed-up over dense flashgen (fwd, bwd) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        def g(key):
            x = r.get(key)
            return f"{x:.0f}" if isinstance(x, float) else "-"

        def speedup(r, p):
            base, t = dense_ms.get((r["d"], r["n"], p)), r.get(f"flashgen_{p}_ms")
            return f"{base / t:.2f}x" if base and t and r["mask"] != "dense" else "-"

        def ratio(a, b):
            x, y = r.get(a), r.get(b)
            return f"{x / y:.2f}" if isinstance(x, float) and isinstance(y, float) else "-"
        print(f"| {r['mask']} | {r['d']} | {r['n']} | {r.get('density', 0):.3f} | "
              f"{g('flashgen_fwd_tflops')} | {g('flex_fwd_tflops')} | "
              f"{ratio('flashgen_fwd_tflops', 'flex_fwd_tflops')} | {g('flashgen_no_builder_fwd_tflops')} | "
              f"{g('flashgen_no_bounds_fwd_tflops')} | {g('flashgen_no_links_fwd_tflops')} | "
              f"{g('flashgen_bwd_tflops')} | {g('flashgen_no_bounds_bwd_tflops')} | "
              f"{g('flex_bwd_tflops')} | {ratio('flashgen_bwd_tflops', 'flex_bwd_tflops')} | "
              f"{r.get('flex_block_mask_ms', 0):.1f}, {r.get('flex_block_mask_again_ms', 0):.1f} | "
              f"{speedup(r, 'fwd')}, {speedup(r, 'bwd')} |")
    errs = [r for r in rows if any(k.endswith("error") for k in r)]
    for r in errs:
        print("# error:", {k: v for k, v in r.items() if k.endswith("error")}, file=sys.stderr)


if __name__ == "__main__":
    main()
