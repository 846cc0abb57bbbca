"""The ring schedule of context parallelism (flashgen.distributed.plan),
on the CPU with no torch: every non-empty block computed exactly once, by
a rank holding the shard it needs; sends and receives that match; shards
that travel no further than needed; zig-zag's causal balance; and the
block classes the compiler gives for real specs."""
import itertools

import pytest

from flashgen.distributed.plan import (EMPTY, FULL, PARTIAL, RingPlan, chunks_of, num_chunks)


def classifier(mask):
    """Exact classes of blocks by brute force over a mask(q, k)."""
    def classify(blocks):
        out = []
        for q0, q1, k0, k1 in blocks:
            vals = {bool(mask(q, k)) for q in range(q0, q1 + 1) for k in range(k0, k1 + 1)}
            out.append(FULL if vals == {True} else EMPTY if vals == {False} else PARTIAL)
        return out
    return classify


MASKS = {
    "none": lambda q, k: True,
    "causal": lambda q, k: k <= q,
    "window": lambda q, k: 0 <= q - k <= 5,
    "dilated": lambda q, k: (q - k) % 4 == 0,
    "prefix": lambda q, k: k <= 3 or k <= q,
}


def simulate(plan):
    """Runs the plan's data flow: which shard each rank holds per step,
    following sends only. Returns {(qc, kc)} computed, checking each pair
    was computed with the right shard."""
    world = plan.world
    held = {r: r for r in range(world)}  # rank -> origin it holds
    done = []
    for s in range(plan.steps()):
        for r in range(world):
            o = plan.origin(r, s)
            assert o == held.get(r), (r, s, o, held.get(r))
            for p in plan.pairs[r][s] if o is not None else []:
                assert p.qc == chunks_of(r, world, plan.sharding)[p.qi]
                assert p.kc == chunks_of(o, world, plan.sharding)[p.ki]
                done.append((p.qc, p.kc))
        nxt = {}
        for r in range(world):
            if plan.sends(r, s):
                assert plan.receives((r + 1) % world, s)
                nxt[(r + 1) % world] = held[r]
            else:
                assert not plan.receives((r + 1) % world, s)
        held = nxt
    return done


@pytest.mark.parametrize("world", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("sharding", ["zigzag", "contiguous"])
@pytest.mark.parametrize("mask", list(MASKS))
def test_every_block_once(world, sharding, mask):
    n = num_chunks(world, sharding) * 4
    plan = RingPlan(world, n, sharding, classifier(MASKS[mask]))
    done = simulate(plan)
    assert len(done) == len(set(done))
    want = {(qc, kc) for qc, kc in itertools.product(range(num_chunks(world, sharding)), repeat=2)
            if plan.block_class[(qc, kc)] != EMPTY}
    assert set(done) == want
    # Gradients of origin o end at final_holder(o): the rank holding it at step last[o].
    for o in range(world):
        assert plan.origin(plan.final_holder(o), plan.last[o]) == o


def test_zigzag_balances_causal():
    plan = RingPlan(4, 64, "zigzag", classifier(MASKS["causal"]))
    work = [sum(len(p) for p in plan.pairs[r]) for r in range(4)]
    assert len(set(work)) == 1, work
    contiguous = RingPlan(4, 64, "contiguous", classifier(MASKS["causal"]))
    work_c = [sum(len(p) for p in contiguous.pairs[r]) for r in range(4)]
    assert work_c == [1, 2, 3, 4]


def test_windows_send_shards_a_short_way():
    # A window of 5 positions over chunks of 16: each shard is needed by its
    # own rank and the next one only.
    plan = RingPlan(8, 128, "contiguous", classifier(MASKS["window"]))
    assert plan.last == [1] * 7 + [0]
    assert plan.steps() == 2
    assert plan.sends_total() == 7
    full = RingPlan(8, 128, "contiguous", classifier(MASKS["none"]))
    assert full.sends_total() == 8 * 7


def test_bad_sizes_are_errors():
    with pytest.raises(ValueError, match="multiple of 8"):
        RingPlan(4, 100, "zigzag", classifier(MASKS["none"]))
    with pytest.raises(ValueError, match="sharding must be one of"):
        RingPlan(2, 8, "striped", classifier(MASKS["none"]))


def test_plan_from_the_compilers_block_classes():
    """classify_blocks (the compiler's interval analysis through the C API)
    drives the plan as the brute-force classifier does for a causal mask."""
    from flashgen import _library
    text = "attention a { head_dim = 64; mask = causal; }"
    real = RingPlan(4, 64, "zigzag", lambda b: _library.classify_blocks(text, 64, 64, b))
    exact = RingPlan(4, 64, "zigzag", classifier(MASKS["causal"]))
    assert real.block_class == exact.block_class
    window = "attention w { head_dim = 64; mask = sliding_window(left = 5, right = 0); }"
    got = _library.classify_blocks(window, 64, 64, [(16, 31, 0, 15), (16, 31, 16, 31),
                                                    (32, 47, 0, 15)])
    assert got == [PARTIAL, PARTIAL, EMPTY]
    with pytest.raises(Exception, match="block 0"):
        _library.classify_blocks(text, 64, 64, [(0, 80, 0, 1)])
