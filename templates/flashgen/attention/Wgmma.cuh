//===- Wgmma.cuh - Hopper warpgroup MMA: tiles, descriptors, ops -*- CUDA -*-===//
//
// sm_90a only. A warpgroup (4 consecutive warps, 128 threads) issues
// wgmma.mma_async: D[64 x N] (+)= A[64 x 16] B[16 x N] with fp32 D in
// registers, B (and optionally A) read by the tensor cores straight from
// shared memory through a 64-bit matrix descriptor.
//
// Shared-memory layout (WgmmaTile): the 128-byte-swizzle canonical form.
// A Rows x Cols tile of 16-bit elements is stored as Cols/64 column blocks
// ("atoms" of 64 elements = 128 bytes per row), each Rows x 128 bytes; the
// 16-byte chunk c of row r sits at chunk position c ^ (r % 8). Every atom
// starts on a 1024-byte boundary (8 rows), which the hardware's swizzle
// assumes.
//
// Register layouts (per warp w of the warpgroup, lane = 4 g + t):
//   D: for each 8-column block j, d[j][0..3] = rows 16w + g (+8 for 2, 3),
//      columns 8j + 2t (+1 for 1, 3): the mma.sync m16n8 accumulator.
//   A (register form): the mma.sync m16n8k16 A fragment of rows 16w..16w+15.
// So the FlashAttention-2 register code (online softmax, P repacking)
// carries over unchanged.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_WGMMA_CUH
#define FLASHGEN_ATTENTION_WGMMA_CUH

#include "flashgen/attention/SmemTile.cuh"

namespace flashgen {

/// A shared-memory matrix descriptor for the 128-byte swizzle.
/// `lead` / `stride` (bytes): for K-major operands the stride is the
/// distance between 8-row groups (1024) and lead is unused; for MN-major
/// (transposed) operands lead is the distance between 64-element atoms
/// along MN and stride the distance between 8-row groups along K.
FG_DEVICE uint64_t wgmmaDescriptor(uint32_t smemAddr, uint32_t lead, uint32_t stride) {
  uint64_t d = 0;
  d |= uint64_t((smemAddr & 0x3FFFF) >> 4);
  d |= uint64_t((lead >> 4) & 0x3FFF) << 16;
  d |= uint64_t((stride >> 4) & 0x3FFF) << 32;
  d |= uint64_t(1) << 62; // layout type 1: 128-byte swizzle
  return d;
}

/// The descriptor `bytes` further on from d's start address. Shared-memory
/// addresses stay below 256 KB, so the 14-bit start field (address / 16)
/// never carries into the next: one 32-bit add, where building each
/// k-step's descriptor afresh took ~5 instructions and a transfer to a
/// uniform register per operand and wgmma.
FG_DEVICE uint64_t wgmmaDescriptorPlus(uint64_t d, uint32_t bytes) {
  return (d & 0xFFFFFFFF00000000ull) | uint32_t(uint32_t(d) + (bytes >> 4));
}

/// This thread's warpgroup, as a value ptxas knows is the same across the
/// warp (a shuffle from lane 0): descriptors built from it live in uniform
/// registers, where threadIdx.x / 128 put each one in a vector register
/// and moved it to a uniform one per wgmma.
FG_DEVICE int warpgroupIndex() { return __shfl_sync(0xffffffffu, int(threadIdx.x) / 128, 0); }

template <int Rows, int Cols> struct WgmmaTile {
  static_assert(Cols % 64 == 0, "wgmma tiles are whole 128-byte atoms");
  static_assert(Rows % 8 == 0, "atoms are 8-row groups");
  static constexpr int kAtoms = Cols / 64;
  static constexpr int kAtomBytes = Rows * 128;
  static constexpr int kBytes = kAtoms * kAtomBytes;

  /// Byte offset of 16-byte chunk `c` (of Cols / 8) in row `r`.
  static FG_DEVICE uint32_t offset(int r, int c) {
    return uint32_t((c / 8) * kAtomBytes + r * 128 + (((c % 8) ^ (r % 8)) * 16));
  }

  /// cp.async of rows [0, validRows) x columns [0, validCols) from `src`;
  /// the rest is zero-filled. All `Threads` threads take part.
  template <int Threads>
  static FG_DEVICE void load(uint32_t base, const uint16_t *src, int64_t rowStride,
                             int validRows, int validCols, int tid) {
    cpAsyncTile<Rows, Cols / 8, Threads, true>(base, src, rowStride, validRows, validCols, tid,
                                         [](int r, int c) { return offset(r, c); });
  }

  /// Zeroes rows [fromRow, Rows) of the tile at `base` (every atom; the
  /// swizzle permutes chunks within a row, so whole rows need no offsets):
  /// thread `tid` of `Threads` stores every Threads-th 16-byte chunk. The
  /// caller fences them for the async proxy before a wgmma reads the tile.
  template <int Threads> static FG_DEVICE void zeroRows(uint32_t base, int fromRow, int tid) {
    const int chunks = (Rows - fromRow) * 8; // 8 chunks of 16 bytes per atom row
    for (int a = 0; a < kAtoms; ++a)
      for (int i = tid; i < chunks; i += Threads)
        asm volatile("st.shared.v4.u32 [%0], {%1, %1, %1, %1};\n" ::"r"(
                         base + a * kAtomBytes + fromRow * 128 + i * 16),
                     "r"(0)
                     : "memory");
  }

  /// The tile at `base` as a K-major operand: k-step ks (16 columns) is 32
  /// bytes into atom ks / 4; the operand's rows start at row0.
  static FG_DEVICE uint64_t kMajor(uint32_t base, int ks, int row0 = 0) {
    return wgmmaDescriptorPlus(wgmmaDescriptor(base + row0 * 128, 0, 1024),
                               (ks / 4) * kAtomBytes + (ks % 4) * 32);
  }
  /// The tile at `base` as an M/N-major (transposed) operand: k-step ks
  /// (16 rows) starts 2048 bytes further; its 64-column atoms are
  /// kAtomBytes apart.
  static FG_DEVICE uint64_t mnMajor(uint32_t base, int ks) {
    return wgmmaDescriptorPlus(wgmmaDescriptor(base, kAtomBytes, 1024), ks * 16 * 128);
  }
};

/// Orders this thread's register writes before the warpgroup's next
/// wgmma reads them (accumulators, register A operands).
FG_DEVICE void wgmmaFence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
FG_DEVICE void wgmmaCommit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
/// Waits until at most N committed groups are still running.
template <int N> FG_DEVICE void wgmmaWait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}
/// Makes this thread's generic-proxy shared-memory writes (cp.async, st)
/// visible to the async proxy that wgmma reads through.
FG_DEVICE void fenceProxyAsyncShared() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

/// Keeps the compiler from moving accumulator reads/writes across an
/// in-flight wgmma (the asm has no other tie to them).
template <int N> FG_DEVICE void wgmmaFenceOperands(float (&d)[N][4]) {
#pragma unroll
  for (int i = 0; i < N; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e)
      asm volatile("" : "+f"(d[i][e])::"memory");
}

template <class T, int N> struct WgmmaSS;
template <class T, int N> struct WgmmaRS;
template <class T, int N> struct WgmmaSSTransposed;
template <class T, int N> struct WgmmaSSTransB;
#include "flashgen/attention/WgmmaOps.cuh"

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_WGMMA_CUH
