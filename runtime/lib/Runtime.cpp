//===- Runtime.cpp - the flashgen C++ JIT API -------------------*- C++ -*-===//
#include "flashgen/Runtime/Runtime.h"
#include "flashgen/Runtime/PackedLaunch.h"
#include "CombineKernel.h"
#include "JitModule.h"
#include "TensorMaps.h"
#include "flashgen/attention/FwdFp8.cuh" // shared with the kernels

#include "flashgen/Codegen/ErrorKind.h"
#include "flashgen/Frontend/Frontend.h"
#include "flashgen/Runtime/CudaDriver.h"
#include "flashgen/Runtime/ForwardGrid.h"
#include "flashgen/Runtime/LaunchArgs.h"
#include "flashgen/Runtime/LookupReport.h"
#include "flashgen/Runtime/TileClassCapture.h"
#include "flashgen/Runtime/Tuner.h"
#include "flashgen/Runtime/TuningDb.h"

#include "flashgen/attention/Params.cuh"

#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>

using namespace flashgen;
using namespace flashgen::runtime;


llvm::Expected<std::unique_ptr<Kernel>>
Kernel::fromFile(llvm::StringRef path, const JitOptions &options) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf)
    return makeError(ErrorKind::Argument, "cannot read '" + path + "': " + buf.getError().message());
  return fromSpec((*buf)->getBuffer(), path, options);
}

namespace {
/// SMs of `device` (0 without a driver: neither pass then splits).
int deviceSMs(int device) {
  llvm::Expected<CudaDriver &> driver = CudaDriver::get(device);
  if (!driver) {
    llvm::consumeError(driver.takeError());
    return 0;
  }
  return driver->device().numSMs;
}
} // namespace

llvm::Expected<std::unique_ptr<Kernel>>
Kernel::fromSpec(llvm::StringRef text, llvm::StringRef name, const JitOptions &options) {
  // Spec errors come first: they are the user's to fix whether or not
  // this machine has a GPU (parse and Sema only). With a usable device the
  // JIT reports them itself (generateVariant, the same ErrorKind::Spec
  // text), and a spec-index hit is a spec this code generator compiled
  // before: checking it again cost a new process's disk hit ~0.1 ms.
  auto specErrors = [&]() -> llvm::Error {
    llvm::SourceMgr srcMgr;
    srcMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, name), llvm::SMLoc());
    std::string diags;
    llvm::raw_string_ostream os(diags);
    if (runFrontend(srcMgr, os, /*ctx=*/nullptr).numErrors)
      return makeError(ErrorKind::Spec, "errors in " + name + ":\n" + os.str());
    return llvm::Error::success();
  };
  llvm::Expected<CudaDriver &> driver = CudaDriver::get(options.device);
  if (!driver) {
    if (llvm::Error e = specErrors()) {
      llvm::consumeError(driver.takeError());
      return std::move(e);
    }
    return driver.takeError();
  }
  const DeviceInfo &dev = driver->device();
  if (options.arch != "native" && options.arch != dev.arch()) {
    if (llvm::Error e = specErrors())
      return std::move(e);
    return makeError(ErrorKind::Argument, "JIT for " + options.arch + " requested, but the device (" + dev.name +
                ") is " + dev.arch() + "; use arch = native or compile ahead with "
                "`flashgen compile`");
  }
  JitOptions resolved = options;
  resolved.device = dev.ordinal; // every later call goes to this device
  if (const char *pdl = std::getenv("FLASHGEN_PDL"); pdl && *pdl)
    resolved.launchCombineEarly = std::string(pdl) != "0";
  std::unique_ptr<Kernel> k(new Kernel());
  k->specText = text.str();
  k->specName = name.str();
  k->jitOptions = resolved;
  if (resolved.withBackward)
    k->startBackward(); // beside the forward's JIT (NVRTC is thread-safe)
  // A GQA-packed kernel serves decoding launches: split and paged ones too.
  llvm::Expected<JitModule> r = jitModule(text, name, resolved, /*backward=*/false,
                                          /*decoding=*/bool(resolved.packedQueryHeads));
  if (!r)
    return r.takeError(); // ~Kernel waits for the backward's JIT
  k->fwd = std::move(*r);
  return k;
}

llvm::Expected<const JitModule *> Kernel::forwardModule(bool decoding) const {
  if (!decoding || fwd.decoding)
    return &fwd;
  std::lock_guard<std::mutex> lock(fwdDecodingMutex);
  if (!fwdDecoding.loaded) {
    llvm::Expected<JitModule> r =
        jitModule(specText, specName, jitOptions, /*backward=*/false, /*decoding=*/true);
    if (!r)
      return r.takeError();
    fwdDecoding = std::move(*r);
  }
  return &fwdDecoding;
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
/// Whether environment variable `name` is "off" (the A/B switches below;
/// read at every launch, so a process can time both sides).
bool switchedOff(const char *name) {
  const char *v = std::getenv(name);
  return v && llvm::StringRef(v) == "off";
}

/// Runs `launch` after the variant's tile-class builder (TileClasses.cuh)
/// has classified every cell of rowsPerCell x keysPerCell into
/// f.tileClasses, memory ordered on the launch's stream; directly when the
/// variant has no run-time classes, or with FLASHGEN_TILE_CLASSES=off (no
/// builder: the kernels then compute every tile of their band with the
/// mask; A/B measurements, same results). rowBounds: the builder also
/// writes each row block's bounds of its non-empty tiles (the forward's
/// walks read them); colBounds: each key cell's bounds of the row cells
/// that keep it (the backward's key-block walks read them).
llvm::Error withTileClasses(CudaDriver &driver, const codegen::KernelSpec &s, CUfunction builder,
                            const ForwardArgs &a, int64_t rowsPerCell, int64_t keysPerCell,
                            bool rowBounds, bool colBounds, FwdParams &f,
                            llvm::function_ref<llvm::Error()> launch) {
  if (!s.runtimeTileClasses() || switchedOff("FLASHGEN_TILE_CLASSES"))
    return launch();
  f.tileClassRowBlocks = int32_t((a.seqQ + rowsPerCell - 1) / rowsPerCell);
  f.tileClassTiles = int32_t((a.seqK + keysPerCell - 1) / keysPerCell);
  f.tileClassHeads = s.maskUsesHead ? a.heads : 1;
  const size_t rows = size_t(a.batch) * size_t(f.tileClassHeads) * size_t(f.tileClassRowBlocks);
  const size_t bytes = rows * size_t(f.tileClassTiles);
  // Each row's bounds of its non-empty tiles, one pair per builder block
  // (TileClasses.cuh), after the classes (4-byte aligned): for the
  // forward's walks, and only for rows of more than kRowBoundsFromTiles
  // tiles. Reading them is one more load before a CTA's first tile;
  // scanning the empty classes before that tile costs one per
  // kTileWalkBatch. H200, documents and block masks, forward (bench/
  // results/2026-12-02-h200-s33.md): at 16k (128 or 256 tiles) 2-9%
  // faster, at 2k (16 or 32 tiles) 0.4-7% slower. FLASHGEN_TILE_BOUNDS=
  // off: never (A/B measurements, same results).
  constexpr int64_t kRowBoundsFromTiles = 4 * kTileWalkBatch;
  // The backward's walks read 32 cells' classes per warp load: bounds only
  // past two such loads (H200 at 16k, 256 cells: documents +5%, block maps
  // and local+global within +-4%; bench/results/2026-12-02-h200-s34.md).
  constexpr int64_t kColBoundsFromCells = 64;
  const bool boundsOff = switchedOff("FLASHGEN_TILE_BOUNDS");
  const bool bounds = rowBounds && f.tileClassTiles > kRowBoundsFromTiles && !boundsOff;
  const unsigned parts = unsigned((f.tileClassTiles + kTileClassThreads - 1) / kTileClassThreads);
  const size_t boundsAt = llvm::alignTo(bytes, 4);
  const size_t boundsBytes = bounds ? rows * parts * 2 * sizeof(int32_t) : 0;
  // With the bounds, each tile's link to the next kept one of its part
  // (16-bit tile indices; FLASHGEN_TILE_NEXT=off: none, A/B).
  const bool links =
      bounds && f.tileClassTiles < 0xffff && !switchedOff("FLASHGEN_TILE_NEXT");
  const size_t nextAt = boundsAt + boundsBytes;
  const size_t nextBytes = links ? rows * size_t(f.tileClassTiles) * sizeof(uint16_t) : 0;
  // The backward's (colBounds): each key cell's bounds of the row cells
  // that keep it, by atomics over zeroed memory (FLASHGEN_TILE_BOUNDS=off:
  // none).
  const bool cols = colBounds && f.tileClassHeads == 1 &&
                    f.tileClassRowBlocks > kColBoundsFromCells && !boundsOff;
  const size_t colsAt = llvm::alignTo(nextAt + nextBytes, 4);
  const size_t colsBytes =
      cols ? size_t(a.batch) * size_t(f.tileClassTiles) * 2 * sizeof(int32_t) : 0;
  llvm::Expected<CUdeviceptr> classes = driver.allocAsync(colsAt + colsBytes, a.stream);
  if (!classes)
    return classes.takeError();
  f.tileClasses = reinterpret_cast<uint8_t *>(*classes);
  f.tileClassBounds = bounds ? reinterpret_cast<int32_t *>(*classes + boundsAt) : nullptr;
  f.tileClassNext = links ? reinterpret_cast<uint16_t *>(*classes + nextAt) : nullptr;
  f.tileClassBoundParts = int32_t(parts);
  f.tileClassColBounds = cols ? reinterpret_cast<int32_t *>(*classes + colsAt) : nullptr;
  if (cols)
    if (llvm::Error e = driver.memset8Async(*classes + colsAt, 0, colsBytes, a.stream))
      return llvm::joinErrors(std::move(e), driver.freeAsync(*classes, a.stream));
  void *args[] = {&f};
  llvm::Error e = driver.launch(
      builder, parts, unsigned(f.tileClassRowBlocks), unsigned(a.batch * f.tileClassHeads),
      unsigned(kTileClassThreads), 0, a.stream, args);
  // A forward's classes for a check or report (TileClassCapture.h): the
  // first launch only, so timed ones are not synchronized.
  runtime::TileClassCapture *capture = runtime::TileClassCapture::active();
  if (!e && rowBounds && capture && !capture->captured) {
    capture->classes.resize(bytes);
    e = driver.synchronize();
    if (!e)
      e = driver.copyToHost(capture->classes.data(), *classes, bytes);
    capture->captured = !e;
    capture->rows = int(rowsPerCell);
    capture->keys = int(keysPerCell);
    capture->batch = int(a.batch);
    capture->headSlots = f.tileClassHeads;
    capture->rowBlocks = f.tileClassRowBlocks;
    capture->tiles = f.tileClassTiles;
  }
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
  runtime::PackedLaunch pl;
  if (const Kernel *k = packedFor(a, pl))
    return k->forward(pl.args);
  return forTuning(a).forwardUntuned(a);
}

const Kernel *Kernel::packedFor(const ForwardArgs &a, runtime::PackedLaunch &launch) const {
  const PackGqa when = runtime::packGqaFromEnvironment(jitOptions.packGqa);
  if (jitOptions.packedQueryHeads || when == PackGqa::Never)
    return nullptr;
  std::optional<runtime::PackedLaunch> pl =
      runtime::packedLaunchOf(fwd.spec, a, runtime::resolvedKvHeads(fwd.spec, a));
  if (!pl || (!pl->pack.singleQuery && !jitOptions.packGqaRows))
    return nullptr;
  const Kernel *k = packedKernel(pl->pack);
  if (!k)
    return nullptr;
  if (when != PackGqa::Always) {
    const Kernel &unpacked = forTuning(a);
    const int64_t slots = int64_t(deviceSMs(jitOptions.device)) *
                          std::max<int64_t>(1, unpacked.fwd.spec.tiles.ctasPerSM);
    if (!runtime::packingIsFaster(k->forTuning(pl->args).forwardCtas(pl->args),
                                  unpacked.forwardCtas(a), pl->pack.group, slots))
      return nullptr;
  }
  launch = std::move(*pl);
  return k;
}

int64_t Kernel::forwardCtas(const ForwardArgs &a) const {
  return runtime::forwardGridCtas(fwd.spec.tiles.blockM, a.heads, a.batch, a.seqQ,
                                  untunedForwardKvSplits(a));
}

const Kernel *Kernel::packedKernel(const PackedQueryHeads &pack) const {
  // (packedMutex only: fromSpec and forTuning take other locks, never this one.)
  std::lock_guard<std::mutex> lock(packedMutex);
  auto it = packed.find(pack.key());
  if (it == packed.end()) {
    JitOptions jo = jitOptions;
    jo.packedQueryHeads = pack;
    jo.withBackward = false; // decoding: a packed kernel runs no backward
    llvm::Expected<std::unique_ptr<Kernel>> k = Kernel::fromSpec(specText, specName, jo);
    std::shared_ptr<Kernel> made;
    if (k)
      made = std::move(*k);
    else // the rewrite refuses this variant (or it does not compile): unpacked
      llvm::consumeError(k.takeError());
    it = packed.emplace(pack.key(), std::move(made)).first;
  }
  return it->second.get();
}

llvm::Error Kernel::forwardUntuned(const ForwardArgs &a) const {
  FwdParams p{};
  if (llvm::Error e = buildForwardParams(fwd.spec, a, runtime::ParamsFor::Forward, p))
    return e;
  llvm::Expected<CudaDriver &> driver = CudaDriver::get(jitOptions.device);
  if (!driver)
    return driver.takeError();
  const codegen::KernelSpec &s = fwd.spec;
  // Pages are loaded by the copy engine, box by box: the warp-specialized
  // kernels' producer (FwdKernelSm90Ws.cuh) is the one that reads them.
  if (a.pageTable && !s.tiles.warpSpecialized)
    return makeError(ErrorKind::Unsupported,
                     "forward: a paged KV cache needs the sm_90a warp-specialized kernel; "
                     "variant '" + s.variant + "' runs without it on this device (" +
                         jitOptions.arch + "); contiguous K/V work everywhere");
  unsigned gridX = unsigned((a.seqQ + s.tiles.blockM - 1) / s.tiles.blockM);
  p.kvSplits = untunedForwardKvSplits(a);
  // Split, paged or per-entry-length launches need the module with the
  // decoding features (FwdDecoding.cuh); so do fp8 launches the V^T
  // pre-pass does not lay out (varlen, kvBatchIndex): that module's kernel
  // transposes V itself (FwdFp8.cuh).
  llvm::Expected<const JitModule *> module =
      forwardModule(p.kvSplits > 1 || a.pageTable || a.seqUsedK ||
                    (s.fp8 && (s.varlen || a.kvBatchIndex)));
  if (!module)
    return module.takeError();
  const JitModule &m = **module;
  // fp8 prefill: V transposed into stream-ordered scratch first.
  CUdeviceptr vTransposed = 0;
  if (s.fp8 && !m.decoding) {
    p.vtKeys = (a.seqK + 15) / 16 * 16;
    const int64_t entries = int64_t(a.batch) * p.kvHeads;
    if (entries > 65535)
      return makeError(ErrorKind::Argument,
                       "forward: fp8 inputs take batch x kvHeads <= 65535 (got " +
                           llvm::Twine(entries) + ")");
    llvm::Expected<CUdeviceptr> vt = driver->allocAsync(
        size_t(entries) * size_t(p.headDimV) * size_t(p.vtKeys), a.stream);
    if (!vt)
      return vt.takeError();
    vTransposed = *vt;
    p.vTransposed = reinterpret_cast<uint8_t *>(vTransposed);
  }
  auto freeTransposed = [&](llvm::Error e) {
    return vTransposed ? llvm::joinErrors(std::move(e), driver->freeAsync(vTransposed, a.stream))
                       : std::move(e);
  };
  if (s.tiles.warpSpecialized)
    if (llvm::Error e = encodeQKVMaps(*driver, s, a, p, s.tiles.blockM, s.tiles.blockN))
      return freeTransposed(std::move(e));
  void *args[] = {&p};
  auto launchMain = [&]() -> llvm::Error {
    if (vTransposed)
      if (llvm::Error e = driver->launch(
              m.loaded->functions.back(),
              unsigned((p.vtKeys + kFp8TransposeKeys - 1) / kFp8TransposeKeys),
              unsigned((p.headDimV + kFp8TransposeDims - 1) / kFp8TransposeDims),
              unsigned(a.batch * p.kvHeads), kFp8TransposeThreads, 0, a.stream, args))
        return e;
    return driver->launch(m.loaded->functions[0], gridX, unsigned(a.heads),
                          unsigned(a.batch * p.kvSplits), unsigned(s.fwdThreads()),
                          unsigned(m.smemBytes), a.stream, args);
  };
  // Split-KV: the parts' partial O and lse in stream-ordered memory, then
  // the combine kernel (CombineKernel.h) merges them into o and lse.
  auto launchForward = [&]() -> llvm::Error {
    if (p.kvSplits <= 1)
      return launchMain();
    llvm::Expected<CUfunction> combine = runtime::combineFunction(*driver, s.bf16, s.varlen);
    if (!combine)
      return combine.takeError();
    p.partialRows = s.varlen ? a.totalQ : a.batch * a.seqQ;
    const size_t rows = size_t(p.kvSplits) * size_t(a.heads) * size_t(p.partialRows);
    llvm::Expected<CUdeviceptr> partial =
        driver->allocAsync(rows * size_t(p.headDimV + 1) * sizeof(float), a.stream);
    if (!partial)
      return partial.takeError();
    p.oPartial = reinterpret_cast<float *>(*partial);
    p.lsePartial = p.oPartial + rows * size_t(p.headDimV);
    llvm::Error e = launchMain();
    if (!e) {
      constexpr int kRowsPerCta = kCombineThreads / 32;
      e = driver->launch(*combine,
                         unsigned((p.partialRows + kRowsPerCta - 1) / kRowsPerCta),
                         unsigned(a.heads), 1, kCombineThreads, 0, a.stream, args,
                         jitOptions.launchCombineEarly);
    }
    return llvm::joinErrors(std::move(e), driver->freeAsync(*partial, a.stream));
  };
  // The builder is the forward module's second entry, when it has one.
  CUfunction builder = s.runtimeTileClasses() ? m.loaded->functions[1] : nullptr;
  return freeTransposed(withLookupReport(*driver, s, p, "forward", [&] {
    return withTileClasses(*driver, s, builder, a, s.tiles.blockM, s.tiles.blockN,
                           /*rowBounds=*/true, /*colBounds=*/false, p,
                           launchForward);
  }));
}


int Kernel::untunedForwardKvSplits(const ForwardArgs &a) const {
  // FLASHGEN_FWD_KV_SPLITS: auto (the rule), or N to force N (1: off),
  // for measurements; -1 below stands for auto.
  static const int forced = [] {
    const char *env = std::getenv("FLASHGEN_FWD_KV_SPLITS");
    if (!env)
      return 0;
    return llvm::StringRef(env) == "auto" ? -1 : std::atoi(env);
  }();
  if (forced == 0 && !jitOptions.splitKv)
    return 1;
  const attn::TileConfig &t = fwd.spec.tiles;
  if (a.batch < 1 || a.heads < 1 || a.seqQ < 1 || a.seqK < 1 || t.blockM < 1 || t.blockN < 1)
    return 1;
  const int64_t tiles = (a.seqK + t.blockN - 1) / t.blockN;
  // The partial buffers index rows with 32 bits (FwdParams::partialRows).
  if (int64_t(a.batch) * a.seqQ > std::numeric_limits<int32_t>::max() ||
      int64_t(a.totalQ) > std::numeric_limits<int32_t>::max())
    return 1;
  // Grid z is batch x splits: at most 65535.
  const int cap = int(std::min<int64_t>({kMaxKvSplits, tiles, 65535 / a.batch}));
  if (forced > 0)
    return std::max(1, std::min(forced, cap));
  return runtime::forwardKvSplitsOf(t.blockM, t.blockN, t.ctasPerSM, a.heads, a.batch, a.seqQ,
                                    a.seqK, deviceSMs(jitOptions.device), cap);
}

int Kernel::forwardKvSplits(const ForwardArgs &a) const {
  runtime::PackedLaunch pl;
  if (const Kernel *k = packedFor(a, pl))
    return k->forwardKvSplits(pl.args);
  return forTuning(a).untunedForwardKvSplits(a);
}

int Kernel::forwardPackedGroup(const ForwardArgs &a) const {
  runtime::PackedLaunch pl;
  return packedFor(a, pl) ? pl.pack.group : 1;
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


runtime::BackwardWorkspace Kernel::backwardWorkspace(const ForwardArgs &a) const {
  // Planes for the most parts any launch of these shapes splits into.
  return runtime::backwardWorkspaceLayout(a, fwd.spec.paddedQK,
                                          runtime::resolvedKvHeads(fwd.spec, a),
                                          int(fwd.spec.headDimQK), int(fwd.spec.headDimV),
                                          reservedKvSplit(a));
}

/// FLASHGEN_BWD_KV_SPLIT=N forces the split to N where N divides the
/// group (for measurements that compare splits; 0 or unset: the rule).
static int forcedKvSplit(int group) {
  static const int forced = [] {
    const char *env = std::getenv("FLASHGEN_BWD_KV_SPLIT");
    return env ? std::atoi(env) : 0;
  }();
  return forced > 0 && group >= forced && group % forced == 0 ? forced : 0;
}

int Kernel::reservedKvSplit(const ForwardArgs &a) const {
  if (int forced = forcedKvSplit(a.heads / std::max(runtime::resolvedKvHeads(fwd.spec, a), 1)))
    return forced;
  // FLASHGEN_BWD_MAX_KV_SPLIT caps it (1: off), for A/B measurements.
  static const int envCap = [] {
    const char *env = std::getenv("FLASHGEN_BWD_MAX_KV_SPLIT");
    return env ? std::atoi(env) : std::numeric_limits<int>::max();
  }();
  // The split of the backward's common tiling (64 queries x kBwdSeqPadding
  // resident keys, one CTA per SM): a function of the arguments alone, so
  // that the workspace a caller sized before the backward JITted still
  // fits; a tiling that would split more is capped to it.
  return runtime::backwardKvGrid(runtime::keyBandOf(fwd.spec), a.heads,
                                 runtime::resolvedKvHeads(fwd.spec, a), a.batch, a.seqQ, a.seqK,
                                 64, kBwdSeqPadding, deviceSMs(jitOptions.device), envCap)
      .split;
}

int Kernel::untunedKvSplit(const ForwardArgs &a, bool fused) const {
  if (!bwd.spec.bwdTiles)
    return 1;
  if (int forced = forcedKvSplit(a.heads / std::max(runtime::resolvedKvHeads(fwd.spec, a), 1)))
    return forced;
  const attn::TileConfig &t = *bwd.spec.bwdTiles;
  return runtime::backwardKvGrid(runtime::keyBandOf(bwd.spec), a.heads,
                                 runtime::resolvedKvHeads(fwd.spec, a), a.batch, a.seqQ, a.seqK,
                                 t.blockM, bwd.spec.bwdResidentRows(fused),
                                 int64_t(deviceSMs(jitOptions.device)) * std::max<int64_t>(1, t.ctasPerSM),
                                 reservedKvSplit(a))
      .split;
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
  // The wide kernel's dQ comes from its own kernel: no accumulator, no order.
  const bool wide = bwd.spec.bwdWide();
  p.dqAccum = fused && !wide ? reinterpret_cast<float *>(ws + layout.dqAccum) : nullptr;
  p.dqOrder = ordered && !wide ? reinterpret_cast<int32_t *>(ws + layout.dqOrder) : nullptr;
  if (fused && (bwd.spec.bwdTiles->warpSpecialized || bwd.spec.bwdWide()))
    if (llvm::Error e = encodeBackwardTensorMaps(*driver, bwd.spec, a, p))
      return e;
  // GQA/MQA with too few key blocks to fill the GPU: a kv head's query
  // heads split over CTAs, their dK/dV sums in partial planes.
  p.kvSplit = untunedKvSplit(a, fused);
  p.seqPadK = int32_t(runtime::backwardPaddedRows(a.seqK));
  p.dkvPartial = p.kvSplit > 1 ? reinterpret_cast<float *>(ws + layout.dkvPartial) : nullptr;
  if (p.kvSplit > 1 && !fn[codegen::kBwdConvertDKDV])
    return makeError(ErrorKind::Unsupported, "variant '" + bwd.spec.variant +
                                              "': the backward module has no dK/dV conversion");

  // Cells that divide both walks' tiles (KernelSpec::bwdTileClassBlock).
  const int64_t g = bwd.spec.bwdTileClassBlock();
  return withLookupReport(*driver, bwd.spec, p.f, "backward", [&] {
    return withTileClasses(*driver, bwd.spec, fn[codegen::kBwdTileClasses], a, g, g,
                           /*rowBounds=*/false, /*colBounds=*/true, p.f,
                           [&] { return launchBackward(*driver, a, fn, fused, p); });
  });
}

llvm::Error Kernel::launchBackward(CudaDriver &driver, const BackwardArgs &a,
                                   const std::vector<CUfunction> &fn, bool fused,
                                   BwdParams &p) const {
  const attn::TileConfig &t = *bwd.spec.bwdTiles;
  const unsigned threads = unsigned(32 * t.warps);
  const int64_t resident = bwd.spec.bwdResidentRows(fused);
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
  // dQ from the q-major kernel, one CTA per block of query rows.
  auto launchDQ = [&]() -> llvm::Error {
    const int64_t rows = bwd.spec.bwdDQRows();
    return driver.launch(fn[codegen::kBwdDQ], unsigned((a.seqQ + rows - 1) / rows),
                         unsigned(a.heads), unsigned(a.batch), unsigned(bwd.spec.bwdDQThreads()),
                         unsigned(bwd.smemBytes), a.stream, args);
  };
  if (fused) {
    // 2. dK, dV and dQ (atomics or ordered; the wide kernel: dK and dV);
    // 3. dQ out (the wide kernel: the dQ kernel; and dK/dV when split).
    if (auto e = driver.launch(fn[codegen::kBwdFused], kBlocks, kvParts, unsigned(a.batch),
                               unsigned(bwd.spec.bwdFusedThreads()), unsigned(bwd.smemBytes),
                               a.stream, args))
      return e;
    if (auto e = convertKeyGradients())
      return e;
    if (bwd.spec.bwdWide())
      return launchDQ();
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
  // 3. dQ.
  return launchDQ();
}
