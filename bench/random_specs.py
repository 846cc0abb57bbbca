#!/usr/bin/env python3
"""Random attention specs for the JIT latency bench (issue 14: a new variant
compiled and loaded in <= 1 s "for every example and for random specs").

    python3 bench/random_specs.py --count 12 --seed 8 --out DIR

writes DIR/random_<i>.attn: random dtype, head dim, GQA, mask (none, causal,
sliding window, documents, prefix LM, key padding) and score modifier (none,
softcap, ALiBi-like slopes, relative bias table), each a spec the frontend
accepts (`flashgen check` them). Standard library only.
"""
import argparse
import os
import random

MASKS = [
    ("", []),
    ("mask = causal;", []),
    ("mask = sliding_window(left = {w});", []),
    ("mask = causal && doc_id[b, q] == doc_id[b, k];", ["tensor doc_id : i32[batch, seq_k];"]),
    ("mask = k < prefix_len[b] || k <= q;", ["tensor prefix_len : i32[batch];"]),
    ("mask = key_padding;", []),
]
SCORES = [
    ("", []),
    ("score = {c}.0 * tanh(score / {c}.0);", []),
    ("score = score - slopes[h] * float(q - k);", ["tensor slopes : f32[heads];"]),
    ("score = score + rel_bias[h, clamp(k - q, -127, 127) + 127];",
     ["tensor rel_bias : f32[heads, 255];"]),
]


def spec(rng, i):
    d = rng.choice([32, 64, 64, 96, 128, 128, 192, 256])
    heads, kv = rng.choice([(16, 16), (32, 8), (16, 4)])
    mask, mtensors = rng.choice(MASKS)
    score, stensors = rng.choice(SCORES)
    lines = [f"attention random_{i} {{",
             f"  dtype = {rng.choice(['bf16', 'f16'])};",
             f"  head_dim = {d};",
             f"  heads = {heads};",
             f"  kv_heads = {kv};"]
    lines += ["  " + t for t in mtensors + stensors]
    if mask:
        lines.append("  " + mask.format(w=rng.choice([128, 256, 1024])))
    if score:
        lines.append("  " + score.format(c=rng.choice([30, 50])))
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    for i in range(a.count):
        with open(os.path.join(a.out, f"random_{i}.attn"), "w") as f:
            f.write(spec(rng, i))


if __name__ == "__main__":
    main()
