//===- Runtime.cpp - the flashgen C++ JIT API -------------------*- C++ -*-===//
#include "flashgen/Runtime/Runtime.h"
#include "CompilePipeline.h"
#include "ModuleImage.h"

#include <cstdlib>

#include "flashgen/Codegen/ErrorKind.h"
#include "flashgen/Codegen/KernelSpecJson.h"
#include "flashgen/Frontend/Frontend.h"
#include "flashgen/Runtime/Calibration.h"
#include "flashgen/Runtime/CudaDriver.h"
#include "flashgen/Runtime/KernelCache.h"
#include "flashgen/Runtime/LaunchArgs.h"
#include "flashgen/Runtime/LookupReport.h"
#include "flashgen/Runtime/Nvrtc.h"
#include "flashgen/Runtime/Tuner.h"
#include "flashgen/Runtime/TuningDb.h"

#include "flashgen/attention/Params.cuh" // shared with the kernels

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

using namespace flashgen;
using namespace flashgen::runtime;

namespace {

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}


} // namespace

/// The loaded CUBINs of a module (one, or one per compile unit:
/// KernelSpec::backwardCompileUnits) and its entry points (forward: the
/// kernel and any tile-class builder; backward: at BwdEntry positions);
/// unloaded with the last owner.
struct flashgen::runtime::LoadedModule {
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
/// threads, packed in unit order (ModuleImage.h). `seconds`: the wall time.
llvm::Expected<std::vector<char>> compileModule(const std::string &source,
                                                const std::string &name,
                                                const std::string &arch, int units,
                                                double &seconds) {
  auto start = std::chrono::steady_clock::now();
  if (units <= 1) {
    llvm::Expected<NvrtcResult> c = compileWithNvrtc(source, name, arch);
    if (!c)
      return c.takeError();
    seconds = c->seconds;
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
    cubins.push_back(std::move((*r)->cubin));
  }
  if (first)
    return std::move(first);
  seconds = since(start);
  return packModuleImages(cubins);
}

/// Generated source, CUBIN (NVRTC or the kernel cache) and loaded
/// functions, through the process-level cache.
llvm::Expected<JitModule> jitModule(llvm::StringRef text, llvm::StringRef name,
                                    const JitOptions &options, bool backward) {
  llvm::Expected<CudaDriver &> driver = CudaDriver::get(options.device);
  if (!driver)
    return driver.takeError();
  const DeviceInfo &dev = driver->device();
  JitModule r;
  // Fields joined by a NUL byte, which no field contains (a "\0" literal
  // would append nothing and let fields run together).
  const std::string sep(1, '\0');
  // A checked build (JitOptions::checkLookups) is another module.
  const char *pass = backward ? (options.checkLookups ? "bwd-checked" : "bwd")
                              : (options.checkLookups ? "fwd-checked" : "fwd");
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
  std::optional<std::vector<char>> cubin;
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
    if (std::optional<std::vector<char>> idx = cache.lookup(specKey))
      if (std::optional<SpecIndexEntry> e = readSpecIndex(*idx))
        if ((cubin = cache.lookup(e->cubinKey))) {
          r.spec = std::move(e->spec);
          r.source = std::move(e->source);
          key = e->cubinKey;
          r.stats.indexHit = true;
        }
  }
  if (!cubin) {
    auto gen = generateVariant(text, name, target, backward, nullptr, options.checkLookups);
    if (!gen)
      return gen.takeError();
    r.spec = std::move(gen->first);
    r.source = std::move(gen->second);
    key = KernelCache::makeKey(r.source, dev.arch(), opts, nvrtc);
    if (options.useCache)
      cubin = cache.lookup(key);
  }
  r.stats.frontendSeconds = since(t0);
  r.stats.cacheKey = key;
  // The backward compiles as several programs side by side; its entries
  // find their CUBIN by unit.
  // FLASHGEN_JIT_ONE_PROGRAM=1: the whole module as one program (A/B
  // measurements of the side-by-side compile).
  static const bool oneProgram = std::getenv("FLASHGEN_JIT_ONE_PROGRAM") != nullptr;
  const int units = backward && !oneProgram ? r.spec.backwardCompileUnitCount() : 1;
  const std::vector<int> unitOf =
      backward ? r.spec.backwardCompileUnits() : std::vector<int>(r.spec.forwardEntries().size(), 0);
  std::optional<std::vector<llvm::ArrayRef<char>>> images;
  if (cubin) {
    images = unpackModuleImages(*cubin);
    if (!images || int(images->size()) != std::max(units, 1))
      cubin.reset(); // not what this flashgen writes for the module: compiled afresh
  }
  if (cubin) {
    r.stats.cacheHit = true;
  } else {
    r.stats.indexHit = false;
    llvm::Expected<std::vector<char>> c =
        compileModule(r.source, name.str() + (backward ? ".bwd.cu" : ".cu"), dev.arch(), units,
                      r.stats.nvrtcSeconds);
    if (!c)
      return c.takeError();
    cubin = std::move(*c);
    images = unpackModuleImages(*cubin);
    if (!images)
      return makeError(ErrorKind::Cuda, "NVRTC returned no CUBIN for " + name.str());
    if (options.useCache)
      llvm::consumeError(cache.store(key, *cubin)); // memory copy still serves
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
  // The planner's estimate is exactly the kernels' k*SmemBytes.
  const attn::TileConfig &tiles = backward ? *r.spec.bwdTiles : r.spec.tiles;
  r.smemBytes = int(tiles.smemBytes);
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
    if (e != r.spec.bwdPreEntry && e != r.spec.bwdConvertDQEntry &&
        e != r.spec.bwdConvertDKDVEntry && e != r.spec.tileClassEntry)
      if (auto err = driver->setMaxDynamicSharedMemory(*fn, r.smemBytes))
        return err;
  }
  r.stats.loadSeconds = since(t1);
  if (options.useCache) {
    std::lock_guard<std::mutex> lock(processMutex);
    processCache()[processKey] = r;
  }
  return r;
}
} // namespace

llvm::Expected<std::unique_ptr<Kernel>>
Kernel::fromFile(llvm::StringRef path, const JitOptions &options) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf)
    return makeError(ErrorKind::Argument, "cannot read '" + path + "': " + buf.getError().message());
  return fromSpec((*buf)->getBuffer(), path, options);
}

llvm::Expected<std::unique_ptr<Kernel>>
Kernel::fromSpec(llvm::StringRef text, llvm::StringRef name, const JitOptions &options) {
  {
    // Spec errors first: they are the user's to fix whether or not this
    // machine has a GPU (parse and Sema only, well under a millisecond).
    llvm::SourceMgr srcMgr;
    srcMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, name), llvm::SMLoc());
    std::string diags;
    llvm::raw_string_ostream os(diags);
    if (runFrontend(srcMgr, os, /*ctx=*/nullptr).numErrors)
      return makeError(ErrorKind::Spec, "errors in " + name + ":\n" + os.str());
  }
  llvm::Expected<CudaDriver &> driver = CudaDriver::get(options.device);
  if (!driver)
    return driver.takeError();
  const DeviceInfo &dev = driver->device();
  if (options.arch != "native" && options.arch != dev.arch())
    return makeError(ErrorKind::Argument, "JIT for " + options.arch + " requested, but the device (" + dev.name +
                ") is " + dev.arch() + "; use arch = native or compile ahead with "
                "`flashgen compile`");
  JitOptions resolved = options;
  resolved.device = dev.ordinal; // every later call goes to this device
  std::unique_ptr<Kernel> k(new Kernel());
  k->specText = text.str();
  k->specName = name.str();
  k->jitOptions = resolved;
  if (resolved.withBackward)
    k->startBackward(); // beside the forward's JIT (NVRTC is thread-safe)
  llvm::Expected<JitModule> r = jitModule(text, name, resolved, /*backward=*/false);
  if (!r)
    return r.takeError(); // ~Kernel waits for the backward's JIT
  k->fwd = std::move(*r);
  return k;
}

Kernel::~Kernel() {
  if (bwdJob.joinable())
    bwdJob.join();
  if (!workspace && !lookupReport)
    return;
  if (llvm::Expected<CudaDriver &> d = CudaDriver::get(jitOptions.device)) {
    d->free(CUdeviceptr(workspace));
    d->free(CUdeviceptr(lookupReport));
  } else {
    llvm::consumeError(d.takeError());
  }
}

void Kernel::startBackward() const {
  std::lock_guard<std::mutex> job(bwdJobMutex);
  if (bwdJob.joinable())
    return;
  {
    std::lock_guard<std::mutex> lock(bwdMutex);
    if (bwd.loaded)
      return;
  }
  // An error here is dropped: prepareBackward() JITs again and reports it.
  bwdJob = std::thread([this] { llvm::consumeError(jitBackward()); });
}

llvm::Error Kernel::prepareBackward() const {
  {
    std::lock_guard<std::mutex> job(bwdJobMutex);
    if (bwdJob.joinable())
      bwdJob.join();
  }
  return jitBackward();
}

llvm::Error Kernel::jitBackward() const {
  std::lock_guard<std::mutex> lock(bwdMutex);
  if (bwd.loaded)
    return llvm::Error::success();
  llvm::Expected<JitModule> r = jitModule(specText, specName, jitOptions, /*backward=*/true);
  if (!r)
    return r.takeError();
  bwd = std::move(*r);
  return llvm::Error::success();
}

namespace {
/// A Q/K/V/dO-shaped tensor as the warp-specialized kernels' TMA sees it:
/// dims (head dim, row, head, batch entry), boxes of 64 columns x
/// `boxRows`. Varlen tensors are one batch entry of all packed rows; rows
/// past a sequence are the next one's (masked by the kernel) or out of
/// bounds (zeros). buildParams already checked the strides (multiples of 8
/// elements = 16 bytes, what the copy engine needs).
llvm::Error encodeRowsMap(CudaDriver &drv, const codegen::KernelSpec &s, const ForwardArgs &a,
                          TmaDescriptor &out, const void *base, int64_t headDim, int64_t rows,
                          int64_t heads, int64_t rowStride, int64_t headStride,
                          int64_t batchStride, int64_t boxRows) {
  static_assert(sizeof(CUtensorMap) == sizeof(TmaDescriptor), "the driver's tensor map");
  const int64_t batch = s.varlen ? 1 : a.batch;
  // A dimension of extent 1 is never stepped: any valid stride does.
  auto stride = [](int64_t elems, int64_t extent, int64_t fallbackBytes) {
    return extent == 1 || elems == 0 ? uint64_t(fallbackBytes) : uint64_t(elems) * 2;
  };
  const uint64_t rowBytes = stride(rowStride, rows, 16);
  const uint64_t headBytes = stride(headStride, heads, rowBytes * uint64_t(rows));
  const uint64_t batchBytes = stride(batchStride, batch, headBytes * uint64_t(heads));
  CUtensorMap map;
  if (llvm::Error e = drv.encodeTileMap(
          map, base, {uint64_t(headDim), uint64_t(rows), uint64_t(heads), uint64_t(batch)},
          {rowBytes, headBytes, batchBytes}, {64u, uint32_t(boxRows), 1u, 1u}))
    return e;
  std::memcpy(&out, &map, sizeof(map));
  return llvm::Error::success();
}

/// Q, K and V of `p` with boxes of `qRows` and `kvRows` rows: the
/// forward's tiles, or the backward's streamed and resident blocks.
llvm::Error encodeQKVMaps(CudaDriver &drv, const codegen::KernelSpec &s, const ForwardArgs &a,
                          FwdParams &p, int64_t qRows, int64_t kvRows) {
  const int64_t rowsQ = s.varlen ? a.totalQ : a.seqQ, rowsK = s.varlen ? a.totalK : a.seqK;
  if (llvm::Error e = encodeRowsMap(drv, s, a, p.tmaQ, p.q, p.headDimQK, rowsQ, p.heads,
                                    p.qRowStride, p.qHeadStride, p.qBatchStride, qRows))
    return e;
  if (llvm::Error e = encodeRowsMap(drv, s, a, p.tmaK, p.k, p.headDimQK, rowsK, p.kvHeads,
                                    p.kRowStride, p.kHeadStride, p.kBatchStride, kvRows))
    return e;
  return encodeRowsMap(drv, s, a, p.tmaV, p.v, p.headDimV, rowsK, p.kvHeads, p.vRowStride,
                       p.vHeadStride, p.vBatchStride, kvRows);
}

/// The warp-specialized backward's maps: Q and dO by streamed tile, K and
/// V by resident key block (BwdKernelSm90Ws.cuh).
llvm::Error encodeBackwardTensorMaps(CudaDriver &drv, const codegen::KernelSpec &s,
                                     const ForwardArgs &a, BwdParams &p) {
  const attn::TileConfig &t = *s.bwdTiles;
  if (llvm::Error e = encodeQKVMaps(drv, s, a, p.f, t.blockM, 16 * t.warps))
    return e;
  const int64_t rowsQ = s.varlen ? a.totalQ : a.seqQ;
  return encodeRowsMap(drv, s, a, p.tmaDO, p.dO, p.f.headDimV, rowsQ, p.f.heads, p.dORowStride,
                       p.dOHeadStride, p.dOBatchStride, t.blockM);
}
} // namespace

namespace {
/// Runs `launch` after the variant's tile-class builder (TileClasses.cuh)
/// has classified every cell of rowsPerCell x keysPerCell into
/// f.tileClasses, memory ordered on the launch's stream; directly when the
/// variant has no run-time classes, or with FLASHGEN_TILE_CLASSES=off (no
/// builder: the kernels then compute every tile of their band with the
/// mask; A/B measurements, same results).
llvm::Error withTileClasses(CudaDriver &driver, const codegen::KernelSpec &s, CUfunction builder,
                            const ForwardArgs &a, int64_t rowsPerCell, int64_t keysPerCell,
                            FwdParams &f, llvm::function_ref<llvm::Error()> launch) {
  const char *classesEnv = std::getenv("FLASHGEN_TILE_CLASSES");
  if (!s.runtimeTileClasses() || (classesEnv && llvm::StringRef(classesEnv) == "off"))
    return launch();
  f.tileClassRowBlocks = int32_t((a.seqQ + rowsPerCell - 1) / rowsPerCell);
  f.tileClassTiles = int32_t((a.seqK + keysPerCell - 1) / keysPerCell);
  f.tileClassHeads = s.maskUsesHead ? a.heads : 1;
  const size_t bytes = size_t(a.batch) * size_t(f.tileClassHeads) *
                       size_t(f.tileClassRowBlocks) * size_t(f.tileClassTiles);
  llvm::Expected<CUdeviceptr> classes = driver.allocAsync(bytes, a.stream);
  if (!classes)
    return classes.takeError();
  f.tileClasses = reinterpret_cast<uint8_t *>(*classes);
  void *args[] = {&f};
  llvm::Error e = driver.launch(
      builder, unsigned((f.tileClassTiles + kTileClassThreads - 1) / kTileClassThreads),
      unsigned(f.tileClassRowBlocks), unsigned(a.batch * f.tileClassHeads),
      unsigned(kTileClassThreads), 0, a.stream, args);
  if (!e)
    e = launch();
  return llvm::joinErrors(std::move(e), driver.freeAsync(*classes, a.stream));
}
} // namespace

const Kernel &Kernel::forTuning(const ForwardArgs &a, std::string *why, bool backward) const {
  if (!jitOptions.useTuning || a.batch < 1 || a.heads < 1 || a.seqQ < 1 || a.seqK < 1)
    return *this;
  const std::string bucket = tuning::shapeBucket(a.batch, a.heads, a.seqQ, a.seqK);
  const std::string key = (backward ? "bwd." : "fwd.") + bucket;
  std::lock_guard<std::mutex> lock(tunedMutex);
  auto it = tuned.find(key);
  if (it == tuned.end())
    it = tuned.emplace(key, lookupTuned(a, backward)).first;
  if (why)
    *why = it->second.why;
  return it->second.kernel ? *it->second.kernel : *this;
}

Kernel::TunedChoice Kernel::lookupTuned(const ForwardArgs &a, bool backward) const {
  TunedChoice c;
  const tuning::LaunchChoice found = tuning::launchTiling(
      specText, jitOptions.device, a.batch, a.heads, a.seqQ, a.seqK, backward);
  c.why = found.why;
  if (!found.config)
    return c;
  // backward() JITs its kernels before asking, so bwd.spec is the planner's.
  const std::string planner = backward && bwd.spec.bwdTiles
                                  ? tuning::backwardTilingProperties(*bwd.spec.bwdTiles)
                                  : tuning::tilingProperties(fwd.spec.tiles);
  if (*found.config == planner) {
    c.why = "planner, confirmed by tuning: " + c.why;
    return c;
  }
  llvm::Expected<std::string> text = tuning::withTiling(specText, *found.config);
  JitOptions jo = jitOptions;
  jo.useTuning = false;
  jo.withBackward = backward; // a forward bucket's kernel runs no backward
  llvm::Expected<std::unique_ptr<Kernel>> k =
      text ? Kernel::fromSpec(*text, specName, jo)
           : llvm::Expected<std::unique_ptr<Kernel>>(text.takeError());
  if (!k) {
    c.why = "planner (" + std::string(found.tuned ? "the tuned" : "its shape rule's") +
            " tiling '" + *found.config + "' failed to compile: " +
            llvm::toString(k.takeError()) + ")";
    return c;
  }
  c.kernel = std::shared_ptr<Kernel>(std::move(*k));
  if (found.tuned)
    c.why = "tuned: " + c.why;
  return c;
}

llvm::Error Kernel::forward(const ForwardArgs &a) const {
  return forTuning(a).forwardUntuned(a);
}

llvm::Error Kernel::forwardUntuned(const ForwardArgs &a) const {
  FwdParams p{};
  if (llvm::Error e = buildForwardParams(fwd.spec, a, runtime::ParamsFor::Forward, p))
    return e;
  llvm::Expected<CudaDriver &> driver = CudaDriver::get(jitOptions.device);
  if (!driver)
    return driver.takeError();
  const codegen::KernelSpec &s = fwd.spec;
  if (s.tiles.warpSpecialized)
    if (llvm::Error e = encodeQKVMaps(*driver, s, a, p, s.tiles.blockM, s.tiles.blockN))
      return e;
  unsigned gridX = unsigned((a.seqQ + s.tiles.blockM - 1) / s.tiles.blockM);
  void *args[] = {&p};
  auto launchForward = [&] {
    return driver->launch(fwd.loaded->functions[0], gridX, unsigned(a.heads),
                          unsigned(a.batch), unsigned(s.fwdThreads()), unsigned(fwd.smemBytes),
                          a.stream, args);
  };
  // The builder is the forward module's second entry, when it has one.
  CUfunction builder = s.runtimeTileClasses() ? fwd.loaded->functions[1] : nullptr;
  return withLookupReport(*driver, s, p, "forward", [&] {
    return withTileClasses(*driver, s, builder, a, s.tiles.blockM, s.tiles.blockN, p,
                           launchForward);
  });
}

bool flashgen::checkLookupsFromEnvironment() {
  const char *v = std::getenv("FLASHGEN_CHECK_LOOKUPS");
  return v && *v && std::string(v) != "0";
}

llvm::Error Kernel::withLookupReport(CudaDriver &driver, const codegen::KernelSpec &s,
                                     FwdParams &f, llvm::StringRef pass,
                                     llvm::function_ref<llvm::Error()> launch) const {
  if (!s.checkLookups)
    return launch();
  std::lock_guard<std::mutex> lock(lookupReportMutex);
  const size_t bytes = kLookupReportInts * sizeof(int32_t);
  if (!lookupReport) {
    llvm::Expected<CUdeviceptr> m = driver.alloc(bytes);
    if (!m)
      return m.takeError();
    lookupReport = uint64_t(*m);
  }
  f.lookupReport = reinterpret_cast<int32_t *>(lookupReport);
  if (llvm::Error e = driver.memset8(CUdeviceptr(lookupReport), 0, bytes))
    return e;
  if (llvm::Error e = launch())
    return e;
  int32_t report[kLookupReportInts];
  if (llvm::Error e = driver.synchronize())
    return e;
  if (llvm::Error e = driver.copyToHost(report, CUdeviceptr(lookupReport), bytes))
    return e;
  if (report[0] == 0)
    return llvm::Error::success();
  return makeError(ErrorKind::Argument, runtime::describeClampedLookup(s, f, report, pass));
}

std::string Kernel::resourceReport() const {
  llvm::Expected<CudaDriver &> driver = CudaDriver::get(jitOptions.device);
  if (!driver) {
    llvm::consumeError(driver.takeError());
    return "";
  }
  std::string out;
  auto add = [&](const std::string &name, CUfunction f) {
    auto [regs, spill] = driver->registersAndSpill(f);
    out += name + ": " + std::to_string(regs) + " registers, " + std::to_string(spill) +
           " bytes spilled\n";
  };
  add(fwd.spec.entry, fwd.loaded->functions[0]);
  std::lock_guard<std::mutex> lock(bwdMutex);
  if (bwd.loaded) {
    std::vector<std::string> names = bwd.spec.backwardEntries();
    for (size_t i = 0; i < bwd.loaded->functions.size(); ++i)
      if (bwd.loaded->functions[i])
        add(names[i], bwd.loaded->functions[i]);
  }
  return out;
}

namespace {
/// SMs of `device` (0 without a driver: the backward then never splits).
int deviceSMs(int device) {
  llvm::Expected<CudaDriver &> driver = CudaDriver::get(device);
  if (!driver) {
    llvm::consumeError(driver.takeError());
    return 0;
  }
  return driver->device().numSMs;
}
} // namespace

runtime::BackwardWorkspace Kernel::backwardWorkspace(const ForwardArgs &a) const {
  // Planes for the most parts any launch of these shapes splits into.
  return runtime::backwardWorkspaceLayout(a, fwd.spec.paddedQK,
                                          runtime::resolvedKvHeads(fwd.spec, a),
                                          int(fwd.spec.headDimQK), int(fwd.spec.headDimV),
                                          reservedKvSplit(a));
}

int Kernel::reservedKvSplit(const ForwardArgs &a) const {
  const int kvHeads = runtime::resolvedKvHeads(fwd.spec, a);
  if (kvHeads < 1 || a.heads % kvHeads != 0 || a.batch < 1 || a.seqK < 1)
    return 1;
  // The fewest CTAs any backward tiling launches: resident key blocks are
  // at most kBwdSeqPadding keys (KernelSpec checks the backward tiles).
  const int64_t blocks = (a.seqK + kBwdSeqPadding - 1) / kBwdSeqPadding;
  const int group = a.heads / kvHeads;
  // FLASHGEN_BWD_MAX_KV_SPLIT caps it (1: off), for A/B measurements.
  int cap = group;
  if (const char *env = std::getenv("FLASHGEN_BWD_MAX_KV_SPLIT"))
    cap = std::max(1, std::min(group, std::atoi(env)));
  return runtime::backwardKvSplit(group, blocks * kvHeads * a.batch, deviceSMs(jitOptions.device),
                                  cap);
}

int Kernel::untunedKvSplit(const ForwardArgs &a) const {
  const int kvHeads = runtime::resolvedKvHeads(fwd.spec, a);
  if (!bwd.spec.bwdTiles || kvHeads < 1 || a.heads % kvHeads != 0)
    return 1;
  const int64_t resident = 16 * bwd.spec.bwdTiles->warps;
  const int64_t ctas = (a.seqK + resident - 1) / resident * kvHeads * a.batch;
  return runtime::backwardKvSplit(a.heads / kvHeads, ctas, deviceSMs(jitOptions.device),
                                  reservedKvSplit(a));
}

int Kernel::backwardKvSplit(const ForwardArgs &a) const {
  return forTuning(a, nullptr, /*backward=*/true).untunedKvSplit(a);
}

size_t Kernel::backwardWorkspaceBytes(const ForwardArgs &a) const {
  return backwardWorkspace(a).bytes;
}

llvm::Error Kernel::backward(const BackwardArgs &a) const {
  // The planner's backward tiles are known once its kernels are JITted:
  // lookupTuned compares the tuned entry with them.
  if (llvm::Error e = prepareBackward())
    return e;
  return forTuning(a, nullptr, /*backward=*/true).backwardUntuned(a);
}

llvm::Error Kernel::backwardUntuned(const BackwardArgs &a) const {
  FwdParams f{};
  if (llvm::Error e = buildForwardParams(fwd.spec, a, runtime::ParamsFor::Backward, f))
    return e;
  BwdParams p{};
  p.f = f;
  if (llvm::Error e = buildBackwardParams(a, p))
    return e;
  if (llvm::Error e = prepareBackward())
    return e;
  llvm::Expected<CudaDriver &> driver = CudaDriver::get(jitOptions.device);
  if (!driver)
    return driver.takeError();

  p.seqPad = int32_t(runtime::backwardPaddedRows(a.seqQ));
  const runtime::BackwardWorkspace layout = backwardWorkspace(a);
  const size_t wsBytes = layout.bytes;
  CUdeviceptr ws = reinterpret_cast<CUdeviceptr>(a.workspace);
  if (!ws) {
    std::lock_guard<std::mutex> lock(bwdMutex);
    if (workspaceBytes < wsBytes) {
      if (workspace)
        driver->free(CUdeviceptr(workspace));
      workspace = 0;
      workspaceBytes = 0;
      llvm::Expected<CUdeviceptr> m = driver->alloc(wsBytes);
      if (!m)
        return m.takeError();
      workspace = uint64_t(*m);
      workspaceBytes = wsBytes;
    }
    ws = CUdeviceptr(workspace);
  }
  p.lse2 = reinterpret_cast<float *>(ws + layout.lse2);
  p.dsum = reinterpret_cast<float *>(ws + layout.dsum);
  const std::vector<CUfunction> &fn = bwd.loaded->functions;
  // The fast path (atomic dQ) unless the caller asked for bit-identical
  // results or the tiling has none. Bit-identical results: from the
  // warp-specialized kernel, its dQ reductions in key-block order (1.4-2.2x
  // the separate kernels, 0.69-1.0x its fast path on the H200:
  // bench/results/2026-11-30-h200-s14.md), else the separate dK/dV and dQ
  // kernels.
  const bool ordered =
      a.deterministic && fn[codegen::kBwdFused] && bwd.spec.fusedIsDeterministic();
  const bool fused = (!a.deterministic && fn[codegen::kBwdFused]) || ordered;
  if (!fused && !fn[codegen::kBwdDKDV])
    return makeError(ErrorKind::Unsupported, "variant '" + bwd.spec.variant +
                                              "': the backward module has no kernel for "
                                              "this path (deterministic=" +
                                              (a.deterministic ? "true" : "false") + ")");
  p.dqAccum = fused ? reinterpret_cast<float *>(ws + layout.dqAccum) : nullptr;
  p.dqOrder = ordered ? reinterpret_cast<int32_t *>(ws + layout.dqOrder) : nullptr;
  if (fused && bwd.spec.bwdTiles->warpSpecialized)
    if (llvm::Error e = encodeBackwardTensorMaps(*driver, bwd.spec, a, p))
      return e;
  // GQA/MQA with too few key blocks to fill the GPU: a kv head's query
  // heads split over CTAs, their dK/dV sums in partial planes.
  p.kvSplit = untunedKvSplit(a);
  p.seqPadK = int32_t(runtime::backwardPaddedRows(a.seqK));
  p.dkvPartial = p.kvSplit > 1 ? reinterpret_cast<float *>(ws + layout.dkvPartial) : nullptr;
  if (p.kvSplit > 1 && !fn[codegen::kBwdConvertDKDV])
    return makeError(ErrorKind::Unsupported, "variant '" + bwd.spec.variant +
                                              "': the backward module has no dK/dV conversion");

  // Cells that divide both walks' tiles (KernelSpec::bwdTileClassBlock).
  const int64_t g = bwd.spec.bwdTileClassBlock();
  return withLookupReport(*driver, bwd.spec, p.f, "backward", [&] {
    return withTileClasses(*driver, bwd.spec, fn[codegen::kBwdTileClasses], a, g, g, p.f,
                           [&] { return launchBackward(*driver, a, fn, fused, p); });
  });
}

llvm::Error Kernel::launchBackward(CudaDriver &driver, const BackwardArgs &a,
                                   const std::vector<CUfunction> &fn, bool fused,
                                   BwdParams &p) const {
  const attn::TileConfig &t = *bwd.spec.bwdTiles;
  const unsigned threads = unsigned(32 * t.warps);
  const int64_t resident = 16 * t.warps;
  void *args[] = {&p};
  const unsigned rowBlocks = unsigned(p.seqPad / kBwdPreprocessRows);
  const FwdParams &f = p.f;
  // 1. D and lse2 for every padded row (and the zeroed dQ accumulator).
  if (auto e = driver.launch(fn[codegen::kBwdPre], rowBlocks, unsigned(a.heads), unsigned(a.batch),
                             kBwdPreprocessThreads, 0, a.stream, args))
    return e;
  unsigned kBlocks = unsigned((a.seqK + resident - 1) / resident);
  // The kv-major kernels: one CTA per resident key block and part of a kv
  // head's query heads (BwdParams::kvSplit); then, when split, dK and dV
  // from the partial planes.
  const unsigned kvParts = unsigned(f.kvHeads * p.kvSplit);
  auto convertKeyGradients = [&]() -> llvm::Error {
    if (p.kvSplit == 1)
      return llvm::Error::success();
    return driver.launch(fn[codegen::kBwdConvertDKDV], unsigned(p.seqPadK / kBwdPreprocessRows),
                         unsigned(f.kvHeads), unsigned(a.batch), kBwdPreprocessThreads, 0,
                         a.stream, args);
  };
  if (fused) {
    // 2. dK, dV and dQ (atomics or ordered); 3. dQ out (and dK/dV when split).
    if (auto e = driver.launch(fn[codegen::kBwdFused], kBlocks, kvParts, unsigned(a.batch),
                               unsigned(bwd.spec.bwdFusedThreads()), unsigned(bwd.smemBytes),
                               a.stream, args))
      return e;
    if (auto e = convertKeyGradients())
      return e;
    return driver.launch(fn[codegen::kBwdConvertDQ], rowBlocks, unsigned(a.heads),
                         unsigned(a.batch), kBwdPreprocessThreads, 0, a.stream, args);
  }
  // 2. dK/dV (dV only when split, then dK).
  for (int i : {codegen::kBwdDKDV, codegen::kBwdDK}) {
    if (!fn[i])
      continue;
    if (auto e = driver.launch(fn[i], kBlocks, kvParts, unsigned(a.batch), threads,
                               unsigned(bwd.smemBytes), a.stream, args))
      return e;
  }
  if (auto e = convertKeyGradients())
    return e;
  // 3. dQ, one CTA per resident query block.
  unsigned qBlocks = unsigned((a.seqQ + resident - 1) / resident);
  return driver.launch(fn[codegen::kBwdDQ], qBlocks, unsigned(a.heads), unsigned(a.batch), threads,
                       unsigned(bwd.smemBytes), a.stream, args);
}
