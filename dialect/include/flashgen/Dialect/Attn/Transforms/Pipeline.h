//===- Pipeline.h - the standard attn pass pipeline -------------*- C++ -*-===//
#ifndef FLASHGEN_DIALECT_ATTN_TRANSFORMS_PIPELINE_H
#define FLASHGEN_DIALECT_ATTN_TRANSFORMS_PIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace flashgen::attn {

/// canonicalize-exprs, recognize-shapes, plan-tiling(arch): what every
/// variant goes through before codegen or explain.
void buildAttnPipeline(mlir::PassManager &pm, const std::string &arch = "");

} // namespace flashgen::attn

#endif // FLASHGEN_DIALECT_ATTN_TRANSFORMS_PIPELINE_H
