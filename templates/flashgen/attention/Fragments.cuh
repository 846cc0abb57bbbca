//===- Fragments.cuh - MMA operand fragments from shared memory -*- CUDA -*-===//
//
// The three ways a 16-bit SmemTile feeds mma.sync m16n8k16, named by what
// the tile's rows are. With them every product of the backward pass is one
// call pattern:
//
//   loadA(tile, row0, ks)        A: rows row0..row0+15 are the M dimension,
//                                   columns 16ks.. the K dimension
//   loadBRows(tile, n, ks)       B for n-tiles n, n+1: tile rows are the N
//                                   dimension (K^T in Q K^T)
//   loadBCols(tile, ks, n)       B for n-tiles n, n+1: tile rows are the K
//                                   dimension (V in P V), ldmatrix .trans
//
// And packA: two fp32 accumulator n-tiles (16 columns) packed to 16 bits are
// exactly the A fragment of the next product (P never leaves registers).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_FRAGMENTS_CUH
#define FLASHGEN_ATTENTION_FRAGMENTS_CUH

#include "flashgen/attention/SmemTile.cuh"

namespace flashgen {

#if defined(__CUDA_ARCH__) || defined(__CUDACC_RTC__)

template <class Tile>
FG_DEVICE void loadA(uint32_t (&f)[4], uint32_t base, int row0, int ks, int lane) {
  ldmatrixX4(f, base + Tile::offset(row0 + (lane % 16), ks * 2 + lane / 16));
}

template <class Tile>
FG_DEVICE void loadBRows(uint32_t (&f)[4], uint32_t base, int n, int ks, int lane) {
  ldmatrixX4(f, base + Tile::offset(n * 8 + (lane % 8) + (lane / 16) * 8,
                                    ks * 2 + (lane / 8) % 2));
}

template <class Tile>
FG_DEVICE void loadBCols(uint32_t (&f)[4], uint32_t base, int ks, int n, int lane) {
  ldmatrixX4Trans(f, base + Tile::offset(ks * 16 + (lane % 8) + ((lane / 8) % 2) * 8,
                                         n + lane / 16));
}

/// Accumulator n-tiles 2ks and 2ks+1, each element times `mul(n, e)`.
template <class T, class Mul>
FG_DEVICE void packA(uint32_t (&f)[4], const float (*acc)[4], int ks, Mul mul) {
  const int n0 = 2 * ks, n1 = 2 * ks + 1;
  f[0] = packPair<T>(acc[n0][0] * mul(n0, 0), acc[n0][1] * mul(n0, 1));
  f[1] = packPair<T>(acc[n0][2] * mul(n0, 2), acc[n0][3] * mul(n0, 3));
  f[2] = packPair<T>(acc[n1][0] * mul(n1, 0), acc[n1][1] * mul(n1, 1));
  f[3] = packPair<T>(acc[n1][2] * mul(n1, 2), acc[n1][3] * mul(n1, 3));
}

#endif // device code

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_FRAGMENTS_CUH
