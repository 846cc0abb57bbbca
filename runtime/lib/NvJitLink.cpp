//===- NvJitLink.cpp - LTO-IR to CUBIN with nvJitLink, opened with dlopen -*- C++ -*-===//
#include "NvJitLink.h"
#include "flashgen/Codegen/ErrorKind.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <dlfcn.h>
#define NVJITLINK_NO_INLINE // its types only: the functions come from dlsym
#include <nvJitLink.h>
#include <nvrtc.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <type_traits>

using namespace flashgen::runtime;

namespace {
// nvJitLink's C API, opened, never linked: a machine without the library
// still runs flashgen.
using Handle = nvJitLinkHandle;
using Result = nvJitLinkResult;

struct Api {
  Result (*create)(Handle *, uint32_t, const char **) = nullptr;
  Result (*destroy)(Handle *) = nullptr;
  Result (*addData)(Handle, nvJitLinkInputType, const void *, size_t, const char *) = nullptr;
  Result (*complete)(Handle) = nullptr;
  Result (*cubinSize)(Handle, size_t *) = nullptr;
  Result (*cubin)(Handle, void *) = nullptr;
  Result (*errorLogSize)(Handle, size_t *) = nullptr;
  Result (*errorLog)(Handle, char *) = nullptr;
  Result (*version)(unsigned *, unsigned *) = nullptr;
  std::string versionText;
};

/// The directory of the libnvrtc this process uses.
std::string nvrtcDirectory() {
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(&::nvrtcVersion), &info) || !info.dli_fname)
    return "";
  return llvm::sys::path::parent_path(info.dli_fname).str();
}

int nvrtcMajor() {
  int major = 0, minor = 0;
  ::nvrtcVersion(&major, &minor);
  return major;
}

const Api &api() {
  static const Api a = [] {
    Api r;
    const std::string &file = nvJitLinkFile();
    if (file.empty())
      return r;
    const int major = nvrtcMajor();
    void *lib = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      return r;
    auto sym = [&](auto &fn, const char *symbol) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, symbol));
      return fn != nullptr;
    };
    if (!sym(r.create, "nvJitLinkCreate") || !sym(r.destroy, "nvJitLinkDestroy") ||
        !sym(r.addData, "nvJitLinkAddData") || !sym(r.complete, "nvJitLinkComplete") ||
        !sym(r.cubinSize, "nvJitLinkGetLinkedCubinSize") ||
        !sym(r.cubin, "nvJitLinkGetLinkedCubin") ||
        !sym(r.errorLogSize, "nvJitLinkGetErrorLogSize") ||
        !sym(r.errorLog, "nvJitLinkGetErrorLog") || !sym(r.version, "nvJitLinkVersion"))
      return Api{};
    unsigned vMajor = 0, vMinor = 0;
    if (r.version(&vMajor, &vMinor) != NVJITLINK_SUCCESS || int(vMajor) != major)
      return Api{}; // another toolkit's: it may not read this NVRTC's LTO-IR
    r.versionText = std::to_string(vMajor) + "." + std::to_string(vMinor);
    return r;
  }();
  return a;
}
} // namespace

const std::string &flashgen::runtime::nvJitLinkFile() {
  static const std::string file = []() -> std::string {
    if (const char *v = std::getenv("FLASHGEN_NVJITLINK"); v && std::string_view(v) == "0")
      return "";
    const std::string dir = nvrtcDirectory();
    if (dir.empty())
      return "";
    const std::string name = "libnvJitLink.so." + std::to_string(nvrtcMajor());
    // A toolkit's lib64 (and CUDA 13's pip wheels) hold both libraries;
    // CUDA 12's pip wheels put them in sibling packages (nvidia/cuda_nvrtc/
    // lib, nvidia/nvjitlink/lib).
    for (const std::string &candidate : {dir + "/" + name, dir + "/../../nvjitlink/lib/" + name}) {
      llvm::SmallString<256> real;
      if (!llvm::sys::fs::real_path(candidate, real))
        return std::string(real);
    }
    return "";
  }();
  return file;
}

const std::string &flashgen::runtime::nvJitLinkVersion() { return api().versionText; }

llvm::Expected<std::vector<char>>
flashgen::runtime::linkLtoIr(llvm::ArrayRef<char> ltoIr, llvm::StringRef arch,
                             llvm::ArrayRef<std::string> options) {
  const Api &a = api();
  if (a.versionText.empty())
    return makeError(flashgen::ErrorKind::Cuda, "nvJitLink is not available");
  std::vector<std::string> opts = {"-arch=" + arch.str(), "-lto", "-optimize-unused-variables"};
  opts.insert(opts.end(), options.begin(), options.end());
  std::vector<const char *> optPtrs;
  for (const std::string &o : opts)
    optPtrs.push_back(o.c_str());
  Handle h = nullptr;
  if (Result rc = a.create(&h, uint32_t(optPtrs.size()), optPtrs.data()); rc != NVJITLINK_SUCCESS)
    return makeError(flashgen::ErrorKind::Cuda,
                     "nvJitLinkCreate failed (" + std::to_string(rc) + ") for " + arch.str());
  auto fail = [&](const char *what, Result rc) {
    size_t size = 0;
    std::string log;
    if (a.errorLogSize(h, &size) == NVJITLINK_SUCCESS && size > 1) {
      log.resize(size);
      a.errorLog(h, log.data());
      while (!log.empty() && log.back() == '\0')
        log.pop_back();
    }
    a.destroy(&h);
    return makeError(flashgen::ErrorKind::Cuda, std::string(what) + " failed (" +
                                                    std::to_string(rc) + ")" +
                                                    (log.empty() ? "" : ":\n" + log));
  };
  if (Result rc = a.addData(h, NVJITLINK_INPUT_LTOIR, ltoIr.data(), ltoIr.size(), "flashgen.ltoir"))
    return fail("nvJitLinkAddData", rc);
  if (Result rc = a.complete(h); rc)
    return fail("nvJitLinkComplete", rc);
  size_t size = 0;
  if (Result rc = a.cubinSize(h, &size); rc)
    return fail("nvJitLinkGetLinkedCubinSize", rc);
  std::vector<char> cubin(size);
  if (Result rc = a.cubin(h, cubin.data()); rc)
    return fail("nvJitLinkGetLinkedCubin", rc);
  a.destroy(&h);
  return cubin;
}
