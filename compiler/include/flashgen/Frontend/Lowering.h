//===- Lowering.h - checked .attn variants to the attn dialect --*- C++ -*-===//
//
// Builds one attn.variant per VariantSpec. Mask and score expressions become
// arith/math ops in the op's regions; every op carries a FileLineColLoc that
// points back into the .attn file, so later diagnostics land on the spec.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_FRONTEND_LOWERING_H
#define FLASHGEN_FRONTEND_LOWERING_H

#include "flashgen/Frontend/Sema.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

namespace flashgen {

/// Lowers the checked specs into a new module. Returns null if the result
/// fails verification (diagnostics go through the context's handler).
mlir::OwningOpRef<mlir::ModuleOp>
lowerToAttn(llvm::ArrayRef<VariantSpec> specs, llvm::SourceMgr &srcMgr,
            mlir::MLIRContext &ctx);

} // namespace flashgen

#endif // FLASHGEN_FRONTEND_LOWERING_H
