//===- OnlineSoftmax.cuh - the forward's per-tile register math -*- CUDA -*-===//
//
// What one warp does to its S tile between the two products, shared by the
// mma.sync (FwdKernel.cuh) and wgmma (FwdKernelSm90.cuh) forward kernels:
// both hold S and O in the m16n8 accumulator layout, MR 16-row slices per
// warp, s[mr][n][e] = row warpRow0 + 16 mr + g + 8 (e / 2), column
// k0 + 8 n + 2 t + (e % 2)  (lane = 4 g + t).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_ONLINESOFTMAX_CUH
#define FLASHGEN_ATTENTION_ONLINESOFTMAX_CUH

#include "flashgen/attention/FwdDecoding.cuh"
#include "flashgen/attention/Params.cuh"
#include "flashgen/attention/Philox.cuh"

namespace flashgen {

enum TileClassCode : int { kTileEmpty = 0, kTileFull = 1, kTilePartial = 2 };

/// Where this thread's fragment elements sit in the attention matrix.
struct FragmentCoords {
  int warpRow0; // first query row of the warp
  int k0;       // first key of the tile
  int g, t;     // lane / 4, lane % 4
  FG_DEVICE int row(int mr, int e) const { return warpRow0 + mr * 16 + g + (e / 2) * 8; }
  FG_DEVICE int col(int n, int e) const { return k0 + n * 8 + t * 2 + (e % 2); }
};

/// Per-element decisions (mask, ragged edge, dropout) as bits: bit i % 32
/// of bits[i / 32] is element i = 4 (NT mr + n) + e's. The decision is
/// evaluated in a rolled loop over (mr, n), the 4 elements of one n-tile
/// per iteration, so its code exists once instead of once per element of
/// the unrolled fragment loops: mask expressions with lookups and Philox
/// are most of a variant's code, and NVRTC's time follows code size
/// (bench/results/2026-11-29-cpu-jit-codesize-s8.md). Register arrays keep
/// compile-time indices: the words are updated by an unrolled select.
template <int MR, int NT> struct ElementBits {
  static constexpr int kWords = (MR * NT * 4 + 31) / 32;
  uint32_t w[kWords];

  FG_DEVICE void setAll() {
#pragma unroll
    for (int i = 0; i < kWords; ++i)
      w[i] = ~0u;
  }
  /// bits = decide(mr, n, e) for every element. The row slices unrolled
  /// and the columns in a loop: what decide() computes from the row alone
  /// (a mask's per-row lookups, doc_id[b, q]) is invariant in that loop and
  /// is computed once per row instead of once per element. kUnrollColumns
  /// (Variant::kMaskUnrollsColumns: a small mask that reads tensors)
  /// unrolls the columns too, so that every column's loads are issued
  /// together instead of one iteration waiting on a load's latency after
  /// another (documents: the rolled loop was most of a partial tile).
  template <bool kUnrollColumns = false, class Decide> FG_DEVICE void eval(Decide decide) {
#pragma unroll
    for (int i = 0; i < kWords; ++i)
      w[i] = 0u;
    if (kUnrollColumns) {
#pragma unroll
      for (int mr = 0; mr < MR; ++mr)
#pragma unroll
        for (int n = 0; n < NT; ++n)
          setNibble(mr, n, decide);
    } else {
#pragma unroll
      for (int mr = 0; mr < MR; ++mr)
#pragma unroll 1
        for (int n = 0; n < NT; ++n)
          setNibble(mr, n, decide);
    }
  }
  /// The 4 bits of slice mr's n-tile n.
  template <class Decide> FG_DEVICE void setNibble(int mr, int n, Decide &decide) {
    const int f = mr * NT + n;
    uint32_t nibble = 0;
#pragma unroll
    for (int e = 0; e < 4; ++e)
      nibble |= uint32_t(bool(decide(mr, n, e))) << e;
#pragma unroll
    for (int i = 0; i < kWords; ++i)
      w[i] |= f / 8 == i ? nibble << (4 * (f % 8)) : 0u;
  }
  /// Element (mr, n, e)'s bit; the indices are compile-time in unrolled loops.
  FG_DEVICE bool test(int mr, int n, int e) const {
    const int i = 4 * (NT * mr + n) + e;
    return (w[i / 32] >> (i % 32)) & 1u;
  }
};

/// Score modifier, mask and the log2-domain scale. Most tiles are plain
/// (Full, not at the ragged edge, no score modifier): S stays raw and the
/// scale is folded into the exponent's FFMA, so they pay nothing per
/// element. Others get -inf where masked (k >= seqK, or the mask on a
/// Partial tile: decided once per element into ElementBits, then applied
/// by a select); only a score modifier rewrites S into the log2 domain.
/// Returns the factor onlineSoftmax() applies on the way into exp2. `cls` and the edge test
/// are uniform across the CTA.
/// kStaged: the mask's key-indexed lookups come from `stagedColumns`
/// (StagedColumns.h; per lookup, NT * 8 values of the tile's keys).
/// scoreDescale: fp8's per-head factor of the scores (HeadFactors), on top
/// of p.scale; the 16-bit kernels pass the constant 1, which folds away.
template <class Variant, bool kStaged = false, int MR, int NT>
FG_DEVICE float scoreAndMask(float (&s)[MR][NT][4], const FwdParams &p, int cls, int b,
                             int h, const FragmentCoords &at, int seqQ, int seqK,
                             const uint32_t *stagedColumns = nullptr,
                             float scoreDescale = 1.f) {
  const float scale = p.scale * scoreDescale, scaleLog2 = p.scaleLog2 * scoreDescale;
  auto maskAt = [&](int q, int k) {
    if constexpr (kStaged) {
      uint32_t col[Variant::kStagedColumns];
#pragma unroll
      for (int c = 0; c < Variant::kStagedColumns; ++c)
        col[c] = stagedColumns[c * NT * 8 + (k - at.k0)];
      return Variant::maskStaged(p, b, h, q, k, seqQ, seqK, col);
    } else {
      return Variant::mask(p, b, h, q, k, seqQ, seqK);
    }
  };
  const bool edge = at.k0 + NT * 8 > seqK;
  if (!Variant::kHasScoreMod && cls == kTileFull && !edge)
    return scaleLog2;
  const bool partial = Variant::kHasMask && cls == kTilePartial;
  // One copy of the mask and score code, which clamps q and k into the
  // sequence for the lookups proven there (kSequenceClamps; a clamp per row
  // and column of the fragment). Interior tiles used to get a second,
  // unclamped copy: no faster on the H200 (document masks from a tensor,
  // within 1.5%), and NVRTC's time follows the copies (a document mask with
  // a soft cap: 1.16 -> 0.80 s; bench/results/2026-12-01-h200-s23.md).
  if constexpr (Variant::kMaskUnrollsColumns) {
    // Without a score modifier a tile that is not partial is a full one at
    // the sequence's edge: keys past seqK only. The loop below then knows
    // its tile is partial, no per-element test of the tile's class.
    if (!Variant::kHasScoreMod && !partial) {
#pragma unroll
      for (int i = 0; i < MR * NT * 4; ++i) {
        const int mr = i / (NT * 4), n = (i / 4) % NT, e = i % 4;
        if (at.col(n, e) >= seqK)
          s[mr][n][e] = negInf();
      }
      return scaleLog2;
    }
    // Unrolled anyway: each element's decision straight into its select,
    // without packing it into ElementBits and unpacking it again (~2
    // instructions per element of a partial tile).
#pragma unroll
    for (int i = 0; i < MR * NT * 4; ++i) {
      const int mr = i / (NT * 4), n = (i / 4) % NT, e = i % 4;
      const int q = at.row(mr, e), k = at.col(n, e);
      // (partial is true here without a score modifier: a constant)
      const bool kept =
          (k < seqK) & (!(partial || !Variant::kHasScoreMod) | maskAt(q, k));
      float x = s[mr][n][e];
      if (Variant::kHasScoreMod)
        x = Variant::score(p, x * scale, b, h, q, k, seqQ, seqK) * 1.4426950408889634f;
      s[mr][n][e] = kept ? x : negInf();
    }
    return Variant::kHasScoreMod ? 1.f : scaleLog2;
  }
  // A rolled mask (kMaskUnrollsColumns false here): decided into bits.
  ElementBits<MR, NT> keep;
  if (edge || partial)
    keep.eval([&](int mr, int n, int e) {
      const int q = at.row(mr, e), k = at.col(n, e);
      // Without short-circuits: the mask's loads (clamped or proven in
      // range, so safe at any k) are issued together instead of each
      // behind its own branch and wait (documents from a tensor: 1.9x).
      return (k < seqK) & (!partial | maskAt(q, k));
    });
  else
    keep.setAll();
  // Without a score modifier S stays raw here too (-inf where masked, and
  // -inf * scale is -inf): the scale stays folded into the exponent's FFMA,
  // one multiply per element less on every partial tile.
#pragma unroll
  for (int i = 0; i < MR * NT * 4; ++i) {
    const int mr = i / (NT * 4), n = (i / 4) % NT, e = i % 4;
    float x = s[mr][n][e];
    if (Variant::kHasScoreMod)
      x = Variant::score(p, x * scale, b, h, at.row(mr, e), at.col(n, e), seqQ, seqK) *
          1.4426950408889634f;
    s[mr][n][e] = keep.test(mr, n, e) ? x : negInf();
  }
  return Variant::kHasScoreMod ? 1.f : scaleLog2;
}

/// How far (log2 units) a row's maximum may rise before O and the sum are
/// rescaled to it: until then P = 2^(S*sc - max) is computed against the
/// old maximum and reaches at most 2^kRescaleSlack (256: inside fp8 e4m3's
/// 448 and f16's range), and the O rescale, a multiply per O element per
/// tile, is skipped by whole warps (FlashAttention-4's conditional
/// rescaling; after the first tiles of a row it almost never happens).
constexpr float kRescaleSlack = 8.f;

/// The online-softmax step: rows g and g+8 of each slice; 4 lanes share a
/// row. The running max is kept in the log2 domain (scale applied), up to
/// kRescaleSlack below the row's true maximum. S becomes P = 2^(S*sc -
/// max), the running sums are rescaled, and `correction` says by how much
/// the caller must rescale O's rows (rescaleRows), which the wgmma kernel
/// does only once the previous P V product has landed. The logsumexp,
/// max + log2(sum), is exact whichever max the sums are relative to. The
/// rows go side by side through each phase (maxima, shuffles, exponentials)
/// so that their latencies overlap. (Reductions in four independent
/// chains per row measured 1-3% slower on the fp8 and causal kernels
/// than these plain ones: bench/results/2026-12-01-h200-s22.md.)
template <int MR, int NT>
FG_DEVICE void onlineSoftmax(float (&s)[MR][NT][4], float (&rowMax)[2 * MR],
                             float (&rowSum)[2 * MR], float sc, float (&correction)[2 * MR]) {
  constexpr int R = 2 * MR;
  float mx[R];
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const int mr = r / 2, h2 = r % 2; // slice, and row g or g+8
    mx[r] = negInf();
#pragma unroll
    for (int n = 0; n < NT; ++n)
      mx[r] = fmaxf(mx[r], fmaxf(s[mr][n][2 * h2], s[mr][n][2 * h2 + 1]));
  }
#pragma unroll
  for (int r = 0; r < R; ++r)
    mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffff, mx[r], 1));
#pragma unroll
  for (int r = 0; r < R; ++r)
    mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffff, mx[r], 2));
  float mUse[R];
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const float mNew = fmaxf(rowMax[r], mx[r] * sc); // scale > 0 keeps the order
    // Keep the old maximum while the new one is within the slack (false
    // while the row has none: -inf - -inf is NaN).
    const bool keep = mNew - rowMax[r] <= kRescaleSlack;
    const float m = keep ? rowMax[r] : mNew;
    // A row with nothing attended yet keeps max -inf; use 0 so that
    // -inf - max stays -inf instead of NaN.
    mUse[r] = m == negInf() ? 0.f : m;
    correction[r] = keep ? 1.f : exp2f_approx(rowMax[r] - mUse[r]);
    rowMax[r] = m;
  }
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const int mr = r / 2, h2 = r % 2;
    float sum = 0.f;
#pragma unroll
    for (int n = 0; n < NT; ++n) {
      s[mr][n][2 * h2] = exp2f_approx(fmaf(s[mr][n][2 * h2], sc, -mUse[r]));
      s[mr][n][2 * h2 + 1] = exp2f_approx(fmaf(s[mr][n][2 * h2 + 1], sc, -mUse[r]));
      sum += s[mr][n][2 * h2] + s[mr][n][2 * h2 + 1];
    }
    rowSum[r] = rowSum[r] * correction[r] + sum;
  }
}

/// O's rows times the corrections of onlineSoftmax(); skipped by a warp
/// none of whose rows moved its maximum (corrections all 1).
template <int MR, int VT>
FG_DEVICE void rescaleRows(float (&o)[MR][VT][4], const float (&correction)[2 * MR]) {
  bool moved = false;
#pragma unroll
  for (int r = 0; r < 2 * MR; ++r)
    moved |= correction[r] != 1.f;
  if (!__any_sync(0xffffffff, moved))
    return;
#pragma unroll
  for (int r = 0; r < 2 * MR; ++r) {
    const int mr = r / 2, h2 = r % 2;
#pragma unroll
    for (int n = 0; n < VT; ++n) {
      o[mr][n][2 * h2] *= correction[r];
      o[mr][n][2 * h2 + 1] *= correction[r];
    }
  }
}

/// Dropout acts on P after the normalizer saw it (as in the paper). The
/// keep decisions (a Philox call each) go through ElementBits.
template <class Variant, int MR, int NT>
FG_DEVICE void applyDropout(float (&s)[MR][NT][4], const FwdParams &p, uint64_t bh,
                            const FragmentCoords &at) {
  if (!Variant::kHasDropout)
    return;
  ElementBits<MR, NT> keep;
  keep.eval([&](int mr, int n, int e) {
    return dropoutKeep(p.seed, p.offset, bh, at.row(mr, e), at.col(n, e), p.dropoutP);
  });
#pragma unroll
  for (int i = 0; i < MR * NT * 4; ++i) {
    const int mr = i / (NT * 4), n = (i / 4) % NT, e = i % 4;
    s[mr][n][e] = keep.test(mr, n, e) ? s[mr][n][e] * p.dropoutScale : 0.f;
  }
}

/// Packs P's accumulators for k-step ks (keys 16 ks .. 16 ks + 15) into the
/// A fragment of the P V product.
template <class T, int MR, int NT>
FG_DEVICE void packP(uint32_t (&pf)[4], const float (&s)[MR][NT][4], int mr, int ks) {
  pf[0] = packPair<T>(s[mr][2 * ks][0], s[mr][2 * ks][1]);
  pf[1] = packPair<T>(s[mr][2 * ks][2], s[mr][2 * ks][3]);
  pf[2] = packPair<T>(s[mr][2 * ks + 1][0], s[mr][2 * ks + 1][1]);
  pf[3] = packPair<T>(s[mr][2 * ks + 1][2], s[mr][2 * ks + 1][3]);
}

/// Epilogue: full row sums, normalize, write O and logsumexp
/// ((max + log2 sum) ln 2; +inf for rows with nothing to attend, whose O is 0).
/// Split-KV (p.kvSplits > 1): this CTA's part `split` of the keys, to the
/// fp32 partial buffers instead, its logsumexp -inf where it saw no key
/// (the combine entry, Merge.cuh, writes O and lse).
template <class T, class Variant, int MR, int VT>
FG_DEVICE void storeOutput(const float (&o)[MR][VT][4], const float (&rowMax)[2 * MR],
                           const float (&rowSum)[2 * MR], const FwdParams &p, int b, int h,
                           int64_t qRow0, const FragmentCoords &at, int seqQ, int split) {
  uint16_t *oPtr = static_cast<uint16_t *>(p.o) + (Variant::kVarlen ? 0 : b * p.oBatchStride) +
                   qRow0 * p.oRowStride + h * p.oHeadStride;
#pragma unroll
  for (int r = 0; r < 2 * MR; ++r) {
    const int mr = r / 2, h2 = r % 2;
    float sum = rowSum[r];
    sum += __shfl_xor_sync(0xffffffff, sum, 1);
    sum += __shfl_xor_sync(0xffffffff, sum, 2);
    const float inv = sum > 0.f ? 1.f / sum : 0.f;
    const int q = at.row(mr, 2 * h2);
    if (q >= seqQ)
      continue;
    if (kFwdDecoding && p.kvSplits > 1) {
      const int64_t slot = (int64_t(split) * p.heads + h) * p.partialRows +
                           fwdPartialRow(p, Variant::kVarlen, b, qRow0, q);
      float *row = p.oPartial + slot * p.headDimV;
#pragma unroll
      for (int n = 0; n < VT; ++n) {
        int c = n * 8 + at.t * 2;
        if (c < Variant::kHeadDimV) // a multiple of 8: pairs stay inside, 8-byte aligned
          *reinterpret_cast<float2 *>(row + c) =
              make_float2(o[mr][n][2 * h2] * inv, o[mr][n][2 * h2 + 1] * inv);
      }
      if (at.t == 0)
        p.lsePartial[slot] =
            sum > 0.f ? (rowMax[r] + __log2f(sum)) * 0.6931471805599453f : negInf();
      continue;
    }
    uint16_t *row = oPtr + int64_t(q) * p.oRowStride;
#pragma unroll
    for (int n = 0; n < VT; ++n) {
      int c = n * 8 + at.t * 2;
      if (c < Variant::kHeadDimV) // a multiple of 8: pairs stay inside; a constant, so
                                 // the test folds away where no column is padding
        *reinterpret_cast<uint32_t *>(row + c) =
            packPair<T>(o[mr][n][2 * h2] * inv, o[mr][n][2 * h2 + 1] * inv);
    }
    if (p.lse && at.t == 0) {
      float lse = sum > 0.f ? (rowMax[r] + __log2f(sum)) * 0.6931471805599453f : posInf();
      int64_t idx = Variant::kVarlen ? h * p.lseHeadStride + qRow0 + q
                                     : b * p.lseBatchStride + h * p.lseHeadStride + q;
      p.lse[idx] = lse;
    }
  }
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_ONLINESOFTMAX_CUH
