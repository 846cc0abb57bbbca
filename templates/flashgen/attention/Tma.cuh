//===- Tma.cuh - the copy engine's tensor loads (TMA), sm_90 -----*- CUDA -*-===//
//
// A box of a tensor described by a TmaDescriptor (Params.cuh, encoded by the
// runtime) copied into shared memory by the copy engine, without threads
// computing addresses; the copy completes as transaction bytes on an
// mbarrier (Mbarrier.cuh). Boxes of 64 16-bit columns with the 128-byte
// swizzle land exactly as one WgmmaTile atom.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_TMA_CUH
#define FLASHGEN_ATTENTION_TMA_CUH

#include "flashgen/attention/Params.cuh"

namespace flashgen {

/// Loads the box at element coordinates (c0 innermost .. c3) of `map`,
/// which must live in the kernel's parameter space (a __grid_constant__
/// parameter), to shared memory `dst`, completing on mbarrier `bar`.
FG_DEVICE void tmaLoad4d(uint32_t dst, const TmaDescriptor &map, uint32_t bar, int c0, int c1,
                         int c2, int c3) {
  asm volatile("cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
               " [%0], [%1, {%2, %3, %4, %5}], [%6];\n" ::"r"(dst),
               "l"(reinterpret_cast<uint64_t>(&map)), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(bar)
               : "memory");
}

/// Starts fetching the descriptor itself, ahead of the first load.
FG_DEVICE void tmaPrefetchDescriptor(const TmaDescriptor &map) {
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(&map)) : "memory");
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_TMA_CUH
