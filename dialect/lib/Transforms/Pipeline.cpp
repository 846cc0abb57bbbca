//===- Pipeline.cpp - the standard attn pass pipeline -----------*- C++ -*-===//
#include "flashgen/Dialect/Attn/Transforms/Pipeline.h"
#include "flashgen/Dialect/Attn/Transforms/Passes.h"

void flashgen::attn::buildAttnPipeline(mlir::PassManager &pm,
                                       const std::string &arch) {
  pm.addPass(createAttnCanonicalizeExprs());
  pm.addPass(createAttnRecognizeShapes());
  AttnPlanTilingOptions tiling;
  tiling.arch = arch;
  pm.addPass(createAttnPlanTiling(tiling));
}
