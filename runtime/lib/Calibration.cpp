//===- Calibration.cpp - the GPU description from the device itself -===//
#include "flashgen/Runtime/Calibration.h"
#include "flashgen/Runtime/DeviceTiming.h"
#include "flashgen/Runtime/Nvrtc.h"

#include "flashgen/calibrate/CalibrateShape.cuh" // shared with the kernels

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <mutex>

using namespace flashgen;
using namespace flashgen::tuning;

DeviceKey flashgen::tuning::calibrationKey(const runtime::DeviceInfo &d) {
  DeviceKey k;
  k.gpu = d.name;
  k.ccMajor = d.major;
  k.ccMinor = d.minor;
  k.numSMs = d.numSMs;
  return k;
}

namespace {
llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg.str());
}

std::mutex cacheMutex;
std::map<int, attn::GpuTarget> &cachedTargets() {
  static std::map<int, attn::GpuTarget> targets;
  return targets;
}

/// The stored calibration of `d` in the default tuning database, if any;
/// never creates the database.
std::optional<Calibration> storedCalibration(const runtime::DeviceInfo &d) {
  const std::string path = TuningDb::defaultPath();
  if (path.empty() || path == "off" || !llvm::sys::fs::exists(path))
    return std::nullopt;
  llvm::Expected<std::unique_ptr<TuningDb>> db = TuningDb::openForLookup(path);
  if (!db) {
    llvm::consumeError(db.takeError());
    return std::nullopt;
  }
  llvm::Expected<std::optional<Calibration>> c = (*db)->calibration(calibrationKey(d));
  if (!c) {
    llvm::consumeError(c.takeError());
    return std::nullopt;
  }
  return *c;
}
} // namespace

llvm::Expected<Calibration> flashgen::tuning::calibrateDevice(int ordinal,
                                                              llvm::raw_ostream &log) {
  llvm::Expected<runtime::CudaDriver &> driver = runtime::CudaDriver::get(ordinal);
  if (!driver)
    return driver.takeError();
  runtime::CudaDriver &drv = *driver;
  const runtime::DeviceInfo &dev = drv.device();
  if (dev.major < 8)
    return error("calibration needs compute capability 8.0 or newer (bf16 tensor cores); " +
                 dev.name + " has " + llvm::Twine(dev.major) + "." + llvm::Twine(dev.minor));
  const bool wgmma = dev.arch() == "sm_90a";
  llvm::Expected<runtime::NvrtcResult> compiled =
      runtime::compileWithNvrtc("#include \"flashgen/calibrate/Calibrate.cuh\"\n",
                                "calibrate.cu", dev.arch());
  if (!compiled)
    return compiled.takeError();
  llvm::Expected<CUmodule> module = drv.loadModule(compiled->cubin);
  if (!module)
    return module.takeError();
  struct Unload {
    runtime::CudaDriver &drv;
    CUmodule m;
    ~Unload() { drv.unloadModule(m); }
  } unload{drv, *module};

  Calibration c;
  // Copy: two buffers of 8x L2 (at least 256 MiB), so the copy streams
  // from HBM; bytes read + written per second.
  {
    const size_t bytes = std::max<size_t>(size_t(256) << 20, size_t(dev.l2Bytes) * 8);
    runtime::DeviceBuffer src(drv, bytes), dst(drv, bytes);
    if (src.error)
      return std::move(src.error);
    if (dst.error)
      return std::move(dst.error);
    if (llvm::Error e = drv.memset8(src.p, 0x3c, bytes))
      return e;
    llvm::Expected<CUfunction> copy = drv.getFunction(*module, "flashgen_calibrate_copy");
    if (!copy)
      return copy.takeError();
    size_t n = bytes / 16;
    void *args[] = {&src.p, &dst.p, &n};
    llvm::Expected<double> ms = runtime::medianMs(
        drv, nullptr, 10,
        [&] { return drv.launch(*copy, unsigned(dev.numSMs) * 8, 1, 1, 512, 0, nullptr, args); },
        nullptr, /*warmups=*/1);
    if (!ms)
      return ms.takeError();
    c.hbmBytesPerSec = 2.0 * double(bytes) / (*ms * 1e-3);
    log << llvm::formatv("calibrate: copy of 2 x {0} MiB: {1:F3} ms, {2:F2} TB/s\n",
                         bytes >> 20, *ms, c.hbmBytesPerSec / 1e12);
  }
  // Tensor cores: enough CTAs for every SM to hold several, ~10 ms each.
  {
    const char *entry = wgmma ? "flashgen_calibrate_wgmma" : "flashgen_calibrate_mma";
    llvm::Expected<CUfunction> f = drv.getFunction(*module, entry);
    if (!f)
      return f.takeError();
    const unsigned ctas =
        unsigned(dev.numSMs) * (wgmma ? kCalibrateWgmmaCtasPerSM : kCalibrateMmaCtasPerSM);
    const unsigned threads = wgmma ? kCalibrateWgmmaThreads : kCalibrateMmaThreads;
    runtime::DeviceBuffer out(drv, size_t(ctas) * threads * 4);
    if (out.error)
      return std::move(out.error);
    int iters = wgmma ? kCalibrateWgmmaIters : kCalibrateMmaIters;
    void *args[] = {&out.p, &iters};
    llvm::Expected<double> ms = runtime::medianMs(
        drv, nullptr, 5, [&] { return drv.launch(*f, ctas, 1, 1, threads, 0, nullptr, args); },
        nullptr, /*warmups=*/1);
    if (!ms)
      return ms.takeError();
    const double perIter = wgmma ? kCalibrateWgmmaFlopsPerIter : kCalibrateMmaFlopsPerIter;
    c.mmaFlopsPerSec = perIter * ctas * iters / (*ms * 1e-3);
    log << llvm::formatv("calibrate: {0} on {1} CTAs x {2} iterations: {3:F3} ms, {4:F0} "
                         "TFLOP/s\n",
                         wgmma ? "wgmma m64n128k16" : "mma.sync m16n8k16", ctas, iters, *ms,
                         c.mmaFlopsPerSec / 1e12);
  }
  if (llvm::Error e = drv.synchronize())
    return e;
  c.createdUnix = int64_t(std::time(nullptr));
  return c;
}

attn::GpuTarget flashgen::tuning::targetFor(const runtime::DeviceInfo &d) {
  std::lock_guard<std::mutex> lock(cacheMutex);
  auto it = cachedTargets().find(d.ordinal);
  if (it != cachedTargets().end())
    return it->second;
  // The architecture's defaults fill what no attribute states (registers
  // per thread); everything else is the device's.
  std::optional<attn::GpuTarget> base = attn::lookupTarget(d.arch());
  attn::GpuTarget g = base ? *base : *attn::lookupTarget("sm_80");
  g.arch = d.arch();
  g.part = d.name;
  g.smVersion = d.major * 10 + d.minor;
  g.numSMs = d.numSMs;
  g.smemPerBlock = d.smemPerBlockOptin;
  g.smemPerSM = d.smemPerSM;
  g.regsPerSM = d.regsPerSM;
  g.maxThreadsPerSM = d.maxThreadsPerSM;
  g.maxBlocksPerSM = d.maxBlocksPerSM;
  g.l2Bytes = d.l2Bytes;
  if (std::optional<Calibration> c = storedCalibration(d)) {
    g.hbmBytesPerSec = c->hbmBytesPerSec;
    g.mmaFlopsPerSec = c->mmaFlopsPerSec;
    char when[32] = "?";
    std::time_t t = std::time_t(c->createdUnix);
    if (std::tm *tm = std::gmtime(&t))
      std::strftime(when, sizeof(when), "%Y-%m-%d", tm);
    g.source = "device attributes; bandwidth and tensor-core rate measured by `flashgen tune "
               "--calibrate` on " + std::string(when);
  } else {
    // Peaks: DDR memory moves two words per clock; the tensor rate at the
    // attribute's clock. Kernels reach less; calibration says how much.
    if (d.memClockKHz > 0 && d.memBusBits > 0)
      g.hbmBytesPerSec = 2.0 * d.memClockKHz * 1e3 * d.memBusBits / 8;
    if (d.smClockKHz > 0)
      g.mmaFlopsPerSec =
          double(d.numSMs) * d.smClockKHz * 1e3 * attn::tensorFlopsPerClockPerSM(g.smVersion);
    g.source = "device attributes; bandwidth and tensor-core rate are peaks from clocks and "
               "bus width (`flashgen tune --calibrate` measures them)";
  }
  cachedTargets()[d.ordinal] = g;
  return g;
}

void flashgen::tuning::forgetCalibrations() {
  std::lock_guard<std::mutex> lock(cacheMutex);
  cachedTargets().clear();
}
