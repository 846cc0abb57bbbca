//===- BwdKernel.cuh - attention backward, sm_80+ mma.sync ------*- CUDA -*-===//
//
// Gradients from the forward's O(N) state (logsumexp) by recomputing P tile
// by tile, in three kernels:
//
//   preprocess  D = rowsum(dO * O) and logsumexp in the log2 domain, padded
//               to whole tiles (+inf / 0 past the sequence), so the main
//               kernels load them with 16-byte copies and no bounds checks.
//   dK/dV       kv-major: a CTA owns Bc = 16 * warps keys (16 per warp) and
//               streams Q/dO tiles of Br rows over every query head of its
//               kv-head group (GQA/MQA sums there, in registers):
//                 S^T = K Q^T, P^T = exp2(f(scale S^T) log2e - lse2)
//                 dV += dropout(P)^T dO
//                 dP^T = V dO^T, dS^T = P^T * (dropout(dP^T) - D) * f'
//                 dK += dS^T Q                         (dK *= scale at the end)
//   dQ          q-major, the mirror: a CTA owns 16 * warps query rows and
//               streams K/V tiles of Br keys: S, P, dP = dO V^T, dS as
//               above, dQ += dS K.
//
// Two ways to get dQ. Deterministic: the dQ kernel above; no atomics
// anywhere, every gradient element is summed by one thread in a fixed
// order, so results are bit-identical run to run (the price is S and dP
// computed twice, 7 products per tile pair instead of 5). Fast (the
// default where the tile shape allows, BwdConfig::kAtomicDQ): the dK/dV
// kernel also computes dQ += dS K for each streamed tile (dS^T goes through
// shared memory to be read query-major) and adds it into an fp32
// accumulator with atomics (5 products); a last kernel scales and converts
// it. The summation order of the atomics varies from run to run. On sm_90a
// (head dims padded to 64/128) the fast kernel is BwdKernelSm90.cuh's
// wgmma one instead; it shares the walk (BwdKeyBlock.cuh) and the element
// math (BwdTileMath below) with this file's kernels.
//
// Every product is one of the forward's fragment patterns (Fragments.cuh):
// the accumulators of the first product, packed to 16 bits, are the A
// operand of the next, so P and dS never leave registers.
//
// Skipped tiles: both loops ask Variant::tileClass about (query range, key
// range) exactly as the forward does, or read the run-time classes its
// builder wrote (TileClasses.cuh: builtTileClass), so empty tiles are never
// loaded and full tiles skip the mask. The band's closed form gives the dK/dV loop
// its query-tile range (Variant::qTileRange, the transposed kvTileRange).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_BWDKERNEL_CUH
#define FLASHGEN_ATTENTION_BWDKERNEL_CUH

#include "flashgen/attention/FwdKernel.cuh"
#include "flashgen/attention/BwdKeyBlock.cuh"
#include "flashgen/attention/Fragments.cuh"
#include "flashgen/attention/TileInSequence.cuh"

namespace flashgen {

/// Compile-time shape of the backward kernels: a resident block of
/// 16 * Warps rows (keys for dK/dV, queries for dQ) and streamed tiles of
/// BlockStream rows.
template <class T_, int HeadDimQK_, int HeadDimV_, int BlockStream_, int Warps_,
          int Stages_>
struct BwdConfig {
  using T = T_;
  static constexpr int kHeadDimQK = HeadDimQK_;
  static constexpr int kHeadDimV = HeadDimV_;
  static constexpr int kWarps = Warps_;
  static constexpr int kThreads = Warps_ * 32;
  static constexpr int kBlockResident = 16 * Warps_;
  static constexpr int kBlockStream = BlockStream_;
  static constexpr int kStages = Stages_;
  static_assert(kBlockStream % 16 == 0 && kBlockStream <= 128, "streamed tile: 16..128 rows");
  static_assert(kStages == 1 || kStages == 2, "one or two streamed buffers");
  using ResQK = SmemTile<kBlockResident, kHeadDimQK>; // K (dK/dV) or Q (dQ)
  using ResV = SmemTile<kBlockResident, kHeadDimV>;   // V (dK/dV) or dO (dQ)
  using StrQK = SmemTile<kBlockStream, kHeadDimQK>;   // Q (dK/dV) or K (dQ)
  using StrV = SmemTile<kBlockStream, kHeadDimV>;     // dO (dK/dV) or V (dQ)
  static constexpr int kStatBytes = 2 * kBlockStream * 4; // lse2 and D per stage
  /// dS^T of one streamed tile (resident rows x streamed rows, 16-bit), the
  /// fast path's operand for dQ += dS K.
  static constexpr int kDSBytes = kBlockResident * kBlockStream * 2;
  static constexpr int kSmemBytes = ResQK::kBytes + ResV::kBytes +
                                    kStages * (StrQK::kBytes + StrV::kBytes + kStatBytes) +
                                    kDSBytes;
  /// How the fused kernel's warps split the Br x dqk block of dQ: m-tiles
  /// of 16 rows, each shared by kDQWarpsPerM warps (or several per warp).
  static constexpr int kDQMTiles = kBlockStream / 16;
  static constexpr int kDQWarpsPerM = kWarps >= kDQMTiles ? kWarps / kDQMTiles : 1;
  static constexpr int kDQMPerWarp = kWarps >= kDQMTiles ? 1 : kDQMTiles / kWarps;
  static constexpr int kDQNPerWarp = kHeadDimQK / 8 / kDQWarpsPerM;
  /// The fused atomic-dQ kernel exists for this shape (host twin:
  /// attn::backwardHasAtomicDQ).
  static constexpr bool kAtomicDQ =
      kBlockStream % 32 == 0 &&
      (kWarps >= kDQMTiles ? kDQWarpsPerM * kDQMTiles == kWarps
                           : kDQMPerWarp * kWarps == kDQMTiles) &&
      kDQNPerWarp * kDQWarpsPerM * 8 == kHeadDimQK && kDQNPerWarp % 2 == 0 &&
      kHeadDimQK + kHeadDimV <= 256;
};

/// The row-per-warp kernels (preprocessing, dQ conversion): this CTA's
/// kBwdPreprocessRows rows, each warp a consecutive share; fn(q) for the
/// rows below `rowEnd`.
template <class Fn> FG_DEVICE void forEachWarpRow(int rowEnd, Fn fn) {
  constexpr int kRowsPerWarp = kBwdPreprocessRows / (kBwdPreprocessThreads / 32);
  const int warp = threadIdx.x / 32;
  for (int i = 0; i < kRowsPerWarp; ++i) {
    const int q = blockIdx.x * kBwdPreprocessRows + warp * kRowsPerWarp + i;
    if (q >= rowEnd)
      return;
    fn(q);
  }
}

//===----------------------------------------------------------------------===//
// Preprocessing: D and lse2, padded to seqPad rows.
//===----------------------------------------------------------------------===//
/// Lanes that share one row of the preprocessing's dot products: a power of
/// two (the reduction is a butterfly within the group) from 4 (a pass's
/// rows stay within a warp's 8) to 32, each lane at least one 16-byte chunk
/// where the row has them.
FG_HOST_DEVICE constexpr int bwdPreprocessLanesPerRow(int headDimV) {
  int lanes = 32;
  while (lanes > 4 && lanes * 8 > headDimV)
    lanes /= 2;
  return lanes;
}

template <class Cfg, class Variant>
FG_DEVICE void attentionBackwardPreprocess(const BwdParams &bp) {
  using T = typename Cfg::T;
  const FwdParams &p = bp.f;
  const int h = blockIdx.y, b = blockIdx.z;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const SeqBounds sb = seqBounds<Variant>(p, b);
  const int64_t ws = workspaceRow0(bp, b, h);
  // A warp's rows in passes of 32 / kLanes rows, every load of every pass
  // issued before the first reduction: one row at a time kept a few
  // 16-byte loads per lane in flight (half the lanes idle at head dim
  // 128), ~50% of the copy bandwidth on the H200 (2026-12-02-h200-s30.md).
  constexpr int kRowsPerWarp = kBwdPreprocessRows / (kBwdPreprocessThreads / 32);
  constexpr int kLanes = bwdPreprocessLanesPerRow(Cfg::kHeadDimV);
  constexpr int kRowsPerPass = 32 / kLanes;
  constexpr int kPasses = (kRowsPerWarp + kRowsPerPass - 1) / kRowsPerPass;
  constexpr int kChunks = (Cfg::kHeadDimV / 8 + kLanes - 1) / kLanes; // per lane
  static_assert(kRowsPerWarp % kRowsPerPass == 0, "whole passes");
  const int qWarp = blockIdx.x * kBwdPreprocessRows + warp * kRowsPerWarp;
  const int rowInPass = lane / kLanes, laneInRow = lane % kLanes;
  // Every load first (predicated, no branches between them), then the math.
  uint4 ov[kPasses][kChunks], gv[kPasses][kChunks];
  float lse[kPasses];
#pragma unroll
  for (int i = 0; i < kPasses; ++i) {
    const int q = qWarp + i * kRowsPerPass + rowInPass;
    const bool inSeq = q < sb.seqQ;
    const int qc = inSeq ? q : 0; // an address in range either way
    const uint16_t *o = static_cast<const uint16_t *>(p.o) +
                        rowOffset<Variant>(b, sb.qRow0, qc, h, p.oBatchStride, p.oRowStride,
                                           p.oHeadStride);
    const uint16_t *dO = static_cast<const uint16_t *>(bp.dO) +
                         rowOffset<Variant>(b, sb.qRow0, qc, h, bp.dOBatchStride,
                                            bp.dORowStride, bp.dOHeadStride);
#pragma unroll
    for (int k = 0; k < kChunks; ++k) {
      const int c = (k * kLanes + laneInRow) * 8;
      ov[i][k] = gv[i][k] = make_uint4(0, 0, 0, 0);
      // Rows are 16-byte aligned and headDimV a multiple of 8.
      if (inSeq && c < p.headDimV) {
        ov[i][k] = *reinterpret_cast<const uint4 *>(o + c);
        gv[i][k] = *reinterpret_cast<const uint4 *>(dO + c);
      }
    }
    const int64_t li = Variant::kVarlen ? h * p.lseHeadStride + sb.qRow0 + q
                                        : b * p.lseBatchStride + h * p.lseHeadStride + q;
    lse[i] = inSeq && laneInRow == 0 ? p.lse[li] : posInf(); // padding rows: P = 0
  }
#pragma unroll
  for (int i = 0; i < kPasses; ++i) {
    float d = 0.f;
#pragma unroll
    for (int k = 0; k < kChunks; ++k) {
      const uint32_t ow[4] = {ov[i][k].x, ov[i][k].y, ov[i][k].z, ov[i][k].w};
      const uint32_t gw[4] = {gv[i][k].x, gv[i][k].y, gv[i][k].z, gv[i][k].w};
#pragma unroll
      for (int w = 0; w < 4; ++w)
        d += toFloat<T>(uint16_t(ow[w])) * toFloat<T>(uint16_t(gw[w])) +
             toFloat<T>(uint16_t(ow[w] >> 16)) * toFloat<T>(uint16_t(gw[w] >> 16));
    }
#pragma unroll
    for (int m = kLanes / 2; m >= 1; m /= 2)
      d += __shfl_xor_sync(0xffffffff, d, m);
    const int q = qWarp + i * kRowsPerPass + rowInPass;
    if (laneInRow == 0 && q < bp.seqPad) {
      bp.dsum[ws + q] = d;
      bp.lse2[ws + q] = lse[i] * 1.4426950408889634f; // +inf stays +inf: P = 0
    }
  }
  if (bp.dqAccum || bp.dqOrder)
    forEachWarpRow(bp.seqPad, [&](int q) {
      if (bp.dqAccum) {
        float4 *acc = reinterpret_cast<float4 *>(bp.dqAccum + (ws + q) * Cfg::kHeadDimQK);
        for (int c = lane; c < Cfg::kHeadDimQK / 4; c += 32)
          acc[c] = make_float4(0.f, 0.f, 0.f, 0.f);
      }
      if (bp.dqOrder && lane == 0 && q % kBwdOrderRows == 0)
        *dqOrderCounter(bp, b, h, q) = 0;
    });
}

//===----------------------------------------------------------------------===//
// Shared per-element step: raw score -> P (and f'), with mask and edges.
//===----------------------------------------------------------------------===//

/// P for one element from its raw score `s`, log2-domain logsumexp `l2` and
/// coordinates; `grad` receives f'(scale * s) (1 without a score modifier,
/// 0 where masked). `keep`: the element is attended (in both sequences,
/// and the mask on a partial tile: bwdKeepBits()); `edge`: its tile is not
/// inside (tileInSequence).
template <class Variant>
FG_DEVICE float recomputeP(const FwdParams &p, float s, float l2, int b, int h, int q,
                           int k, int seqQ, int seqK, bool keep, bool edge, float &grad) {
  if constexpr (!Variant::kHasScoreMod) {
    // Nothing to look up: the exponential of every element, then a select.
    // (Behind a branch on `keep`, each element's lse2 load, scale, FMA and
    // exponential were predicated and reloaded per element.) A dropped
    // element's value may be inf or NaN (rows past the sequence); the
    // select, not a product, discards it.
    const float e = exp2f_approx(fmaf(s, p.scaleLog2, -l2));
    grad = keep ? 1.f : 0.f;
    return keep ? e : 0.f;
  } else {
    if (!keep) {
      grad = 0.f;
      return 0.f;
    }
    const float x = s * p.scale;
    // Kept elements are inside both sequences, so their lookups need no
    // clamp, unless a proof also rests on q < seqK or k < seqQ: then only
    // off the edge.
    auto eval = [&](auto inSequence) {
      constexpr bool kIn = decltype(inSequence)::value;
      grad = Variant::template scoreGrad<kIn>(p, x, b, h, q, k, seqQ, seqK);
      return exp2f_approx(Variant::template score<kIn>(p, x, b, h, q, k, seqQ, seqK) *
                              1.4426950408889634f -
                          l2);
    };
    constexpr bool kKeptInSequence =
        !Variant::kLookupsNeedQBelowSeqK && !Variant::kLookupsNeedKBelowSeqQ;
    return kKeptInSequence || !edge ? eval(StaticBool<true>{}) : eval(StaticBool<false>{});
  }
}

/// The keep decisions of a tile's elements (OnlineSoftmax.cuh's ElementBits:
/// one rolled copy of the mask expression, not one per element): query and
/// key inside their sequences (tested only at an `edge`), and the mask where
/// `partial`. coords(n, e, q, k) gives element (n, e)'s query and key.
/// maskAt(q, k, inSequence): the mask of element (q, k) (Variant::mask<
/// inSequence>, or with staged lookups Variant::maskStagedRows<inSequence>).
template <class Variant, int NT, class Coords, class MaskAt>
FG_DEVICE ElementBits<1, NT> bwdKeepBits(const FwdParams &p, int b, int h, bool partial,
                                         bool edge, int seqQ, int seqK, Coords coords,
                                         MaskAt maskAt) {
  ElementBits<1, NT> keep;
  const bool checkMask = Variant::kHasMask && partial;
  // Off the edge (tileInSequence) every element of the tile is in both
  // sequences: no test of the sequence ends (two compares and their
  // combination per element of a mask's partial tile), and no clamp for
  // the mask's lookups (kSequenceClamps, as the forward's).
  auto evalWith = [&](auto inSequence, auto atEdge) {
    keep.template eval<Variant::kMaskUnrollsColumns>([&](int, int n, int e) {
      int q, k;
      coords(n, e, q, k);
      const bool inside = !decltype(atEdge)::value || ((k < seqK) & (q < seqQ));
      // Without short-circuits, as the forward's (OnlineSoftmax.cuh).
      return inside & (!checkMask | maskAt(q, k, inSequence));
    });
  };
  if (edge)
    evalWith(StaticBool<false>{}, StaticBool<true>{});
  else if (checkMask)
    Variant::kSequenceClamps ? evalWith(StaticBool<true>{}, StaticBool<false>{})
                             : evalWith(StaticBool<false>{}, StaticBool<false>{});
  else
    keep.setAll();
  return keep;
}

/// The dropout keep decisions of a tile's elements (a Philox call each, in
/// one rolled copy).
template <class Variant, int NT, class Coords>
FG_DEVICE ElementBits<1, NT> bwdDropoutBits(const FwdParams &p, uint64_t bh, Coords coords) {
  ElementBits<1, NT> keep;
  if (Variant::kHasDropout)
    keep.eval([&](int, int n, int e) {
      int q, k;
      coords(n, e, q, k);
      return dropoutKeep(p.seed, p.offset, bh, q, k, p.dropoutP);
    });
  return keep;
}

/// dst[0] += a, dst[1] += b in global memory, without returning the old
/// values (one vector reduction on sm_90, two scalar ones before).
FG_DEVICE void atomicAddPair(float *dst, float a, float b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("red.global.add.v2.f32 [%0], {%1, %2};\n" ::"l"(dst), "f"(a), "f"(b) : "memory");
#else
  asm volatile("red.global.add.f32 [%0], %1;\n" ::"l"(dst), "f"(a) : "memory");
  asm volatile("red.global.add.f32 [%0], %1;\n" ::"l"(dst + 1), "f"(b) : "memory");
#endif
}

/// Raw scores -> P in place for one warp's tile in the m16n8 accumulator
/// layout, either orientation (S^T of the kv-major kernels, S of the dQ
/// kernels): coords(n, e, q, k) places element (n, e), l2Of(n, e) is its
/// row's log2-domain logsumexp, maskAt(q, k, inSequence) the mask
/// (bwdKeepBits); `grad` receives f' with a score modifier. A tile inside
/// both sequences that needs no mask keeps every element: its own copy of
/// the loop, with no keep test per element. (Behind a run-time test, every
/// element's lse2 load, scale and exponential were predicated, and the
/// compiler reloaded them per element: ~3 more instructions each on the
/// backward's critical path.)
template <class Variant, int NT, class Coords, class MaskAt, class L2Of>
FG_DEVICE void recomputeTileP(float (&s)[NT][4], float (&grad)[Variant::kHasScoreMod ? NT : 1][4],
                              const FwdParams &p, int b, int h, bool partial, bool edge,
                              int seqQ, int seqK, Coords coords, MaskAt maskAt, L2Of l2Of) {
  auto pass = [&](auto allKept) {
    constexpr bool kAllKept = decltype(allKept)::value;
    ElementBits<1, NT> keep;
    if constexpr (!kAllKept)
      keep = bwdKeepBits<Variant, NT>(p, b, h, partial, edge, seqQ, seqK, coords, maskAt);
#pragma unroll
    for (int n = 0; n < NT; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        int q, k;
        coords(n, e, q, k);
        float gr;
        s[n][e] = recomputeP<Variant>(p, s[n][e], l2Of(n, e), b, h, q, k, seqQ, seqK,
                                      kAllKept || keep.test(0, n, e), !kAllKept && edge, gr);
        if (Variant::kHasScoreMod)
          grad[Variant::kHasScoreMod ? n : 0][e] = gr;
      }
  };
  if (!edge && !(Variant::kHasMask && partial))
    pass(StaticBool<true>{});
  else
    pass(StaticBool<false>{});
}

/// The elementwise half of a kv-major step for one warp's 16 keys x 8 NT
/// queries, in the m16n8 accumulator layout (element e of n-tile n: key
/// kRow + g + (e / 2) * 8, query q0 + n * 8 + 2t + e % 2). Shared by the
/// mma.sync and wgmma kernels, whose accumulators are laid out alike.
template <class Variant, int NT> struct BwdTileMath {
  float grad[Variant::kHasScoreMod ? NT : 1][4];
  ElementBits<1, NT> keepBits; // dropout's; unset without dropout

  /// Raw scores S^T -> P^T in place (and f', and the dropout mask).
  /// `partial`: evaluate the mask; `edge`: the tile is not inside
  /// (tileInSequence: it crosses a sequence end).
  /// kStaged: the mask's row lookups from `stagedRows` (StagedColumns.h),
  /// kStagedStride values per lookup (the streamed tile's rows), from row q0.
  template <bool kStaged = false, int kStagedStride = NT * 8>
  FG_DEVICE void recompute(float (&s)[NT][4], const FwdParams &p, const float *lse2, int b,
                           int h, int kRow, int q0, int g, int t, bool partial, bool edge,
                           int seqQ, int seqK, const uint32_t *stagedRows = nullptr) {
    const uint64_t bh = uint64_t(b) * p.heads + h;
    auto coords = [&](int n, int e, int &q, int &k) {
      k = kRow + g + (e / 2) * 8;
      q = q0 + n * 8 + 2 * t + (e % 2);
    };
    auto maskAt = [&](int q, int k, auto inSequence) {
      if constexpr (kStaged) {
        uint32_t row[Variant::kStagedRows];
#pragma unroll
        for (int c = 0; c < Variant::kStagedRows; ++c)
          row[c] = stagedRows[c * kStagedStride + (q - q0)];
        return Variant::template maskStagedRows<decltype(inSequence)::value>(p, b, h, q, k,
                                                                            seqQ, seqK, row);
      } else {
        return Variant::template mask<decltype(inSequence)::value>(p, b, h, q, k, seqQ, seqK);
      }
    };
    keepBits = bwdDropoutBits<Variant, NT>(p, bh, coords);
    recomputeTileP<Variant, NT>(s, grad, p, b, h, partial, edge, seqQ, seqK, coords, maskAt,
                                [&](int n, int e) { return lse2[n * 8 + 2 * t + (e % 2)]; });
  }

  /// The dropout factor of element (n, e): 1/(1-p) kept, 0 dropped.
  FG_DEVICE float dropMul(const FwdParams &p, int n, int e) const {
    if (!Variant::kHasDropout)
      return 1.f;
    return keepBits.test(0, n, e) ? p.dropoutScale : 0.f;
  }

  /// One element of dS^T = P^T * (dropout(dP^T) - D) * f', given P^T and
  /// dropout(dP^T) (n, e: the element's place in the accumulator).
  FG_DEVICE float dS(float pv, float dpv, const float *dsum, int n, int e, int t) const {
    float ds = pv * (dpv - dsum[n * 8 + 2 * t + (e % 2)]);
    if (Variant::kHasScoreMod)
      ds *= grad[Variant::kHasScoreMod ? n : 0][e];
    return ds;
  }

  /// dS^T, in place over P^T.
  FG_DEVICE void gradient(float (&s)[NT][4], const float (&dp)[NT][4], const FwdParams &p,
                          const float *dsum, int t) const {
#pragma unroll
    for (int n = 0; n < NT; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        s[n][e] = dS(s[n][e], dp[n][e] * dropMul(p, n, e), dsum, n, e, t);
  }
};

/// The mirror of BwdTileMath for the q-major dQ kernels: one warp's 16
/// queries x 8 NT keys in the m16n8 accumulator layout (element e of n-tile
/// n: query qRow + g + (e / 2) * 8, key k0 + n * 8 + 2t + e % 2); each
/// thread's two rows have their logsumexp and D in registers.
template <class Variant, int NT> struct BwdRowTileMath {
  float grad[Variant::kHasScoreMod ? NT : 1][4];
  ElementBits<1, NT> kept; // dropout's; unset without dropout

  /// Raw scores S -> P in place (and f', and the dropout mask). l2: the
  /// log2-domain logsumexp of rows g and g + 8.
  FG_DEVICE void recompute(float (&s)[NT][4], const FwdParams &p, const float (&l2)[2], int b,
                           int h, int qRow, int k0, int g, int t, bool partial, bool edge,
                           int seqQ, int seqK) {
    const uint64_t bh = uint64_t(b) * p.heads + h;
    auto coords = [&](int n, int e, int &q, int &k) {
      q = qRow + g + (e / 2) * 8;
      k = k0 + n * 8 + 2 * t + (e % 2);
    };
    kept = bwdDropoutBits<Variant, NT>(p, bh, coords);
    recomputeTileP<Variant, NT>(
        s, grad, p, b, h, partial, edge, seqQ, seqK, coords,
        [&](int q, int k, auto inSequence) {
          return Variant::template mask<decltype(inSequence)::value>(p, b, h, q, k, seqQ, seqK);
        },
        [&](int, int e) { return l2[e / 2]; });
  }

  /// dS = P * (dropout(dP) - D) * f', in place over P; dsum: D of rows g
  /// and g + 8.
  FG_DEVICE void gradient(float (&s)[NT][4], const float (&dp)[NT][4], const FwdParams &p,
                          const float (&dsum)[2]) const {
#pragma unroll
    for (int n = 0; n < NT; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        float dpv = dp[n][e];
        if (Variant::kHasDropout)
          dpv = kept.test(0, n, e) ? dpv * p.dropoutScale : 0.f;
        float ds = s[n][e] * (dpv - dsum[e / 2]);
        if (Variant::kHasScoreMod)
          ds *= grad[Variant::kHasScoreMod ? n : 0][e];
        s[n][e] = ds;
      }
  }
};

/// The kv-major kernels' epilogue: this warp's rows of dK * scale and dV
/// (16 keys from kRow); keys past the sequence are not written. Keys no
/// query attends get zeros (their CTA still runs). dkCol0 / dvCol0: the
/// first column the fragments hold (the wide kernel's warpgroups each hold
/// a part of the head dim).
template <class T, class Variant, bool DoDK, bool DoDV, int DT, int VT>
FG_DEVICE void storeKeyGradients(const BwdParams &bp, const BwdKeyBlock<Variant> &kb,
                                 const float (&dk)[DT][4], const float (&dv)[VT][4], int kRow,
                                 int g, int t, int dkCol0 = 0, int dvCol0 = 0) {
  const FwdParams &p = bp.f;
#pragma unroll
  for (int h2 = 0; h2 < 2; ++h2) {
    const int k = kRow + g + h2 * 8;
    if (k >= kb.sb.seqK)
      continue;
    if (bp.dkvPartial) { // split heads: this part's sums, fp32, for the conversion
      float *row = kb.dkvPartialRow(bp, k);
      if constexpr (DoDK)
        writeAccRowF32<false>(row + dkCol0, dk, h2, t, p.headDimQK - dkCol0, p.scale);
      if constexpr (DoDV)
        writeAccRowF32<false>(row + p.headDimQK + dvCol0, dv, h2, t, p.headDimV - dvCol0, 1.f);
      continue;
    }
    if constexpr (DoDK)
      storeGradRow<T>(bp.dK,
                      rowOffset<Variant>(kb.b, kb.sb.kRow0, k, kb.hk, bp.dKBatchStride,
                                         bp.dKRowStride, bp.dKHeadStride) +
                          dkCol0,
                      bp.accumulateF32, dk, h2, t, p.headDimQK - dkCol0, p.scale);
    if constexpr (DoDV)
      storeGradRow<T>(bp.dV,
                      rowOffset<Variant>(kb.b, kb.sb.kRow0, k, kb.hk, bp.dVBatchStride,
                                         bp.dVRowStride, bp.dVHeadStride) +
                          dvCol0,
                      bp.accumulateF32, dv, h2, t, p.headDimV - dvCol0, 1.f);
  }
}

//===----------------------------------------------------------------------===//
// dK, dV: kv-major.
//===----------------------------------------------------------------------===//

/// What one dK/dV launch computes: both, or (large head dims, where full
/// rows of both do not fit in registers) one of them per launch.
enum BwdPart : int { kPartDKDV = 0, kPartDV = 1, kPartDK = 2 };

template <class Cfg, class Variant, int Part = kPartDKDV, bool AtomicDQ = false>
FG_DEVICE void attentionBackwardDKDV(const BwdParams &bp) {
  constexpr bool kDoDV = Part != kPartDK, kDoDK = Part != kPartDV;
  static_assert(!AtomicDQ || (Part == kPartDKDV && Cfg::kAtomicDQ),
                "the fused dQ needs dS (both passes) and a shape that splits");
  using T = typename Cfg::T;
  const FwdParams &p = bp.f;
  constexpr int D = Cfg::kHeadDimQK, DV = Cfg::kHeadDimV;
  constexpr int BC = Cfg::kBlockResident, BR = Cfg::kBlockStream;
  constexpr int kNT = BR / 8;    // n-tiles of S^T (query columns)
  constexpr int kQSteps = BR / 16;
  constexpr int kDTiles = D / 8, kVTiles = DV / 8;

  BwdKeyBlock<Variant> kb;
  if (!kb.init(bp, BC, BR))
    return;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int g = lane / 4, t = lane % 4;
  const int b = kb.b, seqQ = kb.sb.seqQ, seqK = kb.sb.seqK, k0 = kb.k0;

  extern __shared__ __align__(128) uint8_t smem[];
  const uint32_t sK = smemAddress(smem);
  const uint32_t sV = sK + Cfg::ResQK::kBytes;
  const uint32_t sQ = sV + Cfg::ResV::kBytes;
  const uint32_t sdO = sQ + Cfg::kStages * Cfg::StrQK::kBytes;
  const uint32_t sStat = sdO + Cfg::kStages * Cfg::StrV::kBytes;
  const uint32_t sDS = sStat + Cfg::kStages * Cfg::kStatBytes;
  float *statBase = reinterpret_cast<float *>(smem + (sStat - sK));

  kb.template loadKeys<typename Cfg::ResQK, typename Cfg::ResV, Cfg::kThreads>(p, sK, sV, tid);
  cpAsyncCommit();

  float dk[kDoDK ? kDTiles : 1][4], dv[kDoDV ? kVTiles : 1][4];
  zeroAcc(dk);
  zeroAcc(dv);

  auto loadTile = [&](int item, int stage) {
    kb.template loadItem<typename Cfg::StrQK, typename Cfg::StrV, Cfg::kThreads>(
        bp, item, sQ + stage * Cfg::StrQK::kBytes, sdO + stage * Cfg::StrV::kBytes,
        sStat + stage * Cfg::kStatBytes, tid);
  };

  int cls = kTileEmpty;
  int item = kb.next(p, -1, cls);
  if (item < kb.items)
    loadTile(item, 0);
  cpAsyncCommit();

  const int kRowW = k0 + warp * 16; // this warp's first key
  int stage = 0;
  while (item < kb.items) {
    int clsNext = kTileEmpty;
    const int itemNext = kb.next(p, item, clsNext);
    if (Cfg::kStages == 2 && itemNext < kb.items) {
      loadTile(itemNext, stage ^ 1);
      cpAsyncCommit();
      cpAsyncWait<1>();
    } else {
      cpAsyncWait<0>();
    }
    __syncthreads();

    const int h = kb.head(item), q0 = kb.q0(item);
    const uint32_t qBase = sQ + stage * Cfg::StrQK::kBytes;
    const uint32_t dOBase = sdO + stage * Cfg::StrV::kBytes;
    const float *lse2 = statBase + stage * (Cfg::kStatBytes / 4);
    const float *dsum = lse2 + BR;

    // S^T = K Q^T: this warp's 16 keys x BR queries.
    float s[kNT][4];
    zeroAcc(s);
    mmaRowsTimesRows<T, typename Cfg::ResQK, typename Cfg::StrQK, D / 16>(s, sK, warp * 16,
                                                                          qBase, lane);
    // P^T (and f'), in place.
    BwdTileMath<Variant, kNT> math;
    math.recompute(s, p, lse2, b, h, kRowW, q0, g, t, cls == kTilePartial,
                   !tileInSequence<Variant>(q0 + BR, k0 + BC, seqQ, seqK), seqQ, seqK);
    auto dropMul = [&](int n, int e) { return math.dropMul(p, n, e); };

    // dV += dropout(P)^T dO.
    if constexpr (kDoDV)
      mmaPackedTimesCols<T, typename Cfg::StrV, kQSteps>(dv, s, dropMul, dOBase, lane);

    if constexpr (kDoDK) {
    // dP^T = V dO^T.
    float dp[kNT][4];
    zeroAcc(dp);
    mmaRowsTimesRows<T, typename Cfg::ResV, typename Cfg::StrV, DV / 16>(dp, sV, warp * 16,
                                                                         dOBase, lane);
    // dS^T, into s; dK += dS^T Q.
    math.gradient(s, dp, p, dsum, t);
    mmaPackedTimesCols<T, typename Cfg::StrQK, kQSteps>(dk, s, [](int, int) { return 1.f; },
                                                        qBase, lane);

    if constexpr (AtomicDQ) {
      // dQ[q0.., :] += dS K: dS^T through shared memory (read query-major),
      // K resident; each warp a share of the Br x dqk block, added into the
      // fp32 accumulator with atomics.
      using DSTile = SmemTile<BC, BR>;
      storeAccToTile<T, DSTile>(sDS, s, warp * 16, lane);
      __syncthreads();
      float *acc = kb.dqAccumRows(bp, item, D);
      // Four 8-column tiles at a time: fewer live accumulators next to the
      // resident dK and dV rows (the A fragments are re-read per chunk).
      constexpr int kNP = Cfg::kDQNPerWarp, kChunk = kNP % 4 == 0 ? 4 : 2;
#pragma unroll
      for (int mi = 0; mi < Cfg::kDQMPerWarp; ++mi)
#pragma unroll
        for (int nc = 0; nc < kNP; nc += kChunk) {
          const int m = (warp / Cfg::kDQWarpsPerM) * Cfg::kDQMPerWarp + mi;
          const int nBase = (warp % Cfg::kDQWarpsPerM) * kNP + nc;
          float dq[kChunk][4];
          zeroAcc(dq);
          mmaColsTimesCols<T, DSTile, typename Cfg::ResQK, BC / 16>(dq, sDS, m * 16, sK, nBase,
                                                                  lane);
#pragma unroll
          for (int n = 0; n < kChunk; ++n)
#pragma unroll
            for (int h2 = 0; h2 < 2; ++h2)
              atomicAddPair(acc + (m * 16 + g + h2 * 8) * D + (nBase + n) * 8 + 2 * t,
                            dq[n][2 * h2], dq[n][2 * h2 + 1]);
        }
    }
    }

    __syncthreads(); // this stage may be overwritten next
    if (Cfg::kStages == 1 && itemNext < kb.items) {
      loadTile(itemNext, 0);
      cpAsyncCommit();
    }
    if (Cfg::kStages == 2)
      stage ^= 1;
    item = itemNext;
    cls = clsNext;
  }
  cpAsyncWait<0>(); // K/V (if no query tile was visited)
  storeKeyGradients<T, Variant, kDoDK, kDoDV>(bp, kb, dk, dv, kRowW, g, t);
}

//===----------------------------------------------------------------------===//
// Split heads (BwdParams::kvSplit > 1): dK and dV = the planes' sums, in
// their layouts. Grid: (seqPadK / kBwdPreprocessRows, kv heads, batch).
//===----------------------------------------------------------------------===//
template <class Cfg, class Variant>
FG_DEVICE void attentionBackwardConvertDKDV(const BwdParams &bp) {
  using T = typename Cfg::T;
  const FwdParams &p = bp.f;
  const int hk = blockIdx.y, b = blockIdx.z;
  const int lane = threadIdx.x % 32, width = p.headDimQK + p.headDimV;
  const SeqBounds sb = seqBounds<Variant>(p, b);
  const int64_t planeFloats = int64_t(p.batch) * p.kvHeads * bp.seqPadK * width;
  forEachWarpRow(sb.seqK, [&](int k) {
    const float *partial = bp.dkvPartial + ((int64_t(b) * p.kvHeads + hk) * bp.seqPadK + k) * width;
    const int64_t atK = rowOffset<Variant>(b, sb.kRow0, k, hk, bp.dKBatchStride, bp.dKRowStride,
                                           bp.dKHeadStride);
    const int64_t atV = rowOffset<Variant>(b, sb.kRow0, k, hk, bp.dVBatchStride, bp.dVRowStride,
                                           bp.dVHeadStride);
    // Columns of dK then dV, two per lane (both head dims are multiples of 8).
    for (int c = lane * 2; c < width; c += 64) {
      float x = 0.f, y = 0.f;
      for (int j = 0; j < bp.kvSplit; ++j) { // in plane order: bit-identical runs
        const float2 v = *reinterpret_cast<const float2 *>(partial + j * planeFloats + c);
        x += v.x;
        y += v.y;
      }
      const bool isK = c < p.headDimQK;
      writeGradPair<T>(isK ? bp.dK : bp.dV, isK ? atK + c : atV + (c - p.headDimQK),
                       bp.accumulateF32, x, y);
    }
  });
}

//===----------------------------------------------------------------------===//
// The fast path's last step: dQ = scale * accumulator, in dQ's layout.
//===----------------------------------------------------------------------===//
template <class Cfg, class Variant>
FG_DEVICE void attentionBackwardConvertDQ(const BwdParams &bp) {
  using T = typename Cfg::T;
  const FwdParams &p = bp.f;
  const int h = blockIdx.y, b = blockIdx.z;
  const int lane = threadIdx.x % 32;
  const SeqBounds sb = seqBounds<Variant>(p, b);
  forEachWarpRow(sb.seqQ, [&](int q) {
    const float *acc = bp.dqAccum + (workspaceRow0(bp, b, h) + q) * Cfg::kHeadDimQK;
    const int64_t at = rowOffset<Variant>(b, sb.qRow0, q, h, bp.dQBatchStride, bp.dQRowStride,
                                          bp.dQHeadStride);
    for (int c = lane * 2; c < p.headDimQK; c += 64) // headDimQK is a multiple of 8
      writeGradPair<T>(bp.dQ, at + c, bp.accumulateF32, acc[c] * p.scale, acc[c + 1] * p.scale);
  });
}

//===----------------------------------------------------------------------===//
// dQ: q-major.
//===----------------------------------------------------------------------===//
template <class Cfg, class Variant>
FG_DEVICE void attentionBackwardDQ(const BwdParams &bp) {
  using T = typename Cfg::T;
  const FwdParams &p = bp.f;
  constexpr int D = Cfg::kHeadDimQK, DV = Cfg::kHeadDimV;
  constexpr int BM = Cfg::kBlockResident, BN = Cfg::kBlockStream;
  constexpr int kNT = BN / 8; // n-tiles of S (key columns)
  constexpr int kKSteps = BN / 16;
  constexpr int kDTiles = D / 8;

  const int mBlock = gridDim.x - 1 - blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int g = lane / 4, t = lane % 4;
  const SeqBounds sb = seqBounds<Variant>(p, b);
  const int seqQ = sb.seqQ, seqK = sb.seqK;
  const int q0 = mBlock * BM;
  if (q0 >= seqQ)
    return;
  const int q1 = min(q0 + BM, seqQ) - 1;
  const int hk = h / (p.heads / p.kvHeads);

  extern __shared__ __align__(128) uint8_t smem[];
  const uint32_t sQ = smemAddress(smem);
  const uint32_t sdO = sQ + Cfg::ResQK::kBytes;
  const uint32_t sK = sdO + Cfg::ResV::kBytes;
  const uint32_t sV = sK + Cfg::kStages * Cfg::StrQK::kBytes;

  loadSeqRows<typename Cfg::ResQK, Cfg::kThreads, Variant>(
      sQ, p.q, b, sb.qRow0, q0, h, p.qBatchStride, p.qRowStride, p.qHeadStride, q1 - q0 + 1,
      p.headDimQK, tid);
  loadSeqRows<typename Cfg::ResV, Cfg::kThreads, Variant>(
      sdO, bp.dO, b, sb.qRow0, q0, h, bp.dOBatchStride, bp.dORowStride, bp.dOHeadStride,
      q1 - q0 + 1, p.headDimV, tid);

  const uint16_t *kPtr = static_cast<const uint16_t *>(p.k) +
                         rowOffset<Variant>(b, sb.kRow0, 0, hk, p.kBatchStride,
                                            p.kRowStride, p.kHeadStride);
  const uint16_t *vPtr = static_cast<const uint16_t *>(p.v) +
                         rowOffset<Variant>(b, sb.kRow0, 0, hk, p.vBatchStride,
                                            p.vRowStride, p.vHeadStride);
  // The kv tiles this block visits (empty ones skipped).
  BwdQueryBlockWalk<Variant> walk(p, b, h, q0, q1, seqQ, seqK, BN);
  const int jEnd = walk.jEnd;
  auto loadKV = [&](int j, int stage) {
    const int rows = min(BN, seqK - j * BN);
    Cfg::StrQK::template load<Cfg::kThreads>(sK + stage * Cfg::StrQK::kBytes,
                                             kPtr + int64_t(j) * BN * p.kRowStride,
                                             p.kRowStride, rows, p.headDimQK, tid);
    Cfg::StrV::template load<Cfg::kThreads>(sV + stage * Cfg::StrV::kBytes,
                                            vPtr + int64_t(j) * BN * p.vRowStride,
                                            p.vRowStride, rows, p.headDimV, tid);
  };
  int cls = kTileEmpty;
  int j = walk.next(walk.jBegin - 1, cls);
  if (j < jEnd)
    loadKV(j, 0);
  cpAsyncCommit();

  // This thread's rows: g and g + 8 of the warp's slice.
  const int qRowW = q0 + warp * 16;
  const int64_t ws = workspaceRow0(bp, b, h);
  float l2[2], dsumRow[2];
#pragma unroll
  for (int h2 = 0; h2 < 2; ++h2) {
    l2[h2] = bp.lse2[ws + qRowW + g + h2 * 8]; // padded: always in range
    dsumRow[h2] = bp.dsum[ws + qRowW + g + h2 * 8];
  }
  float dq[kDTiles][4];
  zeroAcc(dq);

  int stage = 0;
  while (j < jEnd) {
    int clsNext = kTileEmpty;
    const int jNext = walk.next(j, clsNext);
    if (Cfg::kStages == 2 && jNext < jEnd) {
      loadKV(jNext, stage ^ 1);
      cpAsyncCommit();
      cpAsyncWait<1>();
    } else {
      cpAsyncWait<0>();
    }
    __syncthreads();
    const uint32_t kBase = sK + stage * Cfg::StrQK::kBytes;
    const uint32_t vBase = sV + stage * Cfg::StrV::kBytes;
    const int k0 = j * BN;

    // S = Q K^T, dP = dO V^T.
    float s[kNT][4], dp[kNT][4];
    zeroAcc(s);
    zeroAcc(dp);
    mmaRowsTimesRows<T, typename Cfg::ResQK, typename Cfg::StrQK, D / 16>(s, sQ, warp * 16,
                                                                          kBase, lane);
    mmaRowsTimesRows<T, typename Cfg::ResV, typename Cfg::StrV, DV / 16>(dp, sdO, warp * 16,
                                                                         vBase, lane);

    // dS = P * (dropout(dP) - D) * f', in place over S.
    BwdRowTileMath<Variant, kNT> math;
    math.recompute(s, p, l2, b, h, qRowW, k0, g, t, cls == kTilePartial,
                   !tileInSequence<Variant>(q0 + BM, k0 + BN, seqQ, seqK), seqQ, seqK);
    math.gradient(s, dp, p, dsumRow);

    // dQ += dS K.
    mmaPackedTimesCols<T, typename Cfg::StrQK, kKSteps>(dq, s, [](int, int) { return 1.f; },
                                                        kBase, lane);

    __syncthreads();
    if (Cfg::kStages == 1 && jNext < jEnd) {
      loadKV(jNext, 0);
      cpAsyncCommit();
    }
    if (Cfg::kStages == 2)
      stage ^= 1;
    j = jNext;
    cls = clsNext;
  }
  cpAsyncWait<0>();

#pragma unroll
  for (int h2 = 0; h2 < 2; ++h2) {
    const int q = qRowW + g + h2 * 8;
    if (q >= seqQ)
      continue;
    storeGradRow<T>(bp.dQ,
                    rowOffset<Variant>(b, sb.qRow0, q, h, bp.dQBatchStride, bp.dQRowStride,
                                       bp.dQHeadStride),
                    bp.accumulateF32, dq, h2, t, p.headDimQK, p.scale);
  }
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_BWDKERNEL_CUH
