//===- Frontend.cpp - .attn source to attn IR in one call -------*- C++ -*-===//
#include "flashgen/Frontend/Frontend.h"

#include "flashgen/Dialect/Attn/IR/AttnDialect.h"
#include "flashgen/Frontend/Lowering.h"
#include "flashgen/Frontend/Parser.h"

#include "mlir/IR/Diagnostics.h"

using namespace flashgen;

void flashgen::registerAttnDialects(mlir::DialectRegistry &registry) {
  registry.insert<attn::AttnDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect>();
}

FrontendResult flashgen::runFrontend(llvm::SourceMgr &srcMgr,
                                     llvm::raw_ostream &diagOS,
                                     mlir::MLIRContext *ctx) {
  FrontendResult result;
  DiagnosticEngine diags(srcMgr, diagOS);
  llvm::StringRef buffer =
      srcMgr.getMemoryBuffer(srcMgr.getMainFileID())->getBuffer();
  result.ast = parseSpec(buffer, diags);
  result.specs = checkSpecFile(result.ast, diags);
  result.numErrors = diags.getNumErrors();
  if (!ctx || diags.hasErrors())
    return result;

  // Verifier failures would be our bug (Sema should have caught them), but
  // they must still print as a located diagnostic, not vanish.
  mlir::SourceMgrDiagnosticHandler handler(srcMgr, ctx, diagOS);
  result.module = lowerToAttn(result.specs, srcMgr, *ctx);
  if (!result.module)
    ++result.numErrors;
  return result;
}
