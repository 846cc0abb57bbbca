"""The ring schedule of context-parallel attention, as plain data (no torch).

The sequence of N positions is cut into chunks; each rank holds some of
them (its queries, keys and values). Zig-zag sharding gives rank r of P the
chunks r and 2P-1-r of 2P, so under a causal mask every rank has the same
work; contiguous sharding gives rank r chunk r of P.

In step s of the ring, rank r holds the keys and values of rank
(r - s) mod P (its *origin*) and computes every (query chunk, key chunk)
pair between its own queries and those keys that the mask does not make
empty. A shard travels from its origin only as far as the last rank that
needs it, so a sliding window over a long sequence sends each shard to a
neighbour or two, not around the whole ring. Every rank derives the same
plan from (world size, N, spec), so sends and receives always match.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

EMPTY, FULL, PARTIAL = 0, 1, 2

# The shardings a plan knows.
SHARDINGS = ("zigzag", "contiguous")


def chunks_of(rank: int, world: int, sharding: str) -> tuple[int, ...]:
    """The sequence chunks rank `rank` holds, in the order its shard stores them."""
    if sharding == "zigzag":
        return (rank, 2 * world - 1 - rank)
    if sharding == "contiguous":
        return (rank,)
    raise ValueError(f"flashgen.distributed: sharding must be one of {SHARDINGS}, "
                     f"not {sharding!r}")


def num_chunks(world: int, sharding: str) -> int:
    return 2 * world if sharding == "zigzag" else world


@dataclass(frozen=True)
class Pair:
    """One block to compute: local query chunk `qi` of the rank (at global
    chunk `qc`) against local key chunk `ki` of the origin's shard (at `kc`)."""
    qi: int
    qc: int
    ki: int
    kc: int
    cls: int  # FULL or PARTIAL


class RingPlan:
    """Which blocks each rank computes in each step, and which shards travel.

    classify(blocks) -> classes: EMPTY / FULL / PARTIAL for blocks
    (q0, q1, k0, k1) of the whole problem (inclusive), as
    flashgen._library.classify_blocks answers from the spec.
    """

    def __init__(self, world: int, seq_len: int, sharding: str,
                 classify: Callable[[Sequence[tuple]], list]):
        if world < 1:
            raise ValueError(f"flashgen.distributed: world size {world} must be >= 1")
        n = num_chunks(world, sharding)
        if seq_len < n or seq_len % n:
            raise ValueError(f"flashgen.distributed: the sequence length {seq_len} must be a "
                             f"positive multiple of {n} ({sharding} sharding over {world} "
                             "ranks)")
        self.world, self.seq_len, self.sharding = world, seq_len, sharding
        self.chunk = seq_len // n
        c = self.chunk
        blocks = [(qc * c, qc * c + c - 1, kc * c, kc * c + c - 1)
                  for qc in range(n) for kc in range(n)]
        classes = classify(blocks)
        self.block_class = {(qc, kc): classes[qc * n + kc] for qc in range(n) for kc in range(n)}
        # pairs[r][s]: what rank r computes in step s (with origin (r - s) % P).
        self.pairs = [[self._pairs(r, (r - s) % world) for s in range(world)]
                      for r in range(world)]
        # How far origin o's shard travels: the last step a rank needs it.
        self.last = []
        for o in range(world):
            need = [s for s in range(world) if self.pairs[(o + s) % world][s]]
            self.last.append(max(need, default=0))

    def _pairs(self, rank: int, origin: int) -> list:
        out = []
        for qi, qc in enumerate(chunks_of(rank, self.world, self.sharding)):
            for ki, kc in enumerate(chunks_of(origin, self.world, self.sharding)):
                cls = self.block_class[(qc, kc)]
                if cls != EMPTY:
                    out.append(Pair(qi, qc, ki, kc, cls))
        return out

    def origin(self, rank: int, step: int):
        """The origin of the shard rank `rank` holds in step `step`, or None
        when that shard stopped travelling before."""
        o = (rank - step) % self.world
        return o if step <= self.last[o] else None

    def sends(self, rank: int, step: int) -> bool:
        """Does rank `rank` pass its shard to rank + 1 after step `step`?"""
        o = self.origin(rank, step)
        return o is not None and step + 1 <= self.last[o]

    def receives(self, rank: int, step: int) -> bool:
        """Does rank `rank` get a shard from rank - 1 for step `step + 1`?"""
        return self.sends((rank - 1) % self.world, step)

    def final_holder(self, origin: int) -> int:
        """The rank holding origin's shard (and its key gradients) last."""
        return (origin + self.last[origin]) % self.world

    def steps(self) -> int:
        """Steps with any shard in flight or any block to compute."""
        return max(self.last) + 1

    def sends_total(self) -> int:
        return sum(self.last)
