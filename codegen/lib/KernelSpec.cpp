//===- KernelSpec.cpp - a tiled variant as plain C++ values -----*- C++ -*-===//
#include "flashgen/Codegen/KernelSpec.h"
#include "flashgen/Codegen/ErrorKind.h"
#include "flashgen/Dialect/Attn/Analysis/LookupRanges.h"
#include "flashgen/Dialect/Attn/Analysis/StagedColumns.h"
#include "flashgen/Dialect/Attn/Analysis/TileClassification.h"

#include "flashgen/Dialect/Attn/Transforms/Transforms.h"

#include "flashgen/attention/Params.cuh"   // kBwdSeqPadding
#include "flashgen/attention/WsBudget.cuh" // the wide backward's shape

using namespace flashgen;
using namespace flashgen::attn;
using namespace flashgen::codegen;

namespace {
llvm::Error unsupported(VariantOp v, const llvm::Twine &what) {
  return makeError(ErrorKind::Unsupported, "variant '" + v.getSymName() + "': " + what);
}

/// A C identifier from a variant name (already one, but be safe).
std::string identifier(llvm::StringRef s) {
  std::string out;
  for (char c : s)
    out += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}
} // namespace

llvm::Expected<KernelSpec> flashgen::codegen::buildKernelSpec(VariantOp v) {
  KernelSpec s;
  s.variant = v.getSymName().str();
  s.entry = "flashgen_fwd_" + identifier(v.getSymName());
  switch (v.getDtype()) {
  case ElementType::bf16: s.bf16 = true; break;
  case ElementType::f16: s.bf16 = false; break;
  case ElementType::fp8_e4m3:
    s.fp8 = true; // bf16 output
    s.fp8TransposeEntry = "flashgen_fp8_transpose_v_" + identifier(v.getSymName());
    break;
  default:
    return unsupported(v, "dtype fp8_e5m2 is not supported (fp8_e4m3 is)");
  }
  s.headDimQK = static_cast<int64_t>(v.getQkHeadDim());
  s.headDimV = static_cast<int64_t>(v.getVHeadDim());
  s.paddedQK = paddedHeadDim(s.headDimQK);
  s.paddedV = paddedHeadDim(s.headDimV);
  TilingAttr fwd = v.getFwdTilingAttr();
  if (!fwd)
    return unsupported(v, "no forward tiling; run the attn pipeline first");
  s.tiles = fromAttr(fwd);
  if (s.tiles.blockM != 16 * s.tiles.warps && s.tiles.blockM != 32 * s.tiles.warps)
    return unsupported(v, "the forward kernel gives each warp 16 or 32 rows: block_m (" +
                              llvm::Twine(s.tiles.blockM) + ") must be 16 or 32 * warps (" +
                              llvm::Twine(s.tiles.warps) + ")");
  if (s.tiles.stages != 1 && s.tiles.stages != 2)
    return unsupported(v, "the forward kernel has 1 or 2 K/V stages, not " +
                              llvm::Twine(s.tiles.stages));
  TilingProblem prob;
  prob.qkHeadDim = s.headDimQK;
  prob.vHeadDim = s.headDimV;
  if (TilingAttr bwd = v.getBwdTilingAttr()) {
    s.bwdTiles = fromAttr(bwd);
    if (s.bwdTiles->blockN != 16 * s.bwdTiles->warps)
      return unsupported(v, "the backward kernels give each warp 16 resident rows: "
                            "block_n (" + llvm::Twine(s.bwdTiles->blockN) +
                                ") must be 16 * warps (" + llvm::Twine(s.bwdTiles->warps) + ")");
    if (s.bwdTiles->blockM > kBwdSeqPadding || kBwdSeqPadding % s.bwdTiles->blockM)
      return unsupported(v, "the backward kernels stream 16, 32, 64 or 128 rows, not " +
                                llvm::Twine(s.bwdTiles->blockM));
    std::string id = identifier(v.getSymName());
    s.bwdPreEntry = "flashgen_bwd_pre_" + id;
    s.bwdConvertDKDVEntry = "flashgen_bwd_convert_dkdv_" + id;
    if (backwardHasAtomicDQ(prob, *s.bwdTiles)) {
      s.bwdFusedEntry = "flashgen_bwd_fused_" + id;
      s.bwdConvertDQEntry = "flashgen_bwd_convert_dq_" + id;
    }
    // Head dims past 128 on sm_90a: the fast path is the wide wgmma
    // kernel (its warpgroups share 64 keys and split the head dim,
    // BwdKernelSm90Wide.cuh); the tiling above describes the separate
    // mma.sync kernels, which stay the deterministic path.
    TilingProblem wide = prob;
    wide.elemBytes = s.inputBytes();
    // Its dQ comes from the q-major wgmma kernel (BwdDqKernelSm90.cuh, in
    // bwdDQEntry): no atomics, so the pair is also the deterministic path.
    if (s.bwdFusedEntry.empty() && backwardHasWideWgmma(wide, s.tiles.mma)) {
      s.bwdFusedEntry = "flashgen_bwd_fused_" + id;
      s.bwdWideSmemBytes = bwdWideSmemBytes(s.paddedQK, s.paddedV, s.inputBytes(),
                                            int64_t(stagedRowLookups(v).size()));
      s.bwdDQEntry = "flashgen_bwd_dq_" + id;
    }
    // Where the fused kernel is also the deterministic path, no separate
    // dK/dV and dQ kernels to compile (60% of the backward's NVRTC time).
    if (!s.fusedIsDeterministic()) {
      s.bwdDKDVEntry = "flashgen_bwd_dkdv_" + id;
      s.bwdDQEntry = "flashgen_bwd_dq_" + id;
      if (backwardSplitsDKDV(prob))
        s.bwdDKEntry = "flashgen_bwd_dk_" + id;
    }
  }
  s.varlen = v.getVarlen();
  s.scale = v.getScale().convertToDouble();
  s.dropout = v.getDropout().convertToDouble();
  s.hasDropout = s.dropout > 0;
  MaskShapeAttr mask = v.getMaskShapeAttr();
  ScoreShapeAttr score = v.getScoreShapeAttr();
  if (!mask || !score)
    return unsupported(v, "shapes not recognized; run the attn pipeline first");
  // A run-time block mask is a lookup of the mask (Lowering conjoins
  // block_mask[b, h, q / S, k / S] != 0): the kernels see no pattern.
  s.sparsity = v.getSparsityAttr();
  if (s.sparsity && s.sparsity.getKind() == SparsityKind::runtime)
    s.sparsity = {};
  s.hasMask = mask.getKind() != MaskShapeKind::none || s.sparsity;
  s.hasScoreMod = score.getKind() != ScoreShapeKind::identity;
  if (mask.getKind() == MaskShapeKind::band ||
      mask.getKind() == MaskShapeKind::band_and) {
    s.band = true;
    s.bottomRight = mask.getBottomRight();
    s.bandLower = mask.getLower();
    s.bandUpper = mask.getUpper();
  }
  for (mlir::Attribute a : v.getTensors()) {
    auto t = mlir::cast<TensorAttr>(a);
    TensorInfo info;
    info.name = t.getName().str();
    info.isFloat = t.getElementType().isF32();
    for (mlir::Attribute d : t.getShape()) {
      if (auto i = mlir::dyn_cast<mlir::IntegerAttr>(d))
        info.dims.push_back(std::to_string(i.getInt()));
      else
        info.dims.push_back(mlir::cast<mlir::StringAttr>(d).str());
    }
    if (info.dims.size() > 4)
      return unsupported(v, "tensor '" + info.name + "' has rank " +
                                llvm::Twine(info.dims.size()) + "; at most 4 is supported");
    s.tensors.push_back(std::move(info));
  }
  if (s.tensors.size() > 8)
    return unsupported(v, "at most 8 named tensors are supported");
  for (LookupOp l : lookupSites(v)) {
    LookupSite site{lookupSiteText(v, l), -1};
    for (size_t i = 0; i < s.tensors.size(); ++i)
      if (s.tensors[i].name == l.getName())
        site.tensor = int(i);
    s.lookupSites.push_back(std::move(site));
  }
  if (v.getHeads() && v.getKvHeads())
    s.kvHeadsRatio = static_cast<int64_t>(*v.getHeads() / *v.getKvHeads());
  // Tile classes built at run time (TileClasses.cuh), once per tile in
  // parallel, for every mask but a bare band: a mask that reads int
  // tensors has its empty tiles decided by their values (in the kernel a
  // lookup is "any value"); any other residual or block pattern would be
  // classified by every thread of every CTA over the whole band, which
  // costs more than the tiles it skips (int64 interval arithmetic per
  // tile; bench/results/2026-11-29-h200-s9.md).
  const bool runtimeClasses = mask.getKind() == MaskShapeKind::band_and ||
                              mask.getKind() == MaskShapeKind::generic || bool(s.sparsity) ||
                              !tileDecidingTensors(v).empty();
  if (runtimeClasses) {
    s.tileClassEntry = "flashgen_tile_classes_" + identifier(v.getSymName());
    s.maskUsesHead = !v.getMask().front().getArgument(1).use_empty();
  }
  return s;
}
