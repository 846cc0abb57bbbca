//===- SmemTile.cuh - swizzled 16-bit tiles in shared memory ----*- CUDA -*-===//
//
// A Rows x Cols tile of 16-bit elements, row-major, stored in 16-byte chunks
// with the chunk index XOR-ed by the row (mod 8): ldmatrix reads one chunk
// from each of 8 consecutive rows, and without the swizzle those 8 chunks
// sit in the same 4 banks (an 8-way conflict for rows of 128 bytes or more).
//
//   physical chunk = c ^ (r & S),  S = 7 if a row has a multiple of 8
//   chunks, else 3 (rows are multiples of 32 elements = 4 chunks)
//
// The XOR group must divide the row: with 12 chunks (head dim 96) an XOR
// with 7 sends chunk 8 to chunk 15, past the end of the row.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_SMEMTILE_CUH
#define FLASHGEN_ATTENTION_SMEMTILE_CUH

#include "flashgen/Platform.cuh"

namespace flashgen {

/// Starts an asynchronous copy of a Rows x (8 * Chunks) tile: rows
/// [0, validRows) x cols [0, validCols) from `src` (row stride `rowStride`
/// elements), the rest zero-filled; chunk c of row r lands at
/// base + offset(r, c). All `Threads` threads take part. FullUnroll gives
/// each thread a compile-time list of copies (no loop control; the wgmma
/// kernel, which has registers to spare); otherwise a strided loop whose
/// addresses are not all kept live (the register-bound mma.sync kernels).
template <int Rows, int Chunks, int Threads, bool FullUnroll, class Offset>
FG_DEVICE void cpAsyncTile(uint32_t base, const uint16_t *src, int64_t rowStride,
                           int validRows, int validCols, int tid, Offset offset) {
  auto copy = [&](int i) {
    const int r = i / Chunks, c = i % Chunks;
    const bool ok = r < validRows && c * 8 < validCols;
    const uint16_t *p = ok ? src + r * rowStride + c * 8 : src;
    cpAsync16(base + offset(r, c), p, ok ? 16 : 0);
  };
  constexpr int kCopies = Rows * Chunks;
  if constexpr (FullUnroll) {
    constexpr int kIters = (kCopies + Threads - 1) / Threads;
#pragma unroll
    for (int it = 0; it < kIters; ++it) {
      const int i = tid + it * Threads;
      if (kCopies % Threads != 0 && i >= kCopies)
        break;
      copy(i);
    }
  } else {
#pragma unroll
    for (int i = tid; i < kCopies; i += Threads)
      copy(i);
  }
}

template <int Rows, int Cols> struct SmemTile {
  static_assert(Cols % 32 == 0, "head dims are padded to multiples of 32");
  static_assert(Rows % 16 == 0, "tiles are whole MMA slices");
  static constexpr int kChunks = Cols / 8; // 16-byte chunks per row
  static constexpr int kSwizzle = kChunks % 8 == 0 ? 7 : 3;
  static constexpr int kBytes = Rows * Cols * 2;

  /// Byte offset of chunk `c` of row `r`.
  static FG_DEVICE uint32_t offset(int r, int c) {
    return uint32_t((r * kChunks + (c ^ (r & kSwizzle))) * 16);
  }

  /// Starts an asynchronous copy of rows [0, validRows) x cols
  /// [0, validCols) from `src` (row stride `rowStride` elements); the rest of
  /// the tile is zero-filled. All threads of the block take part.
  template <int Threads>
  static FG_DEVICE void load(uint32_t base, const uint16_t *src, int64_t rowStride,
                             int validRows, int validCols, int tid) {
    cpAsyncTile<Rows, kChunks, Threads, false>(base, src, rowStride, validRows, validCols, tid,
                                        [](int r, int c) { return offset(r, c); });
  }
};

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_SMEMTILE_CUH
