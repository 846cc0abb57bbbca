//===- SpecFuzzer.cpp - libFuzzer target: .attn text through the compiler ===//
//
// Any bytes as a spec: the frontend (lexer, parser, sema, lowering to the
// attn dialect), then, for text it accepts, everything `flashgen compile`
// does before NVRTC (expression canonicalization, shape recognition, the
// SRAM tiling planner, KernelSpec, CUDA codegen) for the forward and the
// backward on sm_90a, and on sm_80 (the mma.sync kernels). A diagnostic is
// a fine answer; a crash, an assertion, a sanitizer report or a hang is a
// bug. Seeds: examples/*.attn and the lit tests' specs
// (scripts/run-fuzzers.sh).
//
//===----------------------------------------------------------------------===//
#include "flashgen/Runtime/BlockClasses.h"
#include "flashgen/Runtime/Runtime.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) // specs are a few lines; longer inputs only slow the search
    return -1;
  const std::string text(reinterpret_cast<const char *>(data), size);
  for (const char *arch : {"sm_90a", "sm_80"}) {
    auto fwd = flashgen::generateForward(text, "fuzz.attn", arch);
    if (!fwd) {
      llvm::consumeError(fwd.takeError());
      return 0; // rejected with diagnostics: the same for the other passes
    }
    auto bwd = flashgen::generateBackward(text, "fuzz.attn", arch);
    if (!bwd)
      llvm::consumeError(bwd.takeError());
  }
  // The host-side block classes context parallelism asks for.
  auto classes = flashgen::classifyBlocks(text, "fuzz.attn", 64, 96,
                                          {{0, 63, 0, 95}, {16, 31, 32, 47}, {63, 63, 0, 0}});
  if (!classes)
    llvm::consumeError(classes.takeError());
  return 0;
}
