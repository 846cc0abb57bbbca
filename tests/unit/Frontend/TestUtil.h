//===- TestUtil.h - helpers shared by the frontend unit tests ---*- C++ -*-===//
#ifndef FLASHGEN_TESTS_UNIT_FRONTEND_TESTUTIL_H
#define FLASHGEN_TESTS_UNIT_FRONTEND_TESTUTIL_H

#include "flashgen/Frontend/Frontend.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>
#include <string>

namespace flashgen::test {

/// A source buffer plus the diagnostics printed for it.
struct Source {
  explicit Source(llvm::StringRef text, llvm::StringRef name = "test.attn") {
    srcMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, name),
                              llvm::SMLoc());
  }
  llvm::StringRef buffer() const {
    return srcMgr.getMemoryBuffer(srcMgr.getMainFileID())->getBuffer();
  }
  llvm::SourceMgr srcMgr;
  std::string diagText;
  llvm::raw_string_ostream diagOS{diagText};
};

/// Runs the whole frontend (through lowering) on `text`.
inline FrontendResult compile(Source &src, mlir::MLIRContext &ctx) {
  FrontendResult r = runFrontend(src.srcMgr, src.diagOS, &ctx);
  src.diagOS.flush();
  return r;
}

inline std::unique_ptr<mlir::MLIRContext> makeContext() {
  mlir::DialectRegistry registry;
  registerAttnDialects(registry);
  auto ctx = std::make_unique<mlir::MLIRContext>(registry);
  ctx->loadAllAvailableDialects();
  return ctx;
}

} // namespace flashgen::test

#endif // FLASHGEN_TESTS_UNIT_FRONTEND_TESTUTIL_H
