// auto-generated from alibi.attn by flashgen 0.1.0; do not edit
// variant alibi_gqa: bf16, head dims 128/128, tiles 128x128, 8 warps, 2 stage(s), wgmma (sm_90a)
#include "flashgen/attention/FwdKernelSm90Ws.cuh"

namespace {
using namespace flashgen;

constexpr int kHeadDimQK = 128; // spec: 128
constexpr int kHeadDimV = 128; // spec: 128
constexpr int kBlockM = 128;
constexpr int kBlockN = 128;
constexpr int kWarps = 8;
constexpr int kStages = 2;
using Config = FwdConfigSm90<BF16, kHeadDimQK, kHeadDimV, kBlockN, kWarps, kStages>;
static_assert(Config::kBlockM == kBlockM, "64 rows per warpgroup");
static_assert(Config::kSmemBytes == 164992, "the planner's shared memory is the wgmma kernel's");
static_assert(WsRegisters<Config, 1>::kConsumer == 240, "the planner's register split is the kernel's");

struct Variant {
  static constexpr bool kVarlen = false;
  static constexpr bool kHasMask = true;
  static constexpr bool kHasScoreMod = true;
  static constexpr bool kHasDropout = false;
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
    return v0;
  }
  FG_DEVICE static bool mask(const FwdParams &p, int b, int h, int q, int k, int seqQ, int seqK) {
    h += p.frameHeadOffset; q += p.frameQOffset; k += p.frameKOffset;
    seqQ = framedLength(seqQ, p.frameSeqQ); seqK = framedLength(seqK, p.frameSeqK);
    return userMask(p, b, h, q, k, seqQ, seqK);
  }
  /// The score modifier on the scaled score.
  FG_DEVICE static float score(const FwdParams &p, float score, int b, int h, int q, int k, int seqQ, int seqK) {
    h += p.frameHeadOffset; q += p.frameQOffset; k += p.frameKOffset;
    seqQ = framedLength(seqQ, p.frameSeqQ); seqK = framedLength(seqK, p.frameSeqK);
    const float v0 = lookup1<float, true>(p.tensors[0], h);
    const int v1 = int(unsigned(q) - unsigned(k));
    const float v2 = float(v1);
    const float v3 = (v0 * v2);
    const float v4 = (score - v3);
    return v4;
  }
  static constexpr bool kRuntimeTileClasses = false;
  /// The mask over a whole tile: 0 empty, 1 full, 2 partial.
  FG_DEVICE static iv::Tri maskOverTile(const FwdParams &p, iv::Iv b, iv::Iv h, iv::Iv q, iv::Iv k, iv::Iv seqQ, iv::Iv seqK) {
    (void)p;
    const iv::Tri v0 = iv::le(k, q);
    return v0;
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
flashgen_fwd_alibi_gqa(const __grid_constant__ flashgen::FwdParams p) {
  flashgen::attentionForwardSm90Ws<Config, Variant, 1>(p);
}
