//===- JitModule.cpp - spec text to loaded kernels, through the caches ----===//
#include "JitModule.h"
#include "CompilePipeline.h"
#include "ModuleImage.h"

#include "flashgen/Codegen/ErrorKind.h"
#include "flashgen/Codegen/KernelSpecJson.h"
#include "flashgen/Runtime/Calibration.h"
#include "flashgen/Runtime/KernelCache.h"
#include "flashgen/Runtime/Nvrtc.h"
#include "flashgen/Runtime/TuningDb.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

using namespace flashgen;
using namespace flashgen::runtime;

namespace {
double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
} // namespace

namespace {
/// Process-level JIT cache: (device, pass, name, spec text) -> a ready
/// module.
std::mutex processMutex;
std::map<std::string, JitModule> &processCache() {
  static std::map<std::string, JitModule> cache;
  return cache;
}
} // namespace

void flashgen::clearJitProcessCache() {
  std::lock_guard<std::mutex> lock(processMutex);
  processCache().clear();
}

namespace {
/// The numbers of `t` that planning reads (not the measured rates, which
/// only the IO model's estimates use): a spec-index entry is valid on any
/// device that shares them.
std::string planningFingerprint(const attn::GpuTarget &t) {
  return llvm::formatv("{0} {1} {2} {3} {4} {5} {6} {7}", t.arch, t.numSMs, t.smemPerSM,
                       t.smemPerBlock, t.regsPerSM, t.maxRegsPerThread, t.maxThreadsPerSM,
                       t.maxBlocksPerSM)
      .str();
}

/// A spec-index entry: one line of JSON (the CUBIN's key and the
/// KernelSpec), then the generated source.
struct SpecIndexEntry {
  std::string cubinKey;
  codegen::KernelSpec spec;
  std::string source;
};
std::vector<char> writeSpecIndex(const codegen::KernelSpec &s, llvm::StringRef cubinKey,
                                 llvm::StringRef source) {
  std::string head = llvm::formatv(
      "{0}", llvm::json::Value(llvm::json::Object{{"cubin", cubinKey},
                                                  {"spec", codegen::kernelSpecToJson(s)}}));
  std::vector<char> out(head.begin(), head.end());
  out.push_back('\n');
  out.insert(out.end(), source.begin(), source.end());
  return out;
}
/// The entry, or nothing when it does not parse (an entry of another
/// flashgen: compiled afresh and rewritten).
std::optional<SpecIndexEntry> readSpecIndex(llvm::ArrayRef<char> bytes) {
  llvm::StringRef all(bytes.data(), bytes.size());
  auto [head, source] = all.split('\n');
  llvm::Expected<llvm::json::Value> v = llvm::json::parse(head);
  if (!v) {
    llvm::consumeError(v.takeError());
    return std::nullopt;
  }
  const llvm::json::Object *o = v->getAsObject();
  std::optional<llvm::StringRef> key = o ? o->getString("cubin") : std::nullopt;
  const llvm::json::Value *spec = o ? o->get("spec") : nullptr;
  if (!key || !spec)
    return std::nullopt;
  llvm::Expected<codegen::KernelSpec> ks = codegen::kernelSpecFromJson(*spec);
  if (!ks) {
    llvm::consumeError(ks.takeError());
    return std::nullopt;
  }
  return SpecIndexEntry{key->str(), std::move(*ks), source.str()};
}

/// NVRTC for one module: one program, or with `units` > 1 one program per
/// compile unit (-DFLASHGEN_COMPILE_UNIT=n), side by side on as many
/// threads, packed in unit order (ModuleImage.h). `seconds`: the wall time;
/// `linkSeconds`: nvJitLink's part (the longest unit's).
llvm::Expected<std::vector<char>> compileModule(const std::string &source,
                                                const std::string &name,
                                                const std::string &arch, int units,
                                                double &seconds, double &linkSeconds) {
  auto start = std::chrono::steady_clock::now();
  if (units <= 1) {
    llvm::Expected<NvrtcResult> c = compileWithNvrtc(source, name, arch);
    if (!c)
      return c.takeError();
    seconds = c->seconds;
    linkSeconds = c->linkSeconds;
    return std::move(c->cubin);
  }
  std::vector<std::unique_ptr<llvm::Expected<NvrtcResult>>> results(units);
  std::vector<std::thread> threads;
  for (int u = 0; u < units; ++u)
    threads.emplace_back([&, u] {
      const std::string unit = "-DFLASHGEN_COMPILE_UNIT=" + std::to_string(u);
      results[u] = std::make_unique<llvm::Expected<NvrtcResult>>(
          compileWithNvrtc(source, name, arch, /*cubin=*/true, {unit}));
    });
  for (std::thread &t : threads)
    t.join();
  std::vector<std::vector<char>> cubins;
  llvm::Error first = llvm::Error::success();
  for (auto &r : results) {
    if (!*r) {
      if (first)
        llvm::consumeError(r->takeError());
      else
        first = r->takeError();
      continue;
    }
    linkSeconds = std::max(linkSeconds, (*r)->linkSeconds);
    cubins.push_back(std::move((*r)->cubin));
  }
  if (first)
    return first;
  seconds = since(start);
  return packModuleImages(cubins);
}

} // namespace

std::string flashgen::runtime::forwardSourceWithoutDecoding(llvm::StringRef source) {
  return "#define FLASHGEN_FWD_DECODING 0 // templates' FwdDecoding.cuh\n" + source.str();
}

llvm::Expected<JitModule> flashgen::runtime::jitModule(llvm::StringRef text, llvm::StringRef name,
                                    const JitOptions &options, bool backward,
                                    bool decoding) {
  llvm::Expected<CudaDriver &> driver = CudaDriver::get(options.device);
  if (!driver)
    return driver.takeError();
  const DeviceInfo &dev = driver->device();
  JitModule r;
  r.decoding = backward || decoding;
  // Fields joined by a NUL byte, which no field contains (a "\0" literal
  // would append nothing and let fields run together).
  const std::string sep(1, '\0');
  // A checked build (JitOptions::checkLookups) is another module.
  // So is a kernel rewritten for GQA packing.
  // So is a forward without the decoding features.
  const bool lean = !backward && !decoding;
  const std::string pass = std::string(backward ? (options.checkLookups ? "bwd-checked" : "bwd")
                                                : (options.checkLookups ? "fwd-checked" : "fwd")) +
                           options.packedQueryHeads.key() + (lean ? "-lean" : "");
  std::string processKey = std::to_string(dev.ordinal) + sep + dev.arch() + sep + pass + sep +
                           name.str() + sep + text.str();
  if (options.useCache) {
    std::lock_guard<std::mutex> lock(processMutex);
    auto it = processCache().find(processKey);
    if (it != processCache().end()) {
      r = it->second;
      r.stats = JitStats{};
      r.stats.cacheHit = r.stats.processHit = true;
      return r;
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  const attn::GpuTarget target = tuning::targetFor(dev);
  std::vector<std::string> opts = nvrtcOptions(dev.arch());
  const std::string nvrtc = nvrtcVersion();
  KernelCache &cache = KernelCache::global();
  std::string key;
  std::unique_ptr<llvm::MemoryBuffer> cubin; // the module's CUBINs, packed
  // A spec compiled before for this device (any process): its index entry
  // names the CUBIN and holds the KernelSpec and source, so the frontend,
  // the pass pipeline and codegen are skipped.
  std::string specKey;
  if (options.useCache) {
    std::vector<llvm::StringRef> fields{text, name, pass};
    const std::string device = planningFingerprint(target);
    fields.push_back(device);
    fields.push_back(nvrtc);
    for (const std::string &o : opts)
      fields.push_back(o);
    specKey = KernelCache::makeSpecKey(fields);
    auto tRead = std::chrono::steady_clock::now();
    if (std::unique_ptr<llvm::MemoryBuffer> idx = cache.lookup(specKey))
      if (std::optional<SpecIndexEntry> e = readSpecIndex(KernelCache::bytes(*idx)))
        if ((cubin = cache.lookup(e->cubinKey))) {
          r.spec = std::move(e->spec);
          r.source = std::move(e->source);
          key = e->cubinKey;
          r.stats.indexHit = true;
        }
    r.stats.cacheReadSeconds = since(tRead);
  }
  if (!cubin) {
    auto gen = generateVariant(text, name, target, backward, nullptr, options.checkLookups,
                               options.packedQueryHeads);
    if (!gen)
      return gen.takeError();
    r.spec = std::move(gen->first);
    r.source = std::move(gen->second);
    if (lean)
      r.source = forwardSourceWithoutDecoding(r.source);
    key = KernelCache::makeKey(r.source, dev.arch(), opts, nvrtc);
    if (options.useCache)
      cubin = cache.lookup(key);
  }
  r.stats.frontendSeconds = since(t0);
  r.stats.cacheKey = key;
  // The backward compiles as several programs side by side (entries find
  // their CUBIN by unit), the forward as one (KernelSpec::forwardEntries).
  // FLASHGEN_JIT_ONE_PROGRAM=1: the backward as one program too (A/B
  // measurements of the side-by-side compile).
  static const bool oneProgram = std::getenv("FLASHGEN_JIT_ONE_PROGRAM") != nullptr;
  const int units = backward && !oneProgram ? r.spec.backwardCompileUnitCount() : 1;
  const std::vector<int> unitOf = backward ? r.spec.backwardCompileUnits() : std::vector<int>{};
  std::optional<std::vector<llvm::ArrayRef<char>>> images;
  if (cubin) {
    images = unpackModuleImages(KernelCache::bytes(*cubin));
    if (!images || int(images->size()) != std::max(units, 1))
      cubin.reset(); // not what this flashgen writes for the module: compiled afresh
  }
  if (cubin) {
    r.stats.cacheHit = true;
  } else {
    r.stats.indexHit = false;
    llvm::Expected<std::vector<char>> c =
        compileModule(r.source, name.str() + (backward ? ".bwd.cu" : ".cu"), dev.arch(), units,
                      r.stats.nvrtcSeconds, r.stats.linkSeconds);
    if (!c)
      return c.takeError();
    cubin = llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(c->data(), c->size()), key);
    images = unpackModuleImages(KernelCache::bytes(*cubin));
    if (!images)
      return makeError(ErrorKind::Cuda, "NVRTC returned no CUBIN for " + name.str());
    if (options.useCache)
      llvm::consumeError(cache.store(key, *c)); // memory copy still serves
  }
  if (options.useCache && !r.stats.indexHit)
    llvm::consumeError(cache.store(specKey, writeSpecIndex(r.spec, key, r.source)));
  auto t1 = std::chrono::steady_clock::now();
  r.loaded = std::make_shared<LoadedModule>();
  r.loaded->device = dev.ordinal;
  for (llvm::ArrayRef<char> image : *images) {
    llvm::Expected<CUmodule> module = driver->loadModule(image);
    if (!module)
      return module.takeError();
    r.loaded->modules.push_back(*module);
  }
  r.stats.moduleLoadSeconds = since(t1);
  r.stats.modules = int(r.loaded->modules.size());
  auto t2 = std::chrono::steady_clock::now();
  // The planner's estimate is exactly the kernels' k*SmemBytes.
  const attn::TileConfig &tiles = backward ? *r.spec.bwdTiles : r.spec.tiles;
  // (The wide fused backward's differs: every main entry gets the larger,
  // harmless where both run one CTA per SM.)
  r.smemBytes = int(backward ? std::max({tiles.smemBytes, r.spec.bwdWideSmemBytes,
                                         r.spec.bwdWide() ? r.spec.bwdDQSmemBytes() : 0})
                             : tiles.smemBytes);
  if (r.smemBytes <= 0)
    return makeError(ErrorKind::Unsupported,
                "variant '" + r.spec.variant + "': the tiling has no shared-memory size");
  // Backward: every entry at its BwdEntry position, null where the variant
  // has none (no split, no fast path).
  std::vector<std::string> entries =
      backward ? r.spec.backwardEntries() : r.spec.forwardEntries();
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string &e = entries[i];
    if (e.empty()) {
      r.loaded->functions.push_back(nullptr);
      continue;
    }
    CUmodule module = r.loaded->modules[r.loaded->modules.size() == 1 ? 0 : unitOf[i]];
    llvm::Expected<CUfunction> fn = driver->getFunction(module, e);
    if (!fn)
      return fn.takeError();
    r.loaded->functions.push_back(*fn);
    ++r.stats.functions;
    if (e != r.spec.bwdPreEntry && e != r.spec.bwdConvertDQEntry &&
        e != r.spec.bwdConvertDKDVEntry && e != r.spec.tileClassEntry &&
        e != r.spec.fp8TransposeEntry)
      if (auto err = driver->setMaxDynamicSharedMemory(*fn, r.smemBytes))
        return err;
  }
  r.stats.functionSeconds = since(t2);
  r.stats.loadSeconds = since(t1);
  if (options.useCache) {
    std::lock_guard<std::mutex> lock(processMutex);
    processCache()[processKey] = r;
  }
  return r;
}
