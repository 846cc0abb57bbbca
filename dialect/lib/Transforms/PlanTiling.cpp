//===- PlanTiling.cpp - attn-plan-tiling ------------------------*- C++ -*-===//
//
// Wires the tiling model (Analysis/TilingModel.h) to the IR: the problem
// comes from the variant's head dims and dtype, the budget from the target
// table, overrides from `tile_override` (forward) and `bwd_tile_override`.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Dialect/Attn/Analysis/TileClassification.h"
#include "flashgen/Dialect/Attn/Analysis/StagedColumns.h"
#include "flashgen/Dialect/Attn/Transforms/Passes.h"
#include "flashgen/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/IR/Builders.h"

namespace flashgen::attn {
#define GEN_PASS_DEF_ATTNPLANTILING
#include "flashgen/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace flashgen::attn

using namespace mlir;
using namespace flashgen::attn;

TilingAttr flashgen::attn::toAttr(MLIRContext *ctx, const TileConfig &c) {
  return TilingAttr::get(ctx, c.blockM, c.blockN, c.warps, c.stages,
                         c.qInRegisters, c.smemBytes, c.regsPerThread,
                         c.ctasPerSM, int64_t(c.mma), c.warpSpecialized ? 1 : 0);
}

TileConfig flashgen::attn::fromAttr(TilingAttr a) {
  TileConfig c;
  c.blockM = a.getBlockM();
  c.blockN = a.getBlockN();
  c.warps = a.getWarps();
  c.stages = a.getStages();
  c.qInRegisters = a.getQInRegisters();
  c.smemBytes = a.getSmemBytes();
  c.regsPerThread = a.getRegsPerThread();
  c.ctasPerSM = a.getCtasPerSM();
  c.mma = a.getMma() == int64_t(MmaKind::Wgmma) ? MmaKind::Wgmma : MmaKind::Sync;
  c.warpSpecialized = a.getWarpSpecialized() > 0;
  return c;
}

FailureOr<GpuTarget> flashgen::attn::resolveTarget(VariantOp v, StringRef arch) {
  if (!arch.empty()) {
    if (std::optional<GpuTarget> t = lookupTarget(arch))
      return *t;
    return v.emitError() << "unknown architecture '" << arch
                         << "'; expected sm_80, sm_86, sm_89 or sm_90a";
  }
  if (std::optional<GpuTarget> t = lookupTarget(v.getTarget()))
    return *t;
  return *lookupTarget(Target::sm_90a); // native, no GPU asked: sm_90a's defaults
}

void flashgen::attn::requestBackward(VariantOp v) {
  v.setPassesAttr(PassesAttr::get(v.getContext(), v.getPasses() | Passes::backward));
}

TilingProblem flashgen::attn::tilingProblemOf(VariantOp v, bool backward) {
  TilingProblem problem;
  problem.qkHeadDim = static_cast<int64_t>(v.getQkHeadDim());
  problem.vHeadDim = static_cast<int64_t>(v.getVHeadDim());
  problem.elemBytes = elementBytes(v);
  problem.backward = backward;
  problem.dropout = v.getDropout().convertToDouble() > 0;
  problem.stagedLookups =
      int64_t(backward ? stagedRowLookups(v).size() : stagedColumnLookups(v).size());
  if (ScoreShapeAttr score = v.getScoreShapeAttr())
    problem.scoreMod = score.getKind() != ScoreShapeKind::identity;
  if (MaskShapeAttr m = v.getMaskShapeAttr()) {
    problem.bandMask =
        m.getKind() == MaskShapeKind::band || m.getKind() == MaskShapeKind::band_and;
    if (problem.bandMask && m.getLower() && m.getUpper())
      problem.bandWidth = *m.getUpper() - *m.getLower() + 1;
    // A generic mask without lookups (dilated) is dense in tiles: not sparse.
    problem.runtimeSparse = m.getKind() == MaskShapeKind::band_and || bool(v.getSparsityAttr()) ||
                            !tileDecidingTensors(v).empty();
    problem.keepsCausalBand = keepsCausalBand(v);
  }
  return problem;
}

/// A run-time block map (`sparsity = runtime(block_size = S)`) is read per
/// tile where a tile lies inside one block, per element where it spans
/// several (kept and dropped blocks mixed): say so when the tiles are
/// larger than the blocks.
static void noteRuntimeBlocks(VariantOp v, SmallVector<Attribute> &notes) {
  SparsityAttr sp = v.getSparsityAttr();
  if (!sp || sp.getKind() != SparsityKind::runtime)
    return;
  Builder b(v.getContext());
  const int64_t s = sp.getBlockSize();
  auto note = [&](const char *pass, int64_t rows, int64_t keys, const char *knobs) {
    if (s % rows == 0 && s % keys == 0)
      return;
    notes.push_back(b.getStringAttr(
        std::string(pass) + ": tiles of " + std::to_string(rows) + " x " +
        std::to_string(keys) + " do not fit in the run-time blocks of " + std::to_string(s) +
        ": a tile over kept and dropped blocks reads the block map per element (block_size "
        "= " + std::to_string(std::max(rows, keys)) + ", or " + knobs + " dividing " +
        std::to_string(s) + ", keeps tiles inside blocks)"));
  };
  if (TilingAttr f = v.getFwdTilingAttr())
    note("forward", f.getBlockM(), f.getBlockN(), "block_m/block_n");
  if (TilingAttr bw = v.getBwdTilingAttr())
    note("backward", bw.getBlockM(), 16 * bw.getWarps(), "bwd_block_m/bwd_warps");
}

LogicalResult flashgen::attn::planTiling(VariantOp v, const GpuTarget &target) {
  const TilingProblem forwardProblem = tilingProblemOf(v, /*backward=*/false);
  const TilingProblem backwardProblem = tilingProblemOf(v, /*backward=*/true);
  TileOverride override;
  if (TilingAttr o = v.getTileOverrideAttr())
    override = {o.getBlockM(), o.getBlockN(), o.getWarps(), o.getStages(),
                MmaKind(o.getMma()), o.getWarpSpecialized(), o.getCtasPerSM()};

  SmallVector<Attribute> notes;
  Builder b(v.getContext());
  auto plan = [&](bool backward, const TileOverride &o) -> FailureOr<TileConfig> {
    const TilingProblem &problem = backward ? backwardProblem : forwardProblem;
    llvm::Expected<TilingDecision> d = chooseTiling(problem, target, o);
    if (!d) {
      std::string msg = llvm::toString(d.takeError());
      if (o.any())
        msg += backward ? " with the spec's bwd_block_m/bwd_warps/bwd_stages/bwd_mma/"
                          "bwd_warp_specialized"
                        : " with the spec's block_m/block_n/warps/stages/mma";
      return v.emitError() << msg;
    }
    for (const std::string &n : d->notes)
      notes.push_back(b.getStringAttr(n));
    return d->config;
  };
  FailureOr<TileConfig> fwd = plan(/*backward=*/false, override);
  if (failed(fwd))
    return failure();
  v.setFwdTilingAttr(toAttr(v.getContext(), *fwd));
  if (bitEnumContainsAll(v.getPasses(), Passes::backward)) {
    // block_m/block_n/warps/stages name the forward kernel's tiles; the
    // backward's own (larger) working set has bwd_block_m/bwd_warps/
    // bwd_stages, its MMA bwd_mma. Without bwd_mma the forward's `mma`
    // carries over where the backward can run it (its wgmma kernel takes
    // fewer head dims than the forward's); elsewhere the planner chooses.
    TileOverride bwdOverride;
    if (TilingAttr o = v.getBwdTileOverrideAttr())
      bwdOverride = {o.getBlockM(), o.getBlockN(), o.getWarps(), o.getStages(),
                     MmaKind(o.getMma()), o.getWarpSpecialized()};
    if (bwdOverride.mma == MmaKind::Free && override.mma != MmaKind::Free) {
      const std::string no =
          override.mma == MmaKind::Wgmma ? whyNoWgmma(backwardProblem, target) : "";
      if (no.empty())
        bwdOverride.mma = override.mma;
      else
        notes.push_back(b.getStringAttr("backward: mma = wgmma names the forward's kernel: " +
                                        no + " (bwd_mma sets the backward's)"));
    }
    FailureOr<TileConfig> bwd = plan(/*backward=*/true, bwdOverride);
    if (failed(bwd))
      return failure();
    v.setBwdTilingAttr(toAttr(v.getContext(), *bwd));
  }
  noteRuntimeBlocks(v, notes);
  v.setTilingNotesAttr(b.getArrayAttr(notes));
  return success();
}

namespace {
struct PlanTilingPass : public flashgen::attn::impl::AttnPlanTilingBase<PlanTilingPass> {
  using AttnPlanTilingBase::AttnPlanTilingBase;
  void runOnOperation() override {
    getOperation().walk([&](VariantOp v) {
      FailureOr<GpuTarget> t = resolveTarget(v, arch);
      if (failed(t) || failed(planTiling(v, *t)))
        signalPassFailure();
    });
  }
};
} // namespace
