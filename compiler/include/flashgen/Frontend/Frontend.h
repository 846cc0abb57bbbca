//===- Frontend.h - .attn source to attn IR in one call ---------*- C++ -*-===//
//
// Wires the stages: Lexer/Parser -> Sema -> Lowering. Used by the CLI, the
// tests and (later) the JIT API, so all of them see the same diagnostics.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_FRONTEND_FRONTEND_H
#define FLASHGEN_FRONTEND_FRONTEND_H

#include "flashgen/Frontend/AST.h"
#include "flashgen/Frontend/Diagnostics.h"
#include "flashgen/Frontend/Sema.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

namespace flashgen {

/// Everything the frontend produced for one buffer.
struct FrontendResult {
  ast::SpecFile ast;
  std::vector<VariantSpec> specs;          // variants that checked cleanly
  mlir::OwningOpRef<mlir::ModuleOp> module; // null unless the file is clean
  unsigned numErrors = 0;
};

/// Registers the dialects the attn IR uses (attn, arith, math).
void registerAttnDialects(mlir::DialectRegistry &registry);

/// Parses and checks the main buffer of `srcMgr`, writing diagnostics to
/// `diagOS`. If `lower` is set and there are no errors, also lowers to a
/// verified module (MLIR diagnostics print through `srcMgr` as well).
FrontendResult runFrontend(llvm::SourceMgr &srcMgr, llvm::raw_ostream &diagOS,
                           mlir::MLIRContext *ctx);

} // namespace flashgen

#endif // FLASHGEN_FRONTEND_FRONTEND_H
