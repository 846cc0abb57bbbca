#!/usr/bin/env python3
"""Model of the deterministic warp-specialized backward's cross-CTA order
(BwdKernelSm90Ws.cuh with BwdParams::dqOrder), run on the CPU.

CTAs are key blocks j = 0..K-1 of one head, dispatched in index order into
SLOTS co-resident places (a slot frees when its CTA ends). A CTA walks its
query tiles (those its band and mask leave) last to first: computing an
item takes 1 + jitter; its dQ writer adds the item's dQ to tile i only once
every earlier key block that visits tile i has added (the counter reaches
their number, `keyBlocksBefore`), an add takes ADD; the consumers run at
most two items ahead of the writer (two staging buffers). For masks (none,
causal, sliding windows, random block-sparse) and slot counts down to one
it checks: every run ends (no CTA waits on one that cannot run), each tile
receives its adds in ascending key-block order, every visited tile gets
every add. It also prints the makespan against the same walk without the
order (atomic adds), and against an ascending walk with the order (why the
kernel walks down). Usage: python3 scripts/det-order-model.py
"""
import heapq
import random
import sys

ADD = 0.6  # an add's latency, in items


def visits(mask, K, T, rng_seed):
    """For each key block, the query tiles its walk visits (the band and
    the tile classes; 2 query tiles per key block, as 64-row tiles under
    128 keys)."""
    rng = random.Random(rng_seed)
    keep = {}
    out = []
    for j in range(K):
        tiles = []
        for i in range(T):
            if mask == "none":
                ok = True
            elif mask == "causal":
                ok = i >= 2 * j
            elif mask == "window":
                ok = 2 * j <= i <= 2 * j + 7
            else:  # random block-sparse: a tile's class decided once
                ok = keep.setdefault((i, j), rng.random() < 0.4)
            if ok:
                tiles.append(i)
        out.append(tiles)
    return out


def simulate(walks, slots, ordered, descending, seed, heads=1):
    """Discrete events over `heads` heads of the same key blocks (CTA c =
    head * len(walks) + key block, the grid's order); returns (makespan,
    per-tile add order of head 0) or raises on a deadlock."""
    rng = random.Random(seed)
    KB = len(walks)
    K = KB * heads
    order = [[(c // KB, i) for i in sorted(walks[c % KB], reverse=descending)]
             for c in range(K)]
    before = {}  # (c, tile): earlier key blocks of the head that visit it
    for j in range(KB):
        for i in walks[j]:
            n = sum(1 for jj in range(j) if i in walks[jj])
            for h in range(heads):
                before[(h * KB + j, (h, i))] = n
    counter = {}
    adds = {}
    waiting = {}  # tile -> [(needed count, j)]
    t_now = 0.0
    events = []  # (time, seq, kind, j)
    seq = 0
    state = {}  # j -> dict(next_compute, computed, added, writer_busy)
    running = 0
    next_cta = 0
    finished = 0

    def push(t, kind, j):
        nonlocal seq
        heapq.heappush(events, (t, seq, kind, j))
        seq += 1

    def start_ready(t):
        nonlocal running, next_cta
        while running < slots and next_cta < K:
            j = next_cta
            next_cta += 1
            running += 1
            state[j] = {"computed": 0, "added": 0, "computing": False, "writer": False}
            step(t, j)

    def step(t, j):
        s = state[j]
        n = len(order[j])
        # Consumers: next item if at most two items ahead of the writer.
        if not s["computing"] and s["computed"] < n and s["computed"] - s["added"] < 2:
            s["computing"] = True
            push(t + 1.0 + rng.random() * 0.3, "computed", j)
        # Writer: the next computed item, when its turn has come.
        if not s["writer"] and s["added"] < s["computed"]:
            i = order[j][s["added"]]
            need = before[(j, i)] if ordered else 0
            if counter.get(i, 0) >= need or not ordered:
                s["writer"] = True
                push(t + ADD * (0.5 + rng.random()), "added", j)
            else:
                waiting.setdefault(i, []).append(j)

    start_ready(0.0)
    while events:
        t_now, _, kind, j = heapq.heappop(events)
        s = state[j]
        if kind == "computed":
            s["computing"] = False
            s["computed"] += 1
        else:
            i = order[j][s["added"]]
            s["writer"] = False
            s["added"] += 1
            counter[i] = counter.get(i, 0) + 1
            adds.setdefault(i, []).append(j % KB)
            for w in waiting.pop(i, []):
                step(t_now, w)
        if s["added"] == len(order[j]) and not s["computing"] and not s["writer"]:
            if not s.get("done"):
                s["done"] = True
                running -= 1
                finished += 1
                start_ready(t_now)
        else:
            step(t_now, j)
    if finished != K:
        stuck = [j for j in state if not state[j].get("done")]
        raise RuntimeError(f"deadlock: CTAs {stuck[:8]} never end "
                           f"({K - next_cta} never dispatched)")
    return t_now, adds


def main():
    failures = 0
    report = []
    for mask in ("none", "causal", "window", "sparse"):
        for K, slots in ((4, 1), (9, 2), (16, 3), (40, 7), (64, 132)):
            T = 2 * K
            walks = visits(mask, K, T, K)
            for seed in range(3):
                try:
                    det, adds = simulate(walks, slots, True, True, seed)
                except RuntimeError as e:
                    print(f"FAIL {mask} K={K} slots={slots}: {e}")
                    failures += 1
                    continue
                for i in range(T):
                    want = [j for j in range(K) if i in walks[j]]
                    if adds.get((0, i), []) != want:
                        print(f"FAIL {mask} K={K}: tile {i} got adds {adds.get(i)} want {want}")
                        failures += 1
            if slots >= 7:
                fast, _ = simulate(walks, slots, False, True, 0)
                det, _ = simulate(walks, slots, True, True, 0)
                up, _ = simulate(walks, slots, True, False, 0)
                report.append(f"  {mask:7s} K={K:3d} slots={slots:3d}: ordered/atomic "
                              f"{fast / det:.2f}x, ascending walk {fast / up:.2f}x")
        # Many heads, more CTAs than slots, as the benchmark at 8k, d128
        # (16 heads there; 8 here, to keep the model quick).
        walks = visits(mask, 64, 128, 1)
        fast, _ = simulate(walks, 132, False, True, 0, heads=8)
        det, _ = simulate(walks, 132, True, True, 0, heads=8)
        report.append(f"  {mask:7s} 8 heads x 64 key blocks, 132 slots: ordered/atomic "
                      f"{fast / det:.2f}x")
    print("throughput of the ordered adds relative to atomic adds (model):")
    print("\n".join(report))
    if failures:
        print(f"{failures} failures")
        return 1
    print("ok: no deadlock, every tile's adds in ascending key-block order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
