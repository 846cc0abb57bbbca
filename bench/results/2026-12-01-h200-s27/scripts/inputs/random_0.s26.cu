// auto-generated from random_0.attn by flashgen 0.1.0; do not edit
// variant random_0: bf16, head dims 96/96, tiles 128x128, 8 warps, 2 stage(s), mma.sync
#include "flashgen/attention/FwdKernel.cuh"

namespace {
using namespace flashgen;

constexpr int kHeadDimQK = 96; // spec: 96
constexpr int kHeadDimV = 96; // spec: 96
constexpr int kBlockM = 128;
constexpr int kBlockN = 128;
constexpr int kWarps = 8;
constexpr int kStages = 2;
using Config = FwdConfig<BF16, kHeadDimQK, kHeadDimV, kBlockM, kBlockN, kWarps, kStages, true>;

struct Variant {
  static constexpr bool kVarlen = false;
  static constexpr bool kHasMask = true;
  static constexpr bool kHasScoreMod = true;
  static constexpr bool kHasDropout = false;
  static constexpr bool kMaskUnrollsColumns = true;
  /// kv tiles [jBegin, jEnd) that rows [q0, q1] may attend.
  FG_DEVICE static void kvTileRange(const FwdParams &p, int q0, int q1, int seqQ, int seqK, int bn, int &jBegin, int &jEnd) {
    // Band k - q' <= 0, q' = q, in the launch's frame.
    const long long off = (long long)p.frameQOffset - p.frameKOffset;
    const long long hi = (long long)q1 + off + (0);
    jEnd = hi < 0 ? 0 : min(jEnd, int(hi / bn) + 1);
  }
  /// The mask expression, per element.
  FG_DEVICE static bool userMask(const FwdParams &p, int b, int h, int q, int k, int seqQ, int seqK) {
    const bool v0 = (k <= q);
    const int v1 = lookup2<int, true, true>(p.tensors[0], b, q);
    const int v2 = lookup2<int, true, true>(p.tensors[0], b, k);
    const bool v3 = (v1 == v2);
    const bool v4 = (v0 & v3);
    return v4;
  }
  /// The mask and score functions clamp q or k into the sequence for
  /// their lookups unless kInSequence (the backward's callers split
  /// interior tiles: TileInSequence.cuh, which also asks for q < seqK
  /// and k < seqQ where a proof rests on them; the forward clamps).
  static constexpr bool kSequenceClamps = true;
  static constexpr bool kLookupsNeedQBelowSeqK = true;
  static constexpr bool kLookupsNeedKBelowSeqQ = false;
  template <bool kInSequence = false>
  FG_DEVICE static bool mask(const FwdParams &p, int b, int h, int q, int k, int seqQ, int seqK) {
    h += p.frameHeadOffset; q += p.frameQOffset; k += p.frameKOffset;
    seqQ = framedLength(seqQ, p.frameSeqQ); seqK = framedLength(seqK, p.frameSeqK);
    if (!kInSequence) { // lookups indexed by q/k are proven inside the sequences
      q = min(q, seqK - 1);
      k = min(k, seqK - 1);
    }
    return userMask(p, b, h, q, k, seqQ, seqK);
  }
  /// The score modifier on the scaled score.
  template <bool kInSequence = false>
  FG_DEVICE static float score(const FwdParams &p, float score, int b, int h, int q, int k, int seqQ, int seqK) {
    h += p.frameHeadOffset; q += p.frameQOffset; k += p.frameKOffset;
    seqQ = framedLength(seqQ, p.frameSeqQ); seqK = framedLength(seqK, p.frameSeqK);
    const float v0 = 30.0f;
    const float v1 = (score / v0);
    const float v2 = tanhf(v1);
    const float v3 = (v2 * v0);
    return v3;
  }
  static constexpr bool kRuntimeTileClasses = true;
  /// Without the builder's classes: every tile of the band, masked.
  FG_DEVICE static int tileClass(const FwdParams &, int, int, int, int, int, int, int, int) {
    return kTilePartial;
  }
  /// The mask over a whole tile: 0 empty, 1 full, 2 partial.
  FG_DEVICE static iv::Tri maskOverTileScan(const FwdParams &p, iv::Iv b, iv::Iv h, iv::Iv q, iv::Iv k, iv::Iv seqQ, iv::Iv seqK) {
    (void)p;
    const iv::Tri v0 = iv::le(k, q);
    const iv::Iv v1 = lookupScan<2>(p.tensors[0], {b, q});
    const iv::Iv v2 = lookupScan<2>(p.tensors[0], {b, k});
    const iv::Tri v3 = iv::eq(v1, v2);
    const iv::Tri v4 = iv::andT(v0, v3);
    return v4;
  }
  FG_DEVICE static int tileClassScan(const FwdParams &p, int b, int h, int q0, int q1, int k0, int k1, int seqQ, int seqK) {
    h += p.frameHeadOffset; q0 += p.frameQOffset; q1 += p.frameQOffset;
    k0 += p.frameKOffset; k1 += p.frameKOffset;
    seqQ = framedLength(seqQ, p.frameSeqQ); seqK = framedLength(seqK, p.frameSeqK);
    iv::Tri m = maskOverTileScan(p, iv::point(b), iv::point(h), iv::Iv{q0, q1}, iv::Iv{k0, k1}, iv::point(seqQ), iv::point(seqK));
    return m == 0 ? kTileEmpty : m == 1 ? kTileFull : kTilePartial;
  }
};

} // namespace

extern "C" __global__ void __launch_bounds__(256)
flashgen_fwd_random_0(const flashgen::FwdParams p) {
  flashgen::attentionForward<Config, Variant>(p);
}

// The tile classes this forward reads (TileClasses.cuh), built before.
extern "C" __global__ void __launch_bounds__(128)
flashgen_tile_classes_random_0(const flashgen::FwdParams p) {
  flashgen::buildTileClasses<Variant>(p, kBlockM, kBlockN);
}
