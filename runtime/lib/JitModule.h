//===- JitModule.h - spec text to loaded kernels, through the caches -*- C++ -*-===//
//
// Internal to the runtime: a spec's forward or backward module made ready
// to launch: generated (CompilePipeline.h) or found in the kernel cache's
// spec index, compiled by NVRTC (the backward's units side by side) or
// found in the kernel cache, loaded, its entry points looked up; kept in a
// process-level cache keyed by device, pass, name and text.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_LIB_JITMODULE_H
#define FLASHGEN_RUNTIME_LIB_JITMODULE_H

#include "flashgen/Runtime/CudaDriver.h"
#include "flashgen/Runtime/Runtime.h"

#include <vector>

namespace flashgen::runtime {

/// The loaded CUBINs of a module (one, or one per compile unit:
/// KernelSpec::backwardCompileUnits) and its entry points (forward: the
/// kernel and any tile-class builder; backward: at BwdEntry positions);
/// unloaded with the last owner.
struct LoadedModule {
  std::vector<CUmodule> modules;
  int device = 0; // the ordinal whose context holds the modules
  std::vector<CUfunction> functions;
  ~LoadedModule() {
    if (modules.empty())
      return;
    if (llvm::Expected<CudaDriver &> d = CudaDriver::get(device)) {
      for (CUmodule m : modules)
        d->unloadModule(m);
    } else {
      llvm::consumeError(d.takeError());
    }
  }
};

/// The forward (or with `backward` the backward) module of spec `text`
/// (named `name` in diagnostics) for `options`' device. A forward without
/// `decoding` is compiled without the launch features decoding uses
/// (split-KV partial results, paged K/V, per-entry key lengths' V rows:
/// templates' FwdDecoding.cuh).
llvm::Expected<JitModule> jitModule(llvm::StringRef text, llvm::StringRef name,
                                    const JitOptions &options, bool backward,
                                    bool decoding = true);

/// A generated forward's `source` as jitModule compiles it without the
/// decoding features (it defines FLASHGEN_FWD_DECODING 0).
std::string forwardSourceWithoutDecoding(llvm::StringRef source);

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_LIB_JITMODULE_H
