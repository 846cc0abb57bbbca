//===- GpuTestUtil.h - what the GPU tests share ----------------*- C++ -*-===//
//
// The example specs in name order, the per-case report file
// (FLASHGEN_GPU_REPORT=<file> appends one line per case, for
// bench/results/), a fixture that skips, saying why, where there is no GPU,
// and a scratch device buffer for argument checks.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_TESTS_GPU_GPUTESTUTIL_H
#define FLASHGEN_TESTS_GPU_GPUTESTUTIL_H

#include "flashgen/Runtime/CudaDriver.h"
#include "flashgen/Runtime/Runtime.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace flashgen::gputest {

struct ExampleSpec {
  std::string name, text; // file stem, contents
};

/// examples/*.attn, sorted by name.
inline std::vector<ExampleSpec> exampleSpecs() {
  std::vector<std::string> paths;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(FLASHGEN_EXAMPLES_DIR, ec), end;
       it != end && !ec; it.increment(ec))
    if (llvm::StringRef(it->path()).ends_with(".attn"))
      paths.push_back(it->path());
  std::sort(paths.begin(), paths.end());
  std::vector<ExampleSpec> out;
  for (const std::string &path : paths)
    out.push_back({llvm::sys::path::stem(path).str(),
                   (*llvm::MemoryBuffer::getFile(path))->getBuffer().str()});
  return out;
}

/// The examples that compile, each with `mma = sync` (the sm_80 mma.sync
/// kernels, which the planner does not pick on sm_90a for head dims 64 and
/// 128) and "_sync" appended to its name.
inline std::vector<ExampleSpec> exampleSpecsOnMmaSync() {
  std::vector<ExampleSpec> out;
  for (ExampleSpec e : exampleSpecs()) {
    e.text.insert(e.text.find('{') + 1, " mma = sync;");
    e.name += "_sync";
    out.push_back(std::move(e));
  }
  return out;
}

/// The examples whose backward runs the wgmma fused kernel on `target`,
/// each with `bwd_warp_specialized = ws` (one of its two kernel families,
/// BwdKernelSm90.cuh and BwdKernelSm90Ws.cuh) and "_bws" or "_bplain"
/// appended to its name.
inline std::vector<ExampleSpec> exampleSpecsWithBackwardFamily(const attn::GpuTarget &target,
                                                               bool ws) {
  std::vector<ExampleSpec> out;
  for (ExampleSpec e : exampleSpecs()) {
    e.text.insert(e.text.find('{') + 1, ws ? " bwd_warp_specialized = true;"
                                           : " bwd_warp_specialized = false;");
    llvm::Expected<PlannedVariant> planned = planVariant(e.text, e.name, target, true);
    if (!planned) { // no wgmma backward for it (head dims, target)
      llvm::consumeError(planned.takeError());
      continue;
    }
    if (planned->spec.bwdTiles->mma != attn::MmaKind::Wgmma)
      continue;
    e.name += ws ? "_bws" : "_bplain";
    out.push_back(std::move(e));
  }
  return out;
}

inline void appendReport(const std::string &line) {
  if (const char *path = std::getenv("FLASHGEN_GPU_REPORT")) {
    std::ofstream f(path, std::ios::app);
    f << line << "\n";
  }
}

/// Skips every test of the suite, with the driver's reason, without a GPU.
class GpuTest : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::Expected<runtime::CudaDriver &> d = runtime::CudaDriver::get();
    if (!d)
      GTEST_SKIP() << "no GPU: " << llvm::toString(d.takeError());
    drv = &*d;
  }
  runtime::CudaDriver *drv = nullptr;
};

/// 1 MiB of device memory for argument checks.
struct Scratch {
  runtime::CudaDriver &d;
  CUdeviceptr p;
  explicit Scratch(runtime::CudaDriver &d) : d(d), p(*d.alloc(1 << 20)) {}
  ~Scratch() { d.free(p); }
  void *ptr(size_t off = 0) const { return reinterpret_cast<char *>(p) + off; }
};

} // namespace flashgen::gputest

#endif // FLASHGEN_TESTS_GPU_GPUTESTUTIL_H
