//===- CompilePipeline.cpp - spec text to kernel spec and CUDA source -*- C++ -*-===//
//
// The compiler as the runtime runs it: frontend, the attn passes and tiling
// for a target, then code generation. No GPU involved (the targets of
// generateForward/generateBackward are named architectures).
//
//===----------------------------------------------------------------------===//
#include "CompilePipeline.h"

#include "flashgen/Codegen/EmitCuda.h"
#include "flashgen/Codegen/ErrorKind.h"
#include "flashgen/Dialect/Attn/Transforms/Passes.h"
#include "flashgen/Dialect/Attn/Transforms/Transforms.h"
#include "flashgen/Frontend/Frontend.h"
#include "flashgen/Runtime/Calibration.h"
#include "flashgen/Runtime/CudaDriver.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace flashgen;
using namespace flashgen::runtime;

llvm::Expected<std::unique_ptr<ParsedSpec>> flashgen::runtime::parseSpec(llvm::StringRef text,
                                                                          llvm::StringRef name) {
  auto parsed = std::make_unique<ParsedSpec>();
  parsed->srcMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, name),
                                    llvm::SMLoc());
  mlir::DialectRegistry registry;
  registerAttnDialects(registry);
  parsed->ctx = std::make_unique<mlir::MLIRContext>(registry);
  parsed->ctx->loadAllAvailableDialects();
  parsed->ctx->printOpOnDiagnostic(false);
  std::string diags;
  llvm::raw_string_ostream diagOS(diags);
  FrontendResult result = runFrontend(parsed->srcMgr, diagOS, parsed->ctx.get());
  if (result.numErrors || !result.module)
    return makeError(ErrorKind::Spec, "errors in " + name + ":\n" + diags);
  parsed->module = std::move(result.module);
  auto variants = parsed->module->getOps<attn::VariantOp>();
  if (std::distance(variants.begin(), variants.end()) != 1)
    return makeError(ErrorKind::Spec, name + " must hold exactly one variant");
  parsed->variant = *variants.begin();
  // Errors of the expressions (a divisor that is always 0) are the spec's.
  mlir::SourceMgrDiagnosticHandler handler(parsed->srcMgr, parsed->ctx.get(), diagOS);
  if (mlir::failed(attn::canonicalizeExpressions(parsed->variant)))
    return makeError(ErrorKind::Spec, "errors in " + name + ":\n" + diags);
  return std::move(parsed);
}

/// parseSpec, then shape recognition and tiling for `target`, then
/// codegen. Diagnostics come back as the error's text.
llvm::Expected<std::pair<codegen::KernelSpec, std::string>>
flashgen::runtime::generateVariant(llvm::StringRef text, llvm::StringRef name,
                                   const attn::GpuTarget &target, bool backward,
                                   attn::TilingProblem *problem, bool checkLookups,
                                   const PackedQueryHeads &pack) {
  llvm::Expected<std::unique_ptr<ParsedSpec>> parsed = parseSpec(text, name);
  if (!parsed)
    return parsed.takeError();
  attn::VariantOp v = (*parsed)->variant;
  if (pack) {
    std::string diags;
    llvm::raw_string_ostream diagOS(diags);
    mlir::SourceMgrDiagnosticHandler handler((*parsed)->srcMgr, (*parsed)->ctx.get(), diagOS);
    if (mlir::failed(attn::packQueryHeads(v, pack.group, pack.heads, pack.singleQuery)) ||
        mlir::failed(attn::canonicalizeExpressions(v)))
      return makeError(ErrorKind::Unsupported, diags);
  }
  if (backward) // plan backward tiles even if the spec's passes omit it
    attn::requestBackward(v);
  {
    // What the planner cannot tile is unsupported.
    std::string diags;
    llvm::raw_string_ostream diagOS(diags);
    mlir::SourceMgrDiagnosticHandler handler((*parsed)->srcMgr, (*parsed)->ctx.get(), diagOS);
    mlir::PassManager pm((*parsed)->ctx.get());
    pm.addPass(attn::createAttnRecognizeShapes());
    if (mlir::failed(pm.run(*(*parsed)->module)) || mlir::failed(attn::planTiling(v, target)))
      return makeError(ErrorKind::Unsupported, diags);
  }
  if (problem)
    *problem = attn::tilingProblemOf(v, backward);
  llvm::Expected<codegen::KernelSpec> spec = codegen::buildKernelSpec(v);
  if (!spec)
    return spec.takeError();
  spec->checkLookups = checkLookups;
  // The source names no file: the same variant from any file (or builder)
  // has the same text, hence the same kernel-cache entry.
  std::string source = backward ? codegen::emitBackwardKernels(v, *spec, "a .attn spec (JIT)")
                                : codegen::emitForwardKernel(v, *spec, "a .attn spec (JIT)");
  return std::make_pair(std::move(*spec), std::move(source));
}


namespace {
/// generate() for a named architecture (no GPU needed).
llvm::Expected<std::pair<codegen::KernelSpec, std::string>>
generateForArch(llvm::StringRef text, llvm::StringRef name, llvm::StringRef arch,
                bool backward) {
  std::optional<attn::GpuTarget> t = attn::lookupTarget(arch);
  if (!t)
    return makeError(ErrorKind::Argument,
                     "unknown architecture '" + arch + "'; expected sm_80, sm_86, sm_89 or sm_90a");
  return generateVariant(text, name, *t, backward);
}
} // namespace

llvm::Expected<PlannedVariant> flashgen::planVariant(llvm::StringRef text, llvm::StringRef name,
                                                     const attn::GpuTarget &target,
                                                     bool backward) {
  PlannedVariant r;
  auto gen = generateVariant(text, name, target, backward, &r.problem);
  if (!gen)
    return gen.takeError();
  r.spec = std::move(gen->first);
  return r;
}

llvm::Expected<attn::GpuTarget> flashgen::deviceTarget(int ordinal) {
  llvm::Expected<CudaDriver &> driver = CudaDriver::get(ordinal);
  if (!driver)
    return driver.takeError();
  return tuning::targetFor(driver->device());
}

llvm::Expected<std::pair<codegen::KernelSpec, std::string>>
flashgen::generateForward(llvm::StringRef text, llvm::StringRef name, llvm::StringRef arch) {
  return generateForArch(text, name, arch, /*backward=*/false);
}

llvm::Expected<std::pair<codegen::KernelSpec, std::string>>
flashgen::generateBackward(llvm::StringRef text, llvm::StringRef name, llvm::StringRef arch) {
  return generateForArch(text, name, arch, /*backward=*/true);
}

