//===- EmitCuda.cpp - a KernelSpec as CUDA C++ ------------------*- C++ -*-===//
#include "flashgen/Codegen/EmitCuda.h"

#include "llvm/ADT/StringExtras.h"
#include "flashgen/Codegen/EmitExpr.h"
#include "flashgen/Dialect/Attn/Analysis/LookupRanges.h"
#include "flashgen/Dialect/Attn/Analysis/StagedColumns.h"

#include "llvm/Support/raw_ostream.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

#include "flashgen/attention/Params.cuh" // kTileClassThreads

#include <algorithm>

using namespace flashgen;
using namespace flashgen::attn;
using namespace flashgen::codegen;

namespace {

/// The prologue that moves a variant function's indices into the launch's
/// frame (Params.cuh: FwdParams::frame*), so the spec's expressions see
/// positions of the whole problem when the launch covers a part of it.
constexpr const char *kFramePrologue =
    "    h += p.frameHeadOffset; q += p.frameQOffset; k += p.frameKOffset;\n"
    "    seqQ = framedLength(seqQ, p.frameSeqQ); seqK = framedLength(seqK, p.frameSeqK);\n";

/// `off` of a band in the launch's own rows: k - q = k' - q' + (qo - ko)
/// for frame positions q' = q + qo, k' = k + ko.
void emitBandOffset(const KernelSpec &s, llvm::raw_ostream &os) {
  if (s.bottomRight)
    os << "    const long long off = (long long)framedLength(seqK, p.frameSeqK) - "
          "framedLength(seqQ, p.frameSeqQ) + p.frameQOffset - p.frameKOffset;\n";
  else
    os << "    const long long off = (long long)p.frameQOffset - p.frameKOffset;\n";
}

/// kvTileRange: the closed form of a band, or every tile.
void emitKvRange(const KernelSpec &s, llvm::raw_ostream &os) {
  os << "  /// kv tiles [jBegin, jEnd) that rows [q0, q1] may attend.\n"
        "  FG_DEVICE static void kvTileRange(const FwdParams &p, int q0, int q1, int seqQ, "
        "int seqK, int bn, int &jBegin, int &jEnd) {\n";
  if (!s.band) {
    os << "    // No band: tileClass() alone decides which tiles are empty.\n"
          "    (void)p; (void)q0; (void)q1; (void)seqQ; (void)seqK; (void)bn;\n  }\n";
    return;
  }
  os << "    // Band " << (s.bandLower ? std::to_string(*s.bandLower) + " <= " : "")
     << "k - q'" << (s.bandUpper ? " <= " + std::to_string(*s.bandUpper) : "")
     << ", q' = q" << (s.bottomRight ? " + (seqK - seqQ)" : "")
     << ", in the launch's frame.\n";
  emitBandOffset(s, os);
  if (s.bandLower)
    os << "    const long long lo = (long long)q0 + off + (" << *s.bandLower << ");\n"
       << "    if (lo > 0) jBegin = max(jBegin, int(lo / bn));\n";
  if (s.bandUpper)
    os << "    const long long hi = (long long)q1 + off + (" << *s.bandUpper << ");\n"
       << "    jEnd = hi < 0 ? 0 : min(jEnd, int(hi / bn) + 1);\n";
  os << "  }\n";
}

/// qTileRange: the same band, solved for the query tiles that keys
/// [k0, k1] may be attended from (the backward's kv-major loop).
void emitQRange(const KernelSpec &s, llvm::raw_ostream &os) {
  os << "  /// Query tiles [iBegin, iEnd) that may attend keys [k0, k1].\n"
        "  FG_DEVICE static void qTileRange(const FwdParams &p, int k0, int k1, int seqQ, "
        "int seqK, int bm, int &iBegin, int &iEnd) {\n";
  if (!s.band) {
    os << "    (void)p; (void)k0; (void)k1; (void)seqQ; (void)seqK; (void)bm;\n  }\n";
    return;
  }
  emitBandOffset(s, os);
  if (s.bandUpper) // q >= k - upper - off
    os << "    const long long lo = (long long)k0 - (" << *s.bandUpper << ") - off;\n"
       << "    if (lo > 0) iBegin = max(iBegin, int(lo / bm));\n";
  if (s.bandLower) // q <= k - lower - off
    os << "    const long long hi = (long long)k1 - (" << *s.bandLower << ") - off;\n"
       << "    iEnd = hi < 0 ? 0 : min(iEnd, int(hi / bm) + 1);\n";
  os << "  }\n";
}

/// blockKept(i, j) for a static sparsity pattern.
void emitSparsity(const KernelSpec &s, llvm::raw_ostream &os) {
  if (!s.sparsity)
    return;
  SparsityAttr a = s.sparsity;
  os << "  static constexpr int kSparseBlock = " << a.getBlockSize() << ";\n";
  os << "  /// Is sparse block (i, j) computed? ("
     << stringifySparsityKind(a.getKind()) << ")\n";
  os << "  FG_DEVICE static bool blockKept(int i, int j) {\n";
  switch (a.getKind()) {
  case SparsityKind::local:
    os << "    return abs(i - j) < " << a.getWidth() << ";\n";
    break;
  case SparsityKind::strided:
    os << "    const int s = " << a.getStride() << ";\n"
       << "    return ((i - j) % s + s) % s == 0 || i < " << a.getGlobal()
       << " || j < " << a.getGlobal() << ";\n";
    break;
  case SparsityKind::butterfly:
    os << "    return i == j || __popc(unsigned(i ^ j)) == 1;\n";
    break;
  case SparsityKind::layout: {
    llvm::ArrayRef<int64_t> l = a.getLayout().asArrayRef();
    const std::string at = "(i % " + std::to_string(a.getRows()) + ") * " +
                           std::to_string(a.getCols()) + " + (j % " +
                           std::to_string(a.getCols()) + ")";
    if (l.size() <= 64) {
      // A bit test on a constant: a local array indexed at run time would
      // live on the stack (ptxas: 64 bytes of spills per thread).
      uint64_t bits = 0;
      for (size_t i = 0; i < l.size(); ++i)
        bits |= uint64_t(l[i] != 0) << i;
      os << "    return (0x" << llvm::utohexstr(bits) << "ull >> (" << at << ")) & 1;\n";
    } else {
      os << "    constexpr unsigned char kLayout[" << l.size() << "] = {";
      for (size_t i = 0; i < l.size(); ++i)
        os << (i ? ", " : "") << l[i];
      os << "};\n    return kLayout[" << at << "] != 0;\n";
    }
    break;
  }
  case SparsityKind::runtime: // KernelSpec drops it: the mask reads block_mask
    llvm_unreachable("a run-time block mask is part of the mask");
  }
  os << "  }\n";
}

void emitTileClass(VariantOp v, const KernelSpec &s, const std::string &suffix, bool scanLookups,
                   llvm::raw_ostream &os);

/// Largest mask (ops in its region) whose partial-tile decisions unroll
/// over the columns: the unrolled copies are NVRTC time.
constexpr unsigned kMaxUnrolledMaskOps = 40;

/// The mask region's key column among its arguments (b, h, q, k, seq_q,
/// seq_k: AttnOps.td).
constexpr unsigned kMaskKeyArgument = 3;

/// Smallest constant divisor of the key column that makes a value equal
/// over runs of columns (blocks of a block map: 16 rows at least).
constexpr int64_t kColumnBlock = 16;

/// Whether `value` depends on the key column `k` other than through a
/// division by a constant of at least kColumnBlock.
bool variesPerColumn(mlir::Value value, mlir::Value k) {
  if (value == k)
    return true;
  mlir::Operation *def = value.getDefiningOp();
  if (!def)
    return false; // another of the region's arguments
  if (auto div = mlir::dyn_cast<mlir::arith::DivSIOp>(def)) {
    llvm::APInt divisor;
    if (mlir::matchPattern(div.getRhs(), mlir::m_ConstantInt(&divisor)) &&
        divisor.getSExtValue() >= kColumnBlock)
      return false;
  }
  return llvm::any_of(def->getOperands(),
                      [&](mlir::Value operand) { return variesPerColumn(operand, k); });
}

/// Whether the partial-tile mask decisions unroll over the columns
/// (ElementBits::eval): for a small mask that reads tensors, whose loads
/// then issue together instead of one rolled iteration after another, and
/// for a small one whose tiles the compiler cannot classify (run-time tile
/// classes: partial tiles anywhere, e.g. a dilated mask's every tile),
/// which becomes a predicate per element, its column-invariant part
/// hoisted (the rolled loop's bit packing was ~5 instructions per element:
/// dilated forward 0.79-0.85 -> 0.90-0.93x FlexAttention at d64, backward
/// 0.79-0.82 -> 1.06-1.07x at d128, bench/results/2026-12-01-h200-s20.md).
/// Not for masks the compiler classifies (bands: partial tiles only on the
/// diagonal), where the copies would cost NVRTC time (+0.05-0.25 s) for a
/// tile or two per row.
bool maskUnrollsColumns(VariantOp v, const KernelSpec &s) {
  unsigned ops = 0;
  bool lookups = false;
  v.getMask().walk([&](mlir::Operation *op) {
    ++ops;
    lookups |= mlir::isa<LookupOp>(op);
  });
  if (ops > kMaxUnrolledMaskOps || !(lookups || s.runtimeTileClasses()))
    return false;
  // A mask that sees the key column only in blocks (a block map's
  // lookup[b, h, q / 128, k / 128]) is the same over whole runs of
  // columns: its partial tiles lie at the sequence's edges, and unrolled
  // copies of its lookups were +0.18 s of NVRTC time (sparse_runtime,
  // bench/results/2026-12-01-h200-s21.md).
  mlir::Block &body = v.getMask().front();
  auto yield = mlir::cast<YieldOp>(body.getTerminator());
  return variesPerColumn(yield->getOperand(0), body.getArgument(kMaskKeyArgument));
}

/// The warp-specialized kernels' staged mask lookups (StagedColumns.h):
/// the forward's of the key (kStagedColumns, stageColumns at key k,
/// maskStaged), the backward's of the query row (kStagedRows, stageRows at
/// row q, maskStagedRows); how many the planner counted in the shared
/// memory, the producer's function that computes them, and the mask
/// reading them. A checked build reads the tensors in the mask as before
/// (its reports need the element's q and k), the shared memory unused.
void emitStagedLookups(VariantOp v, const KernelSpec &s, const SequenceBounds &maskBounds,
                       bool backward, llvm::raw_ostream &os) {
  const llvm::SmallVector<LookupOp> staged =
      backward ? stagedRowLookups(v) : stagedColumnLookups(v);
  const bool use = !staged.empty() && !s.checkLookups;
  const std::string what = backward ? "Rows" : "Columns";
  os << "  /// Mask lookups of one value per " << (backward ? "query row" : "key")
     << " (StagedColumns.h), staged per\n"
     << "  /// " << (backward ? "streamed Q" : "kv") << " tile in shared memory by the producer warpgroup.\n"
     << "  static constexpr int kStaged" << what << " = kStaged"
     << (backward ? "Row" : "Column") << "Lookups;\n"
     << "  static constexpr bool kUseStaged" << what << " = " << (use ? "true" : "false")
     << ";\n";
  if (!use)
    return;
  const std::string n = std::to_string(staged.size());
  os << "  FG_DEVICE static void stage" << what << "(const FwdParams &p, int b, int h, int "
     << (backward ? "q" : "k") << ", int seqQ, int seqK, uint32_t (&out)[" << n << "]) {\n"
     << "    constexpr bool kInSequence = false;\n    int " << (backward ? "k" : "q")
     << " = 0;\n"
     << kFramePrologue << sequenceClampCode(maskBounds);
  emitStagedColumnsBody(v.getMask(), s, staged, os);
  // The backward's mask has a copy without clamps for tiles inside both
  // sequences (bwdKeepBits), as Variant::mask; the forward clamps in one.
  os << "  }\n"
     << "  /// The mask with the staged values of " << (backward ? "row q" : "key k") << ".\n"
     << (backward ? "  template <bool kInSequence = false>\n" : "")
     << "  FG_DEVICE static bool maskStaged" << (backward ? "Rows" : "")
     << "(const FwdParams &p, int b, int h, int q, int k, "
        "int seqQ, int seqK, const uint32_t (&col)["
     << n << "]) {\n"
     << (backward ? "" : "    constexpr bool kInSequence = false;\n")
     << kFramePrologue << sequenceClampCode(maskBounds);
  if (s.sparsity)
    os << "    if (!blockKept(q / kSparseBlock, k / kSparseBlock)) return false;\n";
  emitConcreteBody(v.getMask(), s, os, staged);
  os << "  }\n";
}

/// The variant's policy struct: mask, score (and its derivative for the
/// backward pass), tile class and the band's tile ranges.
void emitVariant(VariantOp v, const KernelSpec &s, bool backward, llvm::raw_ostream &os) {
  os << "struct Variant {\n"
     << "  /// The spec's value head dim (every launch's FwdParams::headDimV).\n"
     << "  static constexpr int kHeadDimV = " << s.headDimV << ";\n"
     << "  static constexpr bool kVarlen = " << (s.varlen ? "true" : "false") << ";\n"
     << "  static constexpr bool kHasMask = " << (s.hasMask ? "true" : "false") << ";\n"
     << "  static constexpr bool kHasScoreMod = " << (s.hasScoreMod ? "true" : "false") << ";\n"
     << "  static constexpr bool kHasDropout = " << (s.hasDropout ? "true" : "false") << ";\n"
     << "  static constexpr bool kMaskUnrollsColumns = "
     << (maskUnrollsColumns(v, s) ? "true" : "false") << ";\n";
  emitSparsity(s, os);
  emitKvRange(s, os);
  if (backward)
    emitQRange(s, os);

  os << "  /// The mask expression, per element.\n"
        "  FG_DEVICE static bool userMask(const FwdParams &p, int b, int h, int q, "
        "int k, int seqQ, int seqK) {\n";
  emitConcreteBody(v.getMask(), s, os);
  os << "  }\n";
  // q and k clamped into the sequence where a lookup's proof rests on it,
  // unless the caller's tile is inside (LookupRanges.h: the kernels
  // evaluate past the ragged edge too).
  SequenceBounds maskBounds, scoreBounds;
  (void)lookupIndicesInRange(v, v.getMask(), &maskBounds, !s.checkLookups);
  (void)lookupIndicesInRange(v, v.getScore(), &scoreBounds, !s.checkLookups);
  const bool clamps = maskBounds.any() || scoreBounds.any();
  auto flag = [](bool b) { return b ? "true" : "false"; };
  os << "  /// The mask and score functions clamp q or k into the sequence for\n"
        "  /// their lookups unless kInSequence (the backward's callers split\n"
        "  /// interior tiles: TileInSequence.cuh, which also asks for q < seqK\n"
        "  /// and k < seqQ where a proof rests on them; the forward clamps).\n"
        "  static constexpr bool kSequenceClamps = "
     << flag(clamps) << ";\n"
     << "  static constexpr bool kLookupsNeedQBelowSeqK = "
     << flag(maskBounds.qBelowSeqK || scoreBounds.qBelowSeqK) << ";\n"
     << "  static constexpr bool kLookupsNeedKBelowSeqQ = "
     << flag(maskBounds.kBelowSeqQ || scoreBounds.kBelowSeqQ) << ";\n";
  os << "  template <bool kInSequence = false>\n"
        "  FG_DEVICE static bool mask(const FwdParams &p, int b, int h, int q, int k, "
        "int seqQ, int seqK) {\n"
     << kFramePrologue << sequenceClampCode(maskBounds);
  if (s.sparsity)
    os << "    if (!blockKept(q / kSparseBlock, k / kSparseBlock)) return false;\n";
  os << "    return userMask(p, b, h, q, k, seqQ, seqK);\n  }\n";

  // (The wide backward's loader is the warp-specialized one: it stages too.)
  if (backward ? s.bwdTiles && (s.bwdTiles->warpSpecialized || s.bwdWide())
               : s.tiles.warpSpecialized)
    emitStagedLookups(v, s, maskBounds, backward, os);

  os << "  /// The score modifier on the scaled score.\n"
        "  template <bool kInSequence = false>\n"
        "  FG_DEVICE static float score(const FwdParams &p, float score, int b, "
        "int h, int q, int k, int seqQ, int seqK) {\n"
     << (s.hasScoreMod ? kFramePrologue + sequenceClampCode(scoreBounds) : "");
  emitConcreteBody(v.getScore(), s, os);
  os << "  }\n";
  if (backward) {
    os << "  /// d score / d (scaled score), differentiated by the compiler.\n"
          "  template <bool kInSequence = false>\n"
          "  FG_DEVICE static float scoreGrad(const FwdParams &p, float score, int b, "
          "int h, int q, int k, int seqQ, int seqK) {\n"
       << (s.hasScoreMod ? kFramePrologue + sequenceClampCode(scoreBounds) : "");
    emitScoreDerivativeBody(v.getScore(), s, os);
    os << "  }\n";
  }

  // In the kernel (lookups unknown over a tile), or for kernels with
  // run-time tile classes in their builder (TileClasses.cuh: lookups
  // bounded by scanning the tensor); those kernels read the builder's
  // classes, and without them (FLASHGEN_TILE_CLASSES=off) compute every
  // tile of the band with the mask: no interval code in their tile walks,
  // which NVRTC would compile for the producer and every consumer.
  const bool scan = s.runtimeTileClasses();
  os << "  static constexpr bool kRuntimeTileClasses = " << (scan ? "true" : "false") << ";\n";
  if (scan && backward)
    os << "  /// Rows and keys of one cell of the built classes (both kernels' tiles).\n"
       << "  static constexpr int kTileClassBlock = " << s.bwdTileClassBlock() << ";\n";
  if (!scan) {
    emitTileClass(v, s, "", /*scanLookups=*/false, os);
    return;
  }
  os << "  /// Without the builder's classes: every tile of the band, masked.\n"
        "  FG_DEVICE static int tileClass(const FwdParams &, int, int, int, int, int, int, "
        "int, int) {\n    return kTilePartial;\n  }\n";
  emitTileClass(v, s, "Scan", /*scanLookups=*/true, os);
}

/// The compile units' switch: with -DFLASHGEN_COMPILE_UNIT=n only unit n's
/// entries compile (the runtime's side-by-side programs), else all.
void emitCompileUnitSwitch(llvm::raw_ostream &os) {
  os << "// FLASHGEN_COMPILE_UNIT=n: only unit n's entries (-1: all).\n"
     << "#ifndef FLASHGEN_COMPILE_UNIT\n#define FLASHGEN_COMPILE_UNIT -1\n#endif\n";
}

/// Opens compile unit `unit`'s part of the text (closed by "#endif").
void emitUnitGuard(int unit, llvm::raw_ostream &os) {
  os << "#if FLASHGEN_COMPILE_UNIT < 0 || FLASHGEN_COMPILE_UNIT == " << unit << "\n";
}

/// The variant's tile-class builder entry (TileClasses.cuh), classifying
/// cells of `cellShape` (rows, keys: C++ expressions) for the kernels that
/// `reader` names.
void emitTileClassBuilder(const KernelSpec &s, const char *reader, const char *cellShape,
                          llvm::raw_ostream &os) {
  os << "\n// The tile classes " << reader << " (TileClasses.cuh), built before.\n"
     << "extern \"C\" __global__ void __launch_bounds__(" << kTileClassThreads << ")\n"
     << s.tileClassEntry << "(const flashgen::FwdParams p) {\n"
     << "  flashgen::buildTileClasses<Variant>(p, " << cellShape << ");\n}\n";
}

/// maskOverTile<suffix> and tileClass<suffix>: the mask over a whole tile
/// by intervals, then with the block-sparse pattern.
void emitTileClass(VariantOp v, const KernelSpec &s, const std::string &suffix, bool scanLookups,
                   llvm::raw_ostream &os) {
  os << "  /// The mask over a whole tile: 0 empty, 1 full, 2 partial.\n"
        "  FG_DEVICE static iv::Tri maskOverTile" << suffix << "(const FwdParams &p, iv::Iv b, iv::Iv h, "
        "iv::Iv q, iv::Iv k, iv::Iv seqQ, iv::Iv seqK) {\n"
        "    (void)p;\n";
  emitIntervalBody(v.getMask(), s, os, scanLookups);
  os << "  }\n";
  os << "  FG_DEVICE static int tileClass" << suffix << "(const FwdParams &p, int b, int h, int q0, "
        "int q1, int k0, int k1, int seqQ, int seqK) {\n"
        "    h += p.frameHeadOffset; q0 += p.frameQOffset; q1 += p.frameQOffset;\n"
        "    k0 += p.frameKOffset; k1 += p.frameKOffset;\n"
        "    seqQ = framedLength(seqQ, p.frameSeqQ); seqK = framedLength(seqK, p.frameSeqK);\n";
  if (s.sparsity) {
    os << "    bool any = false, all = true;\n"
          "    for (int i = q0 / kSparseBlock; i <= q1 / kSparseBlock; ++i)\n"
          "      for (int j = k0 / kSparseBlock; j <= k1 / kSparseBlock; ++j) {\n"
          "        bool kept = blockKept(i, j);\n"
          "        any = any || kept;\n"
          "        all = all && kept;\n"
          "      }\n"
          "    if (!any) return kTileEmpty;\n";
  }
  os << "    iv::Tri m = maskOverTile" << suffix << "(p, iv::point(b), iv::point(h), "
        "iv::Iv{q0, q1}, iv::Iv{k0, k1}, iv::point(seqQ), iv::point(seqK));\n";
  if (s.sparsity)
    os << "    if (m == 1 && !all) m = 2;\n";
  os << "    return m == 0 ? kTileEmpty : m == 1 ? kTileFull : kTilePartial;\n  }\n";
}

} // namespace

std::string flashgen::codegen::emitForwardKernel(VariantOp v, const KernelSpec &s,
                                                 llvm::StringRef origin) {
  std::string text;
  llvm::raw_string_ostream os(text);
  const TileConfig &t = s.tiles;
  const bool wgmma = t.mma == MmaKind::Wgmma;
  os << "// auto-generated from " << origin << " by flashgen " << FLASHGEN_VERSION
     << "; do not edit\n"
     << "// variant " << s.variant << ": "
     << (s.fp8 ? "fp8 e4m3 -> bf16" : s.bf16 ? "bf16" : "f16") << ", head dims "
     << s.headDimQK << "/" << s.headDimV << ", tiles " << t.blockM << "x" << t.blockN
     << ", " << t.warps << " warps, " << t.stages << " stage(s), "
     << (wgmma ? "wgmma (sm_90a)" : "mma.sync") << "\n"
     << (s.tiles.warpSpecialized ? "#include \"flashgen/attention/FwdKernelSm90Ws.cuh\"\n\n"
         : wgmma               ? "#include \"flashgen/attention/FwdKernelSm90.cuh\"\n\n"
                               : "#include \"flashgen/attention/FwdKernel.cuh\"\n\n")
     << "namespace {\nusing namespace flashgen;\n\n"
     << "constexpr int kHeadDimQK = " << s.paddedQK << "; // spec: " << s.headDimQK << "\n"
     << "constexpr int kHeadDimV = " << s.paddedV << "; // spec: " << s.headDimV << "\n"
     << "constexpr int kBlockM = " << t.blockM << ";\n"
     << "constexpr int kBlockN = " << t.blockN << ";\n"
     << "constexpr int kWarps = " << t.warps << ";\n"
     << "constexpr int kStages = " << t.stages << ";\n";
  // Mask lookups the warp-specialized kernel stages (its shared memory).
  const size_t stagedLookups = s.tiles.warpSpecialized ? stagedColumnLookups(v).size() : 0;
  if (wgmma)
    os << "using Config = FwdConfigSm90<" << (s.fp8 ? "E4M3" : s.bf16 ? "BF16" : "F16")
       << ", kHeadDimQK, kHeadDimV, kBlockN, kWarps, kStages>;\n"
       << "static_assert(Config::kBlockM == kBlockM, \"64 rows per warpgroup\");\n"
       << (s.tiles.warpSpecialized
               ? "constexpr int kStagedColumnLookups = " + std::to_string(stagedLookups) +
                     "; // StagedColumns.h\n"
               : "")
       << "static_assert(Config::kSmemBytes"
       << (stagedLookups > 0
               ? " + wsStagedLookupBytes(kStages, kStagedColumnLookups, kBlockN)"
               : "")
       << " == " << t.smemBytes
       << ", \"the planner's shared memory is the wgmma kernel's\");\n"
       << (s.tiles.warpSpecialized
               ? "static_assert(WsRegisters<Config, " + std::to_string(s.tiles.ctasPerSM) +
                     ">::kConsumer == " +
                     std::to_string(attn::warpSpecializedRegisters(t).consumer) +
                     ", \"the planner's register split is the kernel's\");\n"
               : "")
       << "\n";
  else
    os << "using Config = FwdConfig<" << (s.bf16 ? "BF16" : "F16")
       << ", kHeadDimQK, kHeadDimV, kBlockM, kBlockN, kWarps, kStages, "
       << (t.qInRegisters ? "true" : "false") << ">;\n\n";

  emitVariant(v, s, /*backward=*/false, os);
  os << "};\n\n} // namespace\n\n";

  // The warp-specialized kernel moves registers between its warpgroups
  // (setmaxnreg), which needs a register cap at entry: its CTAs per SM.
  os << "extern \"C\" __global__ void __launch_bounds__(" << s.fwdThreads()
     << (s.tiles.warpSpecialized ? ", " + std::to_string(s.tiles.ctasPerSM) : "") << ")\n"
     // TMA reads its tensor maps from the parameter space: the parameter
     // must stay there (__grid_constant__), not be copied to local memory.
     << s.entry << "(" << (s.tiles.warpSpecialized ? "const __grid_constant__" : "const")
     << " flashgen::FwdParams p) {\n"
     << "  flashgen::"
     << (s.tiles.warpSpecialized ? "attentionForwardSm90Ws"
         : wgmma              ? "attentionForwardSm90"
                              : "attentionForward")
     << (s.tiles.warpSpecialized ? "<Config, Variant, " + std::to_string(s.tiles.ctasPerSM) + ">"
                              : "<Config, Variant>")
     << "(p);\n}\n";
  if (s.fp8)
    os << "\n// V transposed for the 8-bit P V (FwdFp8.cuh), launched before.\n"
       << "extern \"C\" __global__ void __launch_bounds__(kFp8TransposeThreads)\n"
       << s.fp8TransposeEntry << "(const flashgen::FwdParams p) {\n"
       << "  flashgen::transposeValuesFp8(p);\n}\n";
  if (s.runtimeTileClasses())
    emitTileClassBuilder(s, "this forward reads", "kBlockM, kBlockN", os);
  return text;
}

std::string flashgen::codegen::emitBackwardKernels(VariantOp v, const KernelSpec &s,
                                                   llvm::StringRef origin) {
  std::string text;
  llvm::raw_string_ostream os(text);
  const TileConfig &t = *s.bwdTiles;
  const bool wgmma = t.mma == MmaKind::Wgmma;
  os << "// auto-generated from " << origin << " by flashgen " << FLASHGEN_VERSION
     << "; do not edit\n"
     << "// variant " << s.variant << " backward: " << (s.bf16 ? "bf16" : "f16")
     << ", head dims " << s.headDimQK << "/" << s.headDimV << ", resident block "
     << 16 * t.warps << " rows, streamed tiles " << t.blockM << ", " << t.warps
     << " warps, " << t.stages << " stage(s)"
     << (wgmma ? ", fast path on wgmma (sm_90a)" : "")
     << (t.warpSpecialized ? ", warp-specialized" : "")
     << (s.bwdWide() ? std::string("; fast and deterministic path: the wide wgmma kernel (64 "
                                   "shared keys, ") +
                           flashgen::bwdWideSplitText(s.paddedQK, s.paddedV) +
                           ") for dK/dV, the q-major wgmma kernel for dQ"
                     : "")
     << "\n"
     << (s.bwdWide()          ? "#include \"flashgen/attention/BwdKernelSm90Wide.cuh\"\n"
                                "#include \"flashgen/attention/BwdDqKernelSm90.cuh\"\n\n"
         : t.warpSpecialized ? "#include \"flashgen/attention/BwdKernelSm90Ws.cuh\"\n\n"
         : wgmma             ? "#include \"flashgen/attention/BwdKernelSm90.cuh\"\n\n"
                             : "#include \"flashgen/attention/BwdKernel.cuh\"\n\n")
     << "namespace {\nusing namespace flashgen;\n\n"
     << "using Config = BwdConfig<" << (s.bf16 ? "BF16" : "F16") << ", " << s.paddedQK
     << ", " << s.paddedV << ", /*streamed rows=*/" << t.blockM << ", /*warps=*/" << t.warps
     << ", /*stages=*/" << t.stages << ">;\n";
  if (wgmma)
    os << "using ConfigSm90 = BwdConfigSm90<" << (s.bf16 ? "BF16" : "F16") << ", "
       << s.paddedQK << ", " << s.paddedV << ", /*streamed rows=*/" << t.blockM
       << ", /*warps=*/" << t.warps << ">;\n"
       << (t.warpSpecialized ? "constexpr int kStagedRowLookups = " +
                                   std::to_string(stagedRowLookups(v).size()) +
                                   "; // StagedColumns.h\n"
                             : "")
       << "static_assert(" << (t.warpSpecialized ? "BwdWsConfig<ConfigSm90>" : "ConfigSm90")
       << "::kSmemBytes"
       << (t.warpSpecialized && !stagedRowLookups(v).empty()
               ? " + wsStagedLookupBytes(2, kStagedRowLookups, " + std::to_string(t.blockM) + ")"
               : "")
       << " == " << t.smemBytes << ", \"the planner's shared memory is the wgmma kernel's\");\n";
  if (s.bwdWide()) {
    const size_t lookups = stagedRowLookups(v).size();
    os << "constexpr int kStagedRowLookups = " << lookups << "; // StagedColumns.h\n"
       << "using ConfigWide = BwdConfigSm90Wide<" << (s.bf16 ? "BF16" : "F16") << ", "
       << s.paddedQK << ", " << s.paddedV << ", bwdWideStages(" << s.paddedQK << ", "
       << s.paddedV << ", 2, kStagedRowLookups)>;\n"
       << "static_assert(BwdWsConfig<ConfigWide>::kSmemBytes + "
          "wsStagedLookupBytes(ConfigWide::kStages, kStagedRowLookups, "
          "ConfigWide::kBlockStream) == "
       << s.bwdWideSmemBytes
       << ", \"the host's shared memory is the wide kernel's\");\n"
       << "static_assert(BwdWsConfig<ConfigWide>::kThreads == " << s.bwdFusedThreads()
       << ", \"the host's threads are the wide kernel's\");\n"
       << "using ConfigDq = BwdDqConfigSm90<" << (s.bf16 ? "BF16" : "F16") << ", " << s.paddedQK
       << ", " << s.paddedV << ">;\n"
       << "static_assert(ConfigDq::kSmemBytes == " << s.bwdDQSmemBytes()
       << " && ConfigDq::kThreads == " << s.bwdDQThreads() << " && ConfigDq::kBlockM == "
       << s.bwdDQRows() << ", \"the host's dQ launch is the kernel's\");\n";
  }
  if (t.warpSpecialized)
    os << "static_assert(BwdWsConfig<ConfigSm90>::kThreads == " << s.bwdFusedThreads()
       << " && BwdWsConfig<ConfigSm90>::kConsumerRegs == "
       << attn::warpSpecializedRegisters(t).consumer
       << ", \"the planner's threads and register split are the kernel's\");\n";
  os << "\n";
  emitVariant(v, s, /*backward=*/true, os);
  os << "};\n\n} // namespace\n\n";
  // One extern "C" entry per kernel; the dK/dV pass splits in two for
  // large head dims (dV here, dK in its own entry).
  // TMA (the warp-specialized entry) reads its tensor maps from the
  // parameter space: the parameter stays there (__grid_constant__).
  // Each entry belongs to a compile unit (KernelSpec::backwardCompileUnits):
  // the whole text is one module, or with -DFLASHGEN_COMPILE_UNIT=n one
  // program of the runtime's side-by-side compile.
  const std::vector<std::string> names = s.backwardEntries();
  const std::vector<int> units = s.backwardCompileUnits();
  auto unitGuard = [&](const std::string &name) {
    auto it = std::find(names.begin(), names.end(), name);
    emitUnitGuard(units[size_t(it - names.begin())], os);
  };
  emitCompileUnitSwitch(os);
  os << "\n";
  auto entry = [&](const std::string &bounds, const std::string &name, const std::string &call,
                   bool gridConstant = false) {
    unitGuard(name);
    os << "extern \"C\" __global__ void __launch_bounds__(" << bounds << ")\n"
       << name << "(const " << (gridConstant ? "__grid_constant__ " : "")
       << "flashgen::BwdParams p) {\n  flashgen::" << call << "(p);\n}\n#endif\n";
  };
  const std::string warps = std::to_string(32 * t.warps);
  entry("flashgen::kBwdPreprocessThreads", s.bwdPreEntry,
        "attentionBackwardPreprocess<Config, Variant>");
  os << "\n";
  entry("flashgen::kBwdPreprocessThreads", s.bwdConvertDKDVEntry,
        "attentionBackwardConvertDKDV<Config, Variant>");
  os << "\n";
  // The separate (deterministic) kernels, where the fused one is not also
  // the deterministic path (KernelSpec::bwdDKDVEntry).
  if (!s.bwdDKDVEntry.empty()) {
    entry(warps, s.bwdDKDVEntry,
          std::string("attentionBackwardDKDV<Config, Variant, ") +
              (s.bwdDKEntry.empty() ? "kPartDKDV" : "kPartDV") + ">");
    os << "\n";
    if (!s.bwdDKEntry.empty()) {
      entry(warps, s.bwdDKEntry, "attentionBackwardDKDV<Config, Variant, kPartDK>");
      os << "\n";
    }
    entry(warps, s.bwdDQEntry, "attentionBackwardDQ<Config, Variant>");
  }
  if (!s.bwdFusedEntry.empty()) {
    // The fast path: dQ summed with atomics inside the dK/dV kernel (the
    // wide kernel: dK/dV only, dQ from its own q-major kernel below).
    if (!s.bwdWide())
      os << "\nstatic_assert(Config::kAtomicDQ, \"the planner and the kernels agree\");\n";
    else
      os << "\n";
    // The warp-specialized kernels move registers between their warpgroups
    // (setmaxnreg), which needs a register cap at entry: one CTA per SM.
    if (s.bwdWide())
      entry(std::to_string(s.bwdFusedThreads()) + ", 1", s.bwdFusedEntry,
            "attentionBackwardFusedSm90Wide<ConfigWide, Variant>",
            /*gridConstant=*/true);
    else if (t.warpSpecialized)
      entry(std::to_string(s.bwdFusedThreads()) + ", 1", s.bwdFusedEntry,
            "attentionBackwardFusedSm90Ws<ConfigSm90, Variant>", /*gridConstant=*/true);
    else
      entry(warps, s.bwdFusedEntry,
            wgmma ? "attentionBackwardFusedSm90<ConfigSm90, Variant>"
                  : "attentionBackwardDKDV<Config, Variant, kPartDKDV, /*AtomicDQ=*/true>");
    os << "\n";
    if (s.bwdWide())
      entry(std::to_string(s.bwdDQThreads()) + ", 1", s.bwdDQEntry,
            "attentionBackwardDQSm90<ConfigDq, Variant>");
    else
      entry("flashgen::kBwdPreprocessThreads", s.bwdConvertDQEntry,
            "attentionBackwardConvertDQ<Config, Variant>");
  }
  if (!s.tileClassEntry.empty()) {
    os << "\n";
    unitGuard(s.tileClassEntry);
    emitTileClassBuilder(s, "both walks read",
                         "Variant::kTileClassBlock, Variant::kTileClassBlock", os);
    os << "#endif\n";
  }
  return text;
}
