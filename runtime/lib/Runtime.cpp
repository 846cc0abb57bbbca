//===- Runtime.cpp - the flashgen C++ JIT API -------------------*- C++ -*-===//
#include "flashgen/Runtime/Runtime.h"

#include "flashgen/Codegen/EmitCuda.h"
#include "flashgen/Dialect/Attn/Transforms/Passes.h"
#include "flashgen/Dialect/Attn/Transforms/Transforms.h"
#include "flashgen/Frontend/Frontend.h"
#include "flashgen/Runtime/CudaDriver.h"
#include "flashgen/Runtime/KernelCache.h"
#include "flashgen/Runtime/Nvrtc.h"

#include "flashgen/attention/Params.cuh" // shared with the kernels

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <chrono>
#include <cmath>
#include <map>
#include <mutex>

using namespace flashgen;
using namespace flashgen::runtime;

namespace {

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg.str());
}

/// Frontend, canonicalization, shape recognition and tiling for `target`,
/// then codegen. Diagnostics come back as the error's text.
llvm::Expected<std::pair<codegen::KernelSpec, std::string>>
generate(llvm::StringRef text, llvm::StringRef name, const attn::GpuTarget &target) {
  llvm::SourceMgr srcMgr;
  srcMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, name), llvm::SMLoc());
  mlir::DialectRegistry registry;
  registerAttnDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  ctx.printOpOnDiagnostic(false);
  std::string diags;
  llvm::raw_string_ostream diagOS(diags);
  FrontendResult result = runFrontend(srcMgr, diagOS, &ctx);
  if (result.numErrors || !result.module)
    return fail("errors in " + name + ":\n" + diags);
  auto variants = result.module->getOps<attn::VariantOp>();
  if (std::distance(variants.begin(), variants.end()) != 1)
    return fail(name + " must hold exactly one variant to JIT");
  attn::VariantOp v = *variants.begin();
  {
    mlir::SourceMgrDiagnosticHandler handler(srcMgr, &ctx, diagOS);
    mlir::PassManager pm(&ctx);
    pm.addPass(attn::createAttnCanonicalizeExprs());
    pm.addPass(attn::createAttnRecognizeShapes());
    if (mlir::failed(pm.run(*result.module)) || mlir::failed(attn::planTiling(v, target)))
      return fail(diags);
  }
  llvm::Expected<codegen::KernelSpec> spec = codegen::buildKernelSpec(v);
  if (!spec)
    return spec.takeError();
  // The source names no file: the same variant from any file (or builder)
  // has the same text, hence the same kernel-cache entry.
  std::string source = codegen::emitForwardKernel(v, *spec, "a .attn spec (JIT)");
  return std::make_pair(std::move(*spec), std::move(source));
}

/// The device's own resources on top of its architecture's table row.
attn::GpuTarget targetFor(const DeviceInfo &d) {
  std::optional<attn::GpuTarget> t = attn::lookupTarget(d.arch());
  attn::GpuTarget g = t ? *t : *attn::lookupTarget("sm_80");
  g.arch = d.arch();
  g.part = d.name;
  g.numSMs = d.numSMs;
  g.smemPerBlock = d.smemPerBlockOptin;
  g.smemPerSM = d.smemPerSM;
  g.regsPerSM = d.regsPerSM;
  g.maxThreadsPerSM = d.maxThreadsPerSM;
  g.maxBlocksPerSM = d.maxBlocksPerSM;
  g.l2Bytes = d.l2Bytes;
  g.source = "queried from the device (" + d.name + ")";
  return g;
}

} // namespace

/// A loaded CUBIN and its entry point; unloaded with the last owner.
struct flashgen::runtime::LoadedModule {
  CUmodule module = nullptr;
  CUfunction function = nullptr;
  ~LoadedModule() {
    if (!module)
      return;
    if (llvm::Expected<CudaDriver &> d = CudaDriver::get())
      d->unloadModule(module);
    else
      llvm::consumeError(d.takeError());
  }
};

namespace {
/// Process-level JIT cache: (device, name, spec text) -> a ready kernel.
struct ProcessEntry {
  codegen::KernelSpec spec;
  std::string source;
  std::shared_ptr<LoadedModule> loaded;
  int smemBytes = 0;
};
std::mutex processMutex;
std::map<std::string, ProcessEntry> &processCache() {
  static std::map<std::string, ProcessEntry> cache;
  return cache;
}
} // namespace

void flashgen::clearJitProcessCache() {
  std::lock_guard<std::mutex> lock(processMutex);
  processCache().clear();
}

llvm::Expected<std::pair<codegen::KernelSpec, std::string>>
flashgen::generateForward(llvm::StringRef text, llvm::StringRef name, llvm::StringRef arch) {
  std::optional<attn::GpuTarget> t = attn::lookupTarget(arch);
  if (!t)
    return fail("unknown architecture '" + arch + "'; expected sm_80, sm_86, sm_89 or sm_90a");
  return generate(text, name, *t);
}

llvm::Expected<std::unique_ptr<Kernel>>
Kernel::fromFile(llvm::StringRef path, const JitOptions &options) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf)
    return fail("cannot read '" + path + "': " + buf.getError().message());
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
      return fail("errors in " + name + ":\n" + os.str());
  }
  llvm::Expected<CudaDriver &> driver = CudaDriver::get();
  if (!driver)
    return driver.takeError();
  const DeviceInfo &dev = driver->device();
  if (options.arch != "native" && options.arch != dev.arch())
    return fail("JIT for " + options.arch + " requested, but the device (" + dev.name +
                ") is " + dev.arch() + "; use arch = native or compile ahead with "
                "`flashgen compile`");
  std::unique_ptr<Kernel> k(new Kernel());
  std::string processKey =
      std::to_string(dev.ordinal) + "\0" + dev.arch() + "\0" + name.str() + "\0" + text.str();
  if (options.useCache) {
    std::lock_guard<std::mutex> lock(processMutex);
    auto it = processCache().find(processKey);
    if (it != processCache().end()) {
      k->kernelSpec = it->second.spec;
      k->cudaSource = it->second.source;
      k->loaded = it->second.loaded;
      k->smemBytes = it->second.smemBytes;
      k->jitStats.cacheHit = k->jitStats.processHit = true;
      return k;
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  auto gen = generate(text, name, targetFor(dev));
  if (!gen)
    return gen.takeError();
  k->kernelSpec = std::move(gen->first);
  k->cudaSource = std::move(gen->second);
  k->jitStats.frontendSeconds = since(t0);

  std::vector<std::string> opts = nvrtcOptions(dev.arch());
  std::string key = KernelCache::makeKey(k->cudaSource, dev.arch(), opts, nvrtcVersion());
  k->jitStats.cacheKey = key;
  KernelCache &cache = KernelCache::global();
  std::optional<std::vector<char>> cubin;
  if (options.useCache)
    cubin = cache.lookup(key);
  if (cubin) {
    k->jitStats.cacheHit = true;
  } else {
    llvm::Expected<NvrtcResult> r = compileWithNvrtc(k->cudaSource, name.str() + ".cu", dev.arch());
    if (!r)
      return r.takeError();
    k->jitStats.nvrtcSeconds = r->seconds;
    cubin = std::move(r->cubin);
    if (options.useCache)
      llvm::consumeError(cache.store(key, *cubin)); // memory copy still serves
  }
  auto t1 = std::chrono::steady_clock::now();
  llvm::Expected<CUmodule> module = driver->loadModule(*cubin);
  if (!module)
    return module.takeError();
  k->loaded = std::make_shared<LoadedModule>();
  k->loaded->module = *module;
  llvm::Expected<CUfunction> fn = driver->getFunction(*module, k->kernelSpec.entry);
  if (!fn)
    return fn.takeError();
  k->loaded->function = *fn;
  // The planner's estimate is exactly the kernel's FwdConfig::kSmemBytes.
  k->smemBytes = int(k->kernelSpec.tiles.smemBytes);
  if (k->smemBytes <= 0)
    return fail("variant '" + k->kernelSpec.variant + "': the tiling has no shared-memory size");
  if (auto e = driver->setMaxDynamicSharedMemory(k->loaded->function, k->smemBytes))
    return std::move(e);
  k->jitStats.loadSeconds = since(t1);
  if (options.useCache) {
    std::lock_guard<std::mutex> lock(processMutex);
    processCache()[processKey] = {k->kernelSpec, k->cudaSource, k->loaded, k->smemBytes};
  }
  return k;
}

namespace {

bool aligned16(const void *p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

} // namespace

std::optional<int64_t> flashgen::resolveExtent(llvm::StringRef dim, const ForwardArgs &a,
                                               int kvHeads, bool varlen) {
  int64_t n;
  if (!dim.getAsInteger(10, n))
    return n;
  if (dim == "batch") return a.batch;
  if (dim == "heads") return a.heads;
  if (dim == "kv_heads") return kvHeads;
  if (dim == "seq_q") return a.seqQ;
  if (dim == "seq_k") return a.seqK;
  if (dim == "tokens_q") return varlen ? a.totalQ : int64_t(a.batch) * a.seqQ;
  if (dim == "tokens_k") return varlen ? a.totalK : int64_t(a.batch) * a.seqK;
  return std::nullopt;
}

llvm::Error Kernel::forward(const ForwardArgs &a) const {
  const codegen::KernelSpec &s = kernelSpec;
  // Pointers.
  struct {
    const char *name;
    const void *p;
  } ptrs[] = {{"q", a.q}, {"k", a.k}, {"v", a.v}, {"o", a.o}};
  for (auto &p : ptrs) {
    if (!p.p)
      return fail(llvm::Twine("forward: '") + p.name + "' is null");
    if (!aligned16(p.p))
      return fail(llvm::Twine("forward: '") + p.name +
                  "' must be 16-byte aligned (cp.async loads 16 bytes)");
  }
  if (a.lse && (reinterpret_cast<uintptr_t>(a.lse) & 3))
    return fail("forward: 'lse' must be 4-byte aligned");
  // Counts.
  if (a.batch < 1 || a.heads < 1 || a.seqQ < 1 || a.seqK < 1)
    return fail("forward: batch, heads, seqQ and seqK must be >= 1 (got batch=" +
                llvm::Twine(a.batch) + " heads=" + llvm::Twine(a.heads) + " seqQ=" +
                llvm::Twine(a.seqQ) + " seqK=" + llvm::Twine(a.seqK) + ")");
  // Heads and batch index the grid's y and z dimensions.
  if (a.heads > 65535 || a.batch > 65535)
    return fail("forward: heads (" + llvm::Twine(a.heads) + ") and batch (" +
                llvm::Twine(a.batch) + ") must each be at most 65535 (CUDA grid limit)");
  int kvHeads = a.kvHeads ? a.kvHeads
                          : (s.kvHeadsRatio ? a.heads / int(s.kvHeadsRatio) : a.heads);
  if (kvHeads < 1 || a.heads % kvHeads != 0)
    return fail("forward: kvHeads (" + llvm::Twine(kvHeads) + ") must divide heads (" +
                llvm::Twine(a.heads) + ")");
  if (s.kvHeadsRatio && a.heads / kvHeads != s.kvHeadsRatio)
    return fail("forward: the spec groups " + llvm::Twine(s.kvHeadsRatio) +
                " query heads per kv head, but heads/kvHeads = " +
                llvm::Twine(a.heads / kvHeads));
  if (s.varlen) {
    if (!a.cuSeqlensQ || !a.cuSeqlensK || a.totalQ < 1 || a.totalK < 1)
      return fail("forward: variant '" + s.variant + "' is varlen: give cuSeqlensQ, "
                  "cuSeqlensK (batch + 1 offsets each) and totalQ, totalK");
  } else if (a.cuSeqlensQ || a.cuSeqlensK) {
    return fail("forward: cuSeqlensQ/cuSeqlensK given, but variant '" + s.variant +
                "' is not varlen (add `varlen = true;` to the spec)");
  }
  // Strides: explicit, or from the layout.
  int64_t dqk = s.headDimQK, dv = s.headDimV;
  auto derive = [&](Strides st, int h, int64_t seq, int64_t d) {
    if (st.row || st.head || st.batch)
      return st;
    if (a.layout == Layout::BSHD)
      return Strides{seq * h * d, h * d, d};
    return Strides{h * seq * d, d, seq * d};
  };
  Strides qs = derive(a.qStrides, a.heads, s.varlen ? 0 : a.seqQ, dqk);
  Strides ks = derive(a.kStrides, kvHeads, s.varlen ? 0 : a.seqK, dqk);
  Strides vs = derive(a.vStrides, kvHeads, s.varlen ? 0 : a.seqK, dv);
  Strides os = derive(a.oStrides, a.heads, s.varlen ? 0 : a.seqQ, dv);
  for (auto [name, st] : {std::pair("q", qs), std::pair("k", ks), std::pair("v", vs),
                          std::pair("o", os)})
    if (st.row % 8 || st.head % 8 || st.batch % 8 || st.row <= 0)
      return fail(llvm::Twine("forward: strides of '") + name +
                  "' must be positive multiples of 8 elements (16 bytes)");

  FwdParams p{};
  p.q = a.q; p.k = a.k; p.v = a.v; p.o = a.o; p.lse = a.lse;
  p.qBatchStride = qs.batch; p.qRowStride = qs.row; p.qHeadStride = qs.head;
  p.kBatchStride = ks.batch; p.kRowStride = ks.row; p.kHeadStride = ks.head;
  p.vBatchStride = vs.batch; p.vRowStride = vs.row; p.vHeadStride = vs.head;
  p.oBatchStride = os.batch; p.oRowStride = os.row; p.oHeadStride = os.head;
  if (s.varlen) {
    p.lseHeadStride = a.totalQ;
  } else {
    p.lseHeadStride = a.seqQ;
    p.lseBatchStride = int64_t(a.heads) * a.seqQ;
  }
  p.batch = a.batch; p.heads = a.heads; p.kvHeads = kvHeads;
  p.seqQ = a.seqQ; p.seqK = a.seqK;
  p.headDimQK = int(dqk); p.headDimV = int(dv);
  p.cuSeqlensQ = a.cuSeqlensQ; p.cuSeqlensK = a.cuSeqlensK;
  p.scale = float(s.scale);
  p.scaleLog2 = float(s.scale * 1.4426950408889634);
  p.dropoutP = float(s.dropout);
  p.dropoutScale = float(1.0 / (1.0 - s.dropout));
  p.seed = a.dropoutSeed; p.offset = a.dropoutOffset;

  // Named tensors: every declared one, nothing else, shapes as declared.
  for (auto &[name, t] : a.tensors) {
    bool known = false;
    for (const codegen::TensorInfo &ti : s.tensors)
      known |= ti.name == name;
    if (!known)
      return fail("forward: tensor '" + name + "' is not read by variant '" + s.variant + "'");
  }
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    const codegen::TensorInfo &ti = s.tensors[i];
    auto it = a.tensors.find(ti.name);
    if (it == a.tensors.end() || !it->second.data)
      return fail("forward: variant '" + s.variant + "' reads tensor '" + ti.name +
                  "'; pass it in args.tensors");
    const NamedTensor &t = it->second;
    if (t.shape.size() != ti.dims.size())
      return fail("forward: tensor '" + ti.name + "' must have rank " +
                  llvm::Twine(ti.dims.size()) + ", got " + llvm::Twine(t.shape.size()));
    if (reinterpret_cast<uintptr_t>(t.data) & 3)
      return fail("forward: tensor '" + ti.name + "' must be 4-byte aligned");
    TensorRef &ref = p.tensors[i];
    ref.data = t.data;
    int64_t contiguous = 1;
    for (int d = int(ti.dims.size()) - 1; d >= 0; --d) {
      std::optional<int64_t> want = resolveExtent(ti.dims[d], a, kvHeads, s.varlen);
      if (!want || t.shape[d] != *want)
        return fail("forward: tensor '" + ti.name + "' dimension " + llvm::Twine(d) +
                    " (" + ti.dims[d] + ") must be " + llvm::Twine(want.value_or(-1)) +
                    ", got " + llvm::Twine(t.shape[d]));
      ref.dims[d] = int32_t(t.shape[d]);
      ref.strides[d] = t.strides.empty() ? contiguous : t.strides[d];
      contiguous *= t.shape[d];
    }
  }

  llvm::Expected<CudaDriver &> driver = CudaDriver::get();
  if (!driver)
    return driver.takeError();
  unsigned gridX = unsigned((a.seqQ + s.tiles.blockM - 1) / s.tiles.blockM);
  void *args[] = {&p};
  return driver->launch(loaded->function, gridX, unsigned(a.heads), unsigned(a.batch),
                        unsigned(32 * s.tiles.warps), unsigned(smemBytes), a.stream, args);
}
