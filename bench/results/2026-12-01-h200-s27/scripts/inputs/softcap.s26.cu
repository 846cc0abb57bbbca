// auto-generated from softcap.attn by flashgen 0.1.0; do not edit
// variant softcap_gemma: bf16, head dims 256/256, tiles 128x64, 8 warps, 2 stage(s), wgmma (sm_90a)
#include "flashgen/attention/FwdKernelSm90Ws.cuh"

namespace {
using namespace flashgen;

constexpr int kHeadDimQK = 256; // spec: 256
constexpr int kHeadDimV = 256; // spec: 256
constexpr int kBlockM = 128;
constexpr int kBlockN = 64;
constexpr int kWarps = 8;
constexpr int kStages = 2;
using Config = FwdConfigSm90<BF16, kHeadDimQK, kHeadDimV, kBlockN, kWarps, kStages>;
static_assert(Config::kBlockM == kBlockM, "64 rows per warpgroup");
constexpr int kStagedColumnLookups = 0; // StagedColumns.h
static_assert(Config::kSmemBytes == 197760, "the planner's shared memory is the wgmma kernel's");
static_assert(WsRegisters<Config, 1>::kConsumer == 240, "the planner's register split is the kernel's");

struct Variant {
  static constexpr bool kVarlen = false;
  static constexpr bool kHasMask = true;
  static constexpr bool kHasScoreMod = true;
  static constexpr bool kHasDropout = false;
  static constexpr bool kMaskUnrollsColumns = false;
  /// kv tiles [jBegin, jEnd) that rows [q0, q1] may attend.
  FG_DEVICE static void kvTileRange(const FwdParams &p, int q0, int q1, int seqQ, int seqK, int bn, int &jBegin, int &jEnd) {
    // Band -4096 <= k - q' <= 0, q' = q, in the launch's frame.
    const long long off = (long long)p.frameQOffset - p.frameKOffset;
    const long long lo = (long long)q0 + off + (-4096);
    if (lo > 0) jBegin = max(jBegin, int(lo / bn));
    const long long hi = (long long)q1 + off + (0);
    jEnd = hi < 0 ? 0 : min(jEnd, int(hi / bn) + 1);
  }
  /// The mask expression, per element.
  FG_DEVICE static bool userMask(const FwdParams &p, int b, int h, int q, int k, int seqQ, int seqK) {
    const int v0 = 4096;
    const int v1 = int(unsigned(q) - unsigned(v0));
    const bool v2 = (v1 <= k);
    const bool v3 = (k <= q);
    const bool v4 = (v2 & v3);
    return v4;
  }
  /// The mask and score functions clamp q or k into the sequence for
  /// their lookups unless kInSequence (the backward's callers split
  /// interior tiles: TileInSequence.cuh, which also asks for q < seqK
  /// and k < seqQ where a proof rests on them; the forward clamps).
  static constexpr bool kSequenceClamps = false;
  static constexpr bool kLookupsNeedQBelowSeqK = false;
  static constexpr bool kLookupsNeedKBelowSeqQ = false;
  template <bool kInSequence = false>
  FG_DEVICE static bool mask(const FwdParams &p, int b, int h, int q, int k, int seqQ, int seqK) {
    h += p.frameHeadOffset; q += p.frameQOffset; k += p.frameKOffset;
    seqQ = framedLength(seqQ, p.frameSeqQ); seqK = framedLength(seqK, p.frameSeqK);
    return userMask(p, b, h, q, k, seqQ, seqK);
  }
  /// Mask lookups of one value per key (StagedColumns.h), staged per
  /// kv tile in shared memory by the producer warpgroup.
  static constexpr int kStagedColumns = kStagedColumnLookups;
  static constexpr bool kUseStagedColumns = false;
  /// The score modifier on the scaled score.
  template <bool kInSequence = false>
  FG_DEVICE static float score(const FwdParams &p, float score, int b, int h, int q, int k, int seqQ, int seqK) {
    h += p.frameHeadOffset; q += p.frameQOffset; k += p.frameKOffset;
    seqQ = framedLength(seqQ, p.frameSeqQ); seqK = framedLength(seqK, p.frameSeqK);
    const float v0 = 50.0f;
    const float v1 = (score / v0);
    const float v2 = tanhf(v1);
    const float v3 = (v2 * v0);
    return v3;
  }
  static constexpr bool kRuntimeTileClasses = false;
  /// The mask over a whole tile: 0 empty, 1 full, 2 partial.
  FG_DEVICE static iv::Tri maskOverTile(const FwdParams &p, iv::Iv b, iv::Iv h, iv::Iv q, iv::Iv k, iv::Iv seqQ, iv::Iv seqK) {
    (void)p;
    const iv::Iv v0 = iv::point(4096);
    const iv::Iv v1 = iv::sub(q, v0);
    const iv::Tri v2 = iv::le(v1, k);
    const iv::Tri v3 = iv::le(k, q);
    const iv::Tri v4 = iv::andT(v2, v3);
    return v4;
  }
  FG_DEVICE static int tileClass(const FwdParams &p, int b, int h, int q0, int q1, int k0, int k1, int seqQ, int seqK) {
    h += p.frameHeadOffset; q0 += p.frameQOffset; q1 += p.frameQOffset;
    k0 += p.frameKOffset; k1 += p.frameKOffset;
    seqQ = framedLength(seqQ, p.frameSeqQ); seqK = framedLength(seqK, p.frameSeqK);
    iv::Tri m = maskOverTile(p, iv::point(b), iv::point(h), iv::Iv{q0, q1}, iv::Iv{k0, k1}, iv::point(seqQ), iv::point(seqK));
    return m == 0 ? kTileEmpty : m == 1 ? kTileFull : kTilePartial;
  }
};

} // namespace

extern "C" __global__ void __launch_bounds__(384, 1)
flashgen_fwd_softcap_gemma(const __grid_constant__ flashgen::FwdParams p) {
  flashgen::attentionForwardSm90Ws<Config, Variant, 1>(p);
}
