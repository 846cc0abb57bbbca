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
//   loadACols(tile, m0, ks)      A: tile rows are the K dimension, columns
//                                   m0..m0+15 the M dimension (dS^T stored
//                                   key-major, read as dS), ldmatrix .trans
//
// And packA: two fp32 accumulator n-tiles (16 columns) packed to 16 bits are
// exactly the A fragment of the next product (P never leaves registers).
// mmaRowsTimesRows / mmaPackedTimesCols are the two whole products built
// from them; storeAccRow writes a finished accumulator row.
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

template <class Tile>
FG_DEVICE void loadACols(uint32_t (&f)[4], uint32_t base, int m0, int ks, int lane) {
  // Matrices 0..3 = (M half, K half) (0,0) (1,0) (0,1) (1,1); lane supplies
  // row lane % 8 of matrix lane / 8.
  ldmatrixX4Trans(f, base + Tile::offset(ks * 16 + (lane / 16) * 8 + (lane % 8),
                                         m0 / 8 + (lane / 8) % 2));
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

template <int NT> FG_DEVICE void zeroAcc(float (&acc)[NT][4]) {
#pragma unroll
  for (int n = 0; n < NT; ++n)
    acc[n][0] = acc[n][1] = acc[n][2] = acc[n][3] = 0.f;
}

/// The loop every product shares: for each 16-deep k-step, one A fragment
/// (loadAFrag(a, ks)) against pairs of 8-column B fragments
/// (loadBFrag(bf, ks, n) for n-tiles n and n + 1).
template <class T, int KSteps, int NT, class LoadA, class LoadB>
FG_DEVICE void mmaProduct(float (&acc)[NT][4], LoadA loadAFrag, LoadB loadBFrag) {
#pragma unroll
  for (int ks = 0; ks < KSteps; ++ks) {
    uint32_t a[4];
    loadAFrag(a, ks);
#pragma unroll
    for (int n = 0; n < NT; n += 2) {
      uint32_t bf[4];
      loadBFrag(bf, ks, n);
      mma16816<T>(acc[n], a, bf[0], bf[1]);
      mma16816<T>(acc[n + 1], a, bf[2], bf[3]);
    }
  }
}

/// acc (16 x 8NT) += A B^T: A = rows row0.. of ATile (KSteps * 16 columns),
/// B^T's rows (the N dimension) from BTile. S = Q K^T and dP = dO V^T.
template <class T, class ATile, class BTile, int KSteps, int NT>
FG_DEVICE void mmaRowsTimesRows(float (&acc)[NT][4], uint32_t aBase, int row0,
                                uint32_t bBase, int lane) {
  mmaProduct<T, KSteps>(
      acc, [&](uint32_t(&a)[4], int ks) { loadA<ATile>(a, aBase, row0, ks, lane); },
      [&](uint32_t(&bf)[4], int ks, int n) { loadBRows<BTile>(bf, bBase, n, ks, lane); });
}

/// acc (16 x 8NT) += packA(src * mul) B: src holds KSteps * 16 columns of
/// fp32 accumulators, B's rows (the K dimension) from BTile. O/dV += P V,
/// dK += dS^T Q, dQ += dS K.
template <class T, class BTile, int KSteps, int NT, class Mul>
FG_DEVICE void mmaPackedTimesCols(float (&acc)[NT][4], const float (*src)[4], Mul mul,
                                  uint32_t bBase, int lane) {
  mmaProduct<T, KSteps>(
      acc, [&](uint32_t(&a)[4], int ks) { packA<T>(a, src, ks, mul); },
      [&](uint32_t(&bf)[4], int ks, int n) { loadBCols<BTile>(bf, bBase, ks, n, lane); });
}

/// acc (16 x 8NT) += A B: A = columns m0..m0+15 of ATile read transposed
/// (ATile's rows are the K dimension, KSteps * 16 of them), B = n-tiles
/// nBase.. of BTile whose rows are the K dimension. dQ += dS K with dS^T
/// in shared memory.
template <class T, class ATile, class BTile, int KSteps, int NT>
FG_DEVICE void mmaColsTimesCols(float (&acc)[NT][4], uint32_t aBase, int m0, uint32_t bBase,
                                int nBase, int lane) {
  mmaProduct<T, KSteps>(
      acc, [&](uint32_t(&a)[4], int ks) { loadACols<ATile>(a, aBase, m0, ks, lane); },
      [&](uint32_t(&bf)[4], int ks, int n) {
        loadBCols<BTile>(bf, bBase, ks, nBase + n, lane);
      });
}

/// Stores a 16 x 8NT accumulator tile as 16-bit values into rows
/// row0..row0+15, columns 0..8NT-1 of Tile.
template <class T, class Tile, int NT>
FG_DEVICE void storeAccToTile(uint32_t base, const float (&acc)[NT][4], int row0, int lane,
                               int chunk0 = 0) {
  const int g = lane / 4, t = lane % 4;
#pragma unroll
  for (int n = 0; n < NT; ++n)
#pragma unroll
    for (int h2 = 0; h2 < 2; ++h2) {
      const uint32_t v = packPair<T>(acc[n][2 * h2], acc[n][2 * h2 + 1]);
      asm volatile("st.shared.b32 [%0], %1;\n" ::"r"(base +
                                                       Tile::offset(row0 + g + 8 * h2, chunk0 + n) +
                                                       4 * t),
                   "r"(v)
                   : "memory");
    }
}

/// storeAccToTile from the packed A fragments of the same tile (packA's
/// layout: fragment ks holds 8-column blocks 2 ks and 2 ks + 1, rows g and
/// g + 8), with no conversion.
template <class Tile, int KS>
FG_DEVICE void storePackedToTile(uint32_t base, const uint32_t (&f)[KS][4], int row0, int lane) {
  const int g = lane / 4, t = lane % 4;
#pragma unroll
  for (int ks = 0; ks < KS; ++ks)
#pragma unroll
    for (int j = 0; j < 2; ++j)
#pragma unroll
      for (int h2 = 0; h2 < 2; ++h2)
        asm volatile("st.shared.b32 [%0], %1;\n" ::"r"(base +
                                                       Tile::offset(row0 + g + 8 * h2, 2 * ks + j) +
                                                       4 * t),
                     "r"(f[ks][2 * j + h2])
                     : "memory");
}

/// Writes row g (h2 = 0) or g + 8 (h2 = 1) of a 16 x 8NT accumulator tile,
/// times `mul`, as 16-bit pairs: columns [0, validCols) of `row`.
template <class T, int NT>
FG_DEVICE void storeAccRow(uint16_t *row, const float (&acc)[NT][4], int h2, int t,
                           int validCols, float mul) {
#pragma unroll
  for (int n = 0; n < NT; ++n) {
    const int c = n * 8 + 2 * t;
    if (c < validCols) // validCols is a multiple of 8: pairs stay inside
      *reinterpret_cast<uint32_t *>(row + c) =
          packPair<T>(acc[n][2 * h2] * mul, acc[n][2 * h2 + 1] * mul);
  }
}

/// storeAccRow's fp32 form: stored (the split backward's partial dK/dV
/// planes, BwdParams::dkvPartial) or, with kAdd, added to an fp32 row
/// (BwdParams::accumulateF32; each element has one owner: plain
/// read-modify-write).
template <bool kAdd, int NT>
FG_DEVICE void writeAccRowF32(float *row, const float (&acc)[NT][4], int h2, int t,
                              int validCols, float mul) {
#pragma unroll
  for (int n = 0; n < NT; ++n) {
    const int c = n * 8 + 2 * t;
    if (c < validCols) {
      float2 *at = reinterpret_cast<float2 *>(row + c);
      float2 v = make_float2(acc[n][2 * h2] * mul, acc[n][2 * h2 + 1] * mul);
      if (kAdd) {
        const float2 old = *at;
        v = make_float2(old.x + v.x, old.y + v.y);
      }
      *at = v;
    }
  }
}

/// Two adjacent gradient elements at `at` (an even offset): in T, or added
/// to fp32 (BwdParams::accumulateF32): the conversion kernels' writes.
template <class T>
FG_DEVICE void writeGradPair(void *base, int64_t at, bool accumulateF32, float x, float y) {
  if (accumulateF32) {
    float2 *out = reinterpret_cast<float2 *>(static_cast<float *>(base) + at);
    const float2 old = *out;
    *out = make_float2(old.x + x, old.y + y);
  } else {
    *reinterpret_cast<uint32_t *>(static_cast<uint16_t *>(base) + at) = packPair<T>(x, y);
  }
}

/// One gradient row: in T, or added to fp32 (BwdParams::accumulateF32).
template <class T, int NT>
FG_DEVICE void storeGradRow(void *base, int64_t offset, bool accumulateF32,
                            const float (&acc)[NT][4], int h2, int t, int validCols, float mul) {
  if (accumulateF32)
    writeAccRowF32<true>(static_cast<float *>(base) + offset, acc, h2, t, validCols, mul);
  else
    storeAccRow<T>(static_cast<uint16_t *>(base) + offset, acc, h2, t, validCols, mul);
}

#endif // device code

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_FRAGMENTS_CUH
