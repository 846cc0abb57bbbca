//===- Nvrtc.cpp - CUDA C++ to CUBIN/PTX with NVRTC -------------*- C++ -*-===//
#include "flashgen/Runtime/Nvrtc.h"
#include "flashgen/Codegen/ErrorKind.h"
#include "flashgen/Runtime/EmbeddedTemplates.h"
#include "NvJitLink.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <nvrtc.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string_view>

using namespace flashgen::runtime;

std::vector<std::string> flashgen::runtime::nvrtcOptions(llvm::StringRef arch) {
  // -default-device: the generated entry points are __global__ only.
  // No --use_fast_math: the softmax uses ex2.approx explicitly where it wants
  // it, and score modifiers (tanh, exp) keep full precision.
  std::vector<std::string> opts = {"--gpu-architecture=" + arch.str(), "--std=c++17",
                                   "-default-device", "-DFLASHGEN_NO_HOST=1"};
  // Source lines in the CUBIN for profilers (Nsight Compute's source view)
  // on request only: they make it ~3x larger, and a disk hit's read
  // follows its size. The options are part of the cache key.
  if (const char *v = std::getenv("FLASHGEN_LINEINFO"); v && std::string_view(v) == "1")
    opts.push_back("-lineinfo");
  // NVRTC 13 also stores every PTX and CUBIN it compiles in the driver's
  // compute cache: up to 0.45 s more per cold compile on the H200 machine
  // (bench/results/2026-11-30-h200-s16.md), for entries our own kernel
  // cache already keeps.
  int major = 0, minor = 0;
  if (::nvrtcVersion(&major, &minor) == NVRTC_SUCCESS && major >= 13)
    opts.push_back("--no-cache");
  return opts;
}

std::string flashgen::runtime::nvrtcVersion() {
  int major = 0, minor = 0;
  ::nvrtcVersion(&major, &minor);
  // CUBINs linked by nvJitLink are other cache entries than NVRTC's own
  // (the library's file, not its version: that would open it, NvJitLink.h).
  const std::string &link = nvJitLinkFile();
  return std::to_string(major) + "." + std::to_string(minor) +
         (link.empty() ? "" : " + " + llvm::sys::path::filename(link).str() + " (LTO)");
}

namespace {
/// Set by the first failed link: the library (another CUDA's, no memory,
/// LTO-IR it cannot read) would most likely fail every later link too, and
/// each failure costs NVVM's time before NVRTC compiles the CUBIN again.
std::atomic<bool> linkFailed{false};
} // namespace

bool flashgen::runtime::linksWithNvJitLink() {
  return !linkFailed.load(std::memory_order_relaxed) && !nvJitLinkVersion().empty();
}

void flashgen::runtime::resetNvJitLinkFailure() { linkFailed = false; }

llvm::Expected<NvrtcResult>
flashgen::runtime::compileWithNvrtc(llvm::StringRef source, llvm::StringRef name,
                                    llvm::StringRef arch, bool cubin,
                                    llvm::ArrayRef<std::string> extraOptions, bool withPtx) {
  auto start = std::chrono::steady_clock::now();
  std::vector<const char *> headers, includeNames;
  for (const EmbeddedFile &f : embeddedTemplates()) {
    headers.push_back(f.contents);
    includeNames.push_back(f.name);
  }
  std::string src = source.str(), nm = name.str();
  nvrtcProgram prog;
  nvrtcResult rc = nvrtcCreateProgram(&prog, src.c_str(), nm.c_str(),
                                      int(headers.size()), headers.data(),
                                      includeNames.data());
  if (rc != NVRTC_SUCCESS)
    return makeError(ErrorKind::Cuda,
                     llvm::Twine("nvrtcCreateProgram failed: ") + nvrtcGetErrorString(rc));
  std::vector<std::string> opts = nvrtcOptions(arch);
  // A CUBIN through nvJitLink (NvJitLink.h): NVRTC stops at LTO-IR for the
  // virtual architecture (compute_90a for sm_90a).
  const bool viaLink = cubin && !withPtx && linksWithNvJitLink() && arch.starts_with("sm_");
  if (viaLink) {
    opts.front() = "--gpu-architecture=compute_" + arch.drop_front(3).str();
    opts.push_back("-dlto");
  }
  opts.insert(opts.end(), extraOptions.begin(), extraOptions.end());
  std::vector<const char *> optPtrs;
  for (const std::string &o : opts)
    optPtrs.push_back(o.c_str());
  rc = nvrtcCompileProgram(prog, int(optPtrs.size()), optPtrs.data());

  NvrtcResult result;
  size_t logSize = 0;
  nvrtcGetProgramLogSize(prog, &logSize);
  result.log.resize(logSize);
  if (logSize)
    nvrtcGetProgramLog(prog, result.log.data());
  while (!result.log.empty() && result.log.back() == '\0')
    result.log.pop_back(); // the size counts the terminator
  if (rc != NVRTC_SUCCESS) {
    nvrtcDestroyProgram(&prog);
    return makeError(ErrorKind::Cuda, "NVRTC failed to compile " + nm + " for " + arch + " (" +
                                          nvrtcGetErrorString(rc) + "):\n" + result.log);
  }
  std::vector<char> ltoIr;
  if (viaLink) {
    size_t size = 0;
    nvrtcGetLTOIRSize(prog, &size);
    ltoIr.resize(size);
    nvrtcGetLTOIR(prog, ltoIr.data());
  } else {
    size_t ptxSize = 0;
    nvrtcGetPTXSize(prog, &ptxSize);
    result.ptx.resize(ptxSize);
    nvrtcGetPTX(prog, result.ptx.data());
    while (!result.ptx.empty() && result.ptx.back() == '\0')
      result.ptx.pop_back();
    if (cubin) {
      size_t size = 0;
      nvrtcGetCUBINSize(prog, &size);
      result.cubin.resize(size);
      nvrtcGetCUBIN(prog, result.cubin.data());
    }
  }
  nvrtcDestroyProgram(&prog);
  if (viaLink) {
    std::vector<std::string> linkOptions;
    if (llvm::is_contained(opts, "-lineinfo"))
      linkOptions.push_back("-lineinfo");
    auto linkStart = std::chrono::steady_clock::now();
    llvm::Expected<std::vector<char>> c = linkLtoIr(ltoIr, arch, linkOptions);
    result.linkSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - linkStart).count();
    if (!c) {
      // The program compiled, so this is the library's failure (another
      // nvJitLink build, no memory...): NVRTC's own CUBIN still serves,
      // only its loads are slower. Said once; no link is tried again in
      // this process (linkFailed).
      std::string why = llvm::toString(c.takeError());
      if (!linkFailed.exchange(true))
        llvm::errs() << "flashgen: warning: linking " << nm << " for " << arch
                     << " with nvJitLink failed (" << why
                     << "); using NVRTC's CUBINs from now on in this process "
                        "(FLASHGEN_NVJITLINK=0 skips the attempt)\n";
      return compileWithNvrtc(source, name, arch, cubin, extraOptions, /*withPtx=*/true);
    }
    result.cubin = std::move(*c);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}
