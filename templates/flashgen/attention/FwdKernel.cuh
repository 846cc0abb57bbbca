//===- FwdKernel.cuh - FlashAttention-2 forward, sm_80+ mma.sync -*- CUDA -*-===//
//
// One CTA computes Br query rows of one (batch, head); each warp owns 16 or
// 32 of them (one or two 16-row MMA slices). Q is loaded once and its MMA fragments stay in registers.
// K/V tiles of Bc rows stream through `Stages` shared-memory buffers with
// cp.async (the next tile's copy overlaps this tile's math). Per tile:
//
//   S = Q K^T                  (mma.sync m16n8k16, fp32 accumulators)
//   S = score_mod(scale * S)   (Variant::score; identity folds the scale)
//   S = mask ? S : -inf        (only on Partial tiles and the ragged edge)
//   m' = max(m, rowmax S); O *= 2^(m - m'); l *= 2^(m - m')
//   P = 2^(S*log2e - m'); l += rowsum P; [dropout P]; O += P V
//
// Empty tiles (Variant::tileClass) are never loaded. O is divided by l and
// written once, with logsumexp = (m + log2 l) * ln 2 for the backward pass
// (+inf for rows with nothing to attend, whose O is 0).
//
// The S accumulators of two adjacent n-tiles are, after packing to 16 bits,
// exactly the A fragment of the P V product (k = 16 keys), so P never
// leaves registers.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_FWDKERNEL_CUH
#define FLASHGEN_ATTENTION_FWDKERNEL_CUH

#include "flashgen/attention/FwdRowBlock.cuh"
#include "flashgen/attention/TileClasses.cuh"
#include "flashgen/attention/Interval.cuh"
#include "flashgen/attention/Lookup.cuh"
#include "flashgen/attention/SmemTile.cuh"

namespace flashgen {

/// Compile-time shape of one kernel instantiation.
template <class T_, int HeadDimQK_, int HeadDimV_, int BlockM_, int BlockN_,
          int Warps_, int Stages_, bool QInRegisters_>
struct FwdConfig {
  using T = T_;
  static constexpr int kHeadDimQK = HeadDimQK_; // padded to 32
  static constexpr int kHeadDimV = HeadDimV_;
  static constexpr int kWarps = Warps_;
  static constexpr int kThreads = Warps_ * 32;
  static constexpr int kBlockM = BlockM_;
  /// 16-row MMA slices per warp: with two, every K/V fragment loaded from
  /// shared memory feeds two MMAs (half the ldmatrix traffic per FLOP).
  static constexpr int kMRep = BlockM_ / (16 * Warps_);
  static_assert(kMRep * 16 * Warps_ == BlockM_ && (kMRep == 1 || kMRep == 2),
                "each warp owns 16 or 32 query rows");
  static constexpr int kBlockN = BlockN_;
  static constexpr int kStages = Stages_;
  /// Keep Q's MMA fragments in registers for the whole K/V loop, or re-read
  /// them from shared memory every k-step (saves D/4 registers per thread).
  static constexpr bool kQInRegisters = QInRegisters_;
  static_assert(kBlockN % 16 == 0 && kHeadDimQK % 32 == 0 && kHeadDimV % 32 == 0,
                "tile shapes must be whole MMA tiles");
  static_assert(kStages == 1 || kStages == 2, "one or two K/V buffers");
  using QTile = SmemTile<kBlockM, kHeadDimQK>;
  using KTile = SmemTile<kBlockN, kHeadDimQK>;
  using VTile = SmemTile<kBlockN, kHeadDimV>;
  static constexpr int kSmemBytes =
      QTile::kBytes + kStages * (KTile::kBytes + VTile::kBytes);
};

template <class Cfg, class Variant>
FG_DEVICE void attentionForward(const FwdParams &p) {
  using T = typename Cfg::T;
  constexpr int D = Cfg::kHeadDimQK, DV = Cfg::kHeadDimV;
  constexpr int BM = Cfg::kBlockM, BN = Cfg::kBlockN;
  constexpr int kKSteps = D / 16;  // k-steps of Q K^T
  constexpr int kNTiles = BN / 8;  // n-tiles of S
  constexpr int kVTiles = DV / 8;  // n-tiles of O
  constexpr int kPSteps = BN / 16; // k-steps of P V
  constexpr int MR = Cfg::kMRep;    // 16-row slices per warp

  FwdRowBlock<Variant> rb;
  if (!rb.init(p, BM))
    return;
  const int h = rb.h, b = rb.b, seqQ = rb.seqQ, seqK = rb.seqK;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int g = lane / 4, t = lane % 4;

  extern __shared__ __align__(128) uint8_t smem[];
  const uint32_t sQ = smemAddress(smem);
  const uint32_t sK = sQ + Cfg::QTile::kBytes;
  const uint32_t sV = sK + Cfg::kStages * Cfg::KTile::kBytes;

  rb.startWalk(p, BN);
  const int jEnd = rb.jEnd;
  auto loadKV = [&](int j, int stage) {
    int rows = min(BN, seqK - j * BN);
    Cfg::KTile::template load<Cfg::kThreads>(
        sK + stage * Cfg::KTile::kBytes, rb.k + int64_t(j) * BN * p.kRowStride,
        p.kRowStride, rows, p.headDimQK, tid);
    Cfg::VTile::template load<Cfg::kThreads>(
        sV + stage * Cfg::VTile::kBytes, rb.v + int64_t(j) * BN * p.vRowStride,
        p.vRowStride, rows, p.headDimV, tid);
  };

  // Prologue: Q and the first non-empty K/V tile.
  Cfg::QTile::template load<Cfg::kThreads>(sQ, rb.q, p.qRowStride, rb.q1 - rb.q0 + 1,
                                           p.headDimQK, tid);
  int j = rb.firstTile();
  if (j < jEnd)
    loadKV(j, 0);
  cpAsyncCommit();

  float o[MR][kVTiles][4];
#pragma unroll
  for (int mr = 0; mr < MR; ++mr)
#pragma unroll
    for (int n = 0; n < kVTiles; ++n)
      o[mr][n][0] = o[mr][n][1] = o[mr][n][2] = o[mr][n][3] = 0.f;
  // Rows g and g+8 of each slice: index 2 * mr + {0, 1}.
  float rowMax[2 * MR], rowSum[2 * MR];
#pragma unroll
  for (int r = 0; r < 2 * MR; ++r) {
    rowMax[r] = negInf();
    rowSum[r] = 0.f;
  }
  // Q fragments of slice mr: k-step ks is an ldmatrix x4 of rows
  // warp*16*MR + mr*16 + lane%16, chunk ks*2 + lane/16.
  constexpr int kQFrags = Cfg::kQInRegisters ? kKSteps : 1;
  uint32_t qFrag[kQFrags][MR][4];
  auto loadQFrag = [&](uint32_t(&f)[4], int ks, int mr) {
    ldmatrixX4(f, sQ + Cfg::QTile::offset(warp * 16 * MR + mr * 16 + (lane % 16),
                                          ks * 2 + lane / 16));
  };
  bool qLoaded = false;
  const int warpRow0 = rb.q0 + warp * 16 * MR; // first query row of this warp
  const uint64_t bh = uint64_t(b) * p.heads + h;

  int stage = 0;
  while (j < jEnd) {
    const int jNext = rb.nextTile(j);
    if (Cfg::kStages == 2 && jNext < jEnd) {
      loadKV(jNext, stage ^ 1); // overlaps the math below
      cpAsyncCommit();
      cpAsyncWait<1>();
    } else {
      cpAsyncWait<0>();
    }
    __syncthreads();

    if (Cfg::kQInRegisters && !qLoaded) {
#pragma unroll
      for (int ks = 0; ks < kQFrags; ++ks)
#pragma unroll
        for (int mr = 0; mr < MR; ++mr)
          loadQFrag(qFrag[ks][mr], ks, mr);
      qLoaded = true;
    }

    // S = Q K^T for this warp's 16 rows x BN keys.
    const uint32_t kBase = sK + stage * Cfg::KTile::kBytes;
    float s[MR][kNTiles][4];
#pragma unroll
    for (int mr = 0; mr < MR; ++mr)
#pragma unroll
      for (int n = 0; n < kNTiles; ++n)
        s[mr][n][0] = s[mr][n][1] = s[mr][n][2] = s[mr][n][3] = 0.f;
#pragma unroll
    for (int ks = 0; ks < kKSteps; ++ks) {
      const int qi = Cfg::kQInRegisters ? ks : 0;
      if (!Cfg::kQInRegisters)
#pragma unroll
        for (int mr = 0; mr < MR; ++mr)
          loadQFrag(qFrag[0][mr], ks, mr);
#pragma unroll
      for (int n = 0; n < kNTiles; n += 2) {
        // Two n-tiles per ldmatrix: rows n*8 + (lane%8) + (lane/16)*8,
        // chunk ks*2 + (lane/8)%2.
        uint32_t kf[4];
        int r = n * 8 + (lane % 8) + (lane / 16) * 8;
        int c = ks * 2 + (lane / 8) % 2;
        ldmatrixX4(kf, kBase + Cfg::KTile::offset(r, c));
#pragma unroll
        for (int mr = 0; mr < MR; ++mr) {
          mma16816<T>(s[mr][n], qFrag[qi][mr], kf[0], kf[1]);
          mma16816<T>(s[mr][n + 1], qFrag[qi][mr], kf[2], kf[3]);
        }
      }
    }

    const int k0 = j * BN;
    const FragmentCoords at{warpRow0, k0, g, t};
    const float sc = scoreAndMask<Variant>(s, p, rb.classOf(j), b, h, at, seqQ, seqK);
    float correction[2 * MR];
    onlineSoftmax(s, rowMax, rowSum, sc, correction);
    rescaleRows(o, correction);
    applyDropout<Variant>(s, p, bh, at);

    // O += P V: P's accumulators are the A fragments (16 keys per k-step).
    const uint32_t vBase = sV + stage * Cfg::VTile::kBytes;
#pragma unroll
    for (int ks = 0; ks < kPSteps; ++ks) {
      uint32_t pf[MR][4];
#pragma unroll
      for (int mr = 0; mr < MR; ++mr)
        packP<T>(pf[mr], s, mr, ks);
#pragma unroll
      for (int n = 0; n < kVTiles; n += 2) {
        // Transposed: rows (keys) ks*16 + (lane%8) + ((lane/8)%2)*8,
        // chunk n + lane/16.
        uint32_t vf[4];
        int r = ks * 16 + (lane % 8) + ((lane / 8) % 2) * 8;
        int c = n + lane / 16;
        ldmatrixX4Trans(vf, vBase + Cfg::VTile::offset(r, c));
#pragma unroll
        for (int mr = 0; mr < MR; ++mr) {
          mma16816<T>(o[mr][n], pf[mr], vf[0], vf[1]);
          mma16816<T>(o[mr][n + 1], pf[mr], vf[2], vf[3]);
        }
      }
    }

    __syncthreads(); // this stage's buffers may be overwritten next
    if (Cfg::kStages == 1 && jNext < jEnd) {
      loadKV(jNext, 0);
      cpAsyncCommit();
    }
    if (Cfg::kStages == 2)
      stage ^= 1;
    j = jNext;
  }

  storeOutput<T, Variant>(o, rowMax, rowSum, p, b, h, rb.qRow0,
                          FragmentCoords{warpRow0, 0, g, t}, seqQ, rb.split);
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_FWDKERNEL_CUH
