//===- FwdBench.cpp - time flashgen's forward kernels on the standard grid -===//
//
// The FlashAttention papers' grid: bf16, batch * seqlen = 16384, heads *
// head_dim = 2048, N in {512 ... 16k}, d in {64, 128}, causal and not.
// FLOPs = 4 * B * H * N^2 * d, halved for causal. CUDA events around each
// launch, warm-up first, median of the repeats. Prints TSV lines
//   fwd <d> <causal> <N> <B> <H> <median ms> <TFLOP/s>
//   bwd <d> <causal> <N> <B> <H> <median ms> <TFLOP/s>   (2.5x the fwd FLOPs)
// and the JIT latency (cold NVRTC compile + load; warm memory and disk
// cache hits). Backward: the default (fast, atomic dQ) path as `bwd`, the
// deterministic kernels as `bwdd`.
// Usage: flashgen-bench [--quick] [--no-backward] [--head-dim 64|128] [--sweep]
//        flashgen-bench --jit SPEC.attn...
//        flashgen-bench --jit-train SPEC.attn...
// --jit: one JIT line per spec: its forward compiled and loaded cold (run
// it with an empty $FLASHGEN_CACHE_DIR, or the "cold" compile is a disk
// hit), then what a new process pays on a disk-cache hit; a jit-bwd line
// with its backward module's cold JIT where the variant has one.
// --jit-train: forward and backward JITted side by side (withBackward),
// cold, until both are ready.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Runtime/CudaDriver.h"
#include "flashgen/Runtime/KernelCache.h"
#include "flashgen/Runtime/Runtime.h"

#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

using namespace flashgen;
using runtime::CudaDriver;

namespace {

#define CHECK(expr)                                                            \
  do {                                                                         \
    if (llvm::Error e = (expr)) {                                              \
      std::fprintf(stderr, "error: %s\n", llvm::toString(std::move(e)).c_str()); \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)

template <class T> T unwrap(llvm::Expected<T> v) {
  if (!v) {
    std::fprintf(stderr, "error: %s\n", llvm::toString(v.takeError()).c_str());
    std::exit(1);
  }
  return std::move(*v);
}

std::string spec(int d, bool causal) {
  return "attention bench { dtype = bf16; head_dim = " + std::to_string(d) + ";" +
         (causal ? " mask = causal;" : "") + " }";
}

double seconds(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

/// Kernel::fromSpec three times: cold, again in this process (its process
/// cache), and after clearing the process and memory caches (what a new
/// process pays on a disk-cache hit); seconds each.
struct JitTiming {
  std::unique_ptr<Kernel> cold, warm, disk;
  double coldS = 0, warmS = 0, diskS = 0;
};
llvm::Expected<JitTiming> timeJit(const std::string &text, llvm::StringRef name) {
  JitTiming j;
  auto t0 = std::chrono::steady_clock::now();
  auto cold = Kernel::fromSpec(text, name);
  j.coldS = seconds(t0);
  if (!cold)
    return cold.takeError();
  j.cold = std::move(*cold);
  t0 = std::chrono::steady_clock::now();
  j.warm = unwrap(Kernel::fromSpec(text, name));
  j.warmS = seconds(t0);
  clearJitProcessCache();
  runtime::KernelCache::global().clearMemory();
  t0 = std::chrono::steady_clock::now();
  j.disk = unwrap(Kernel::fromSpec(text, name));
  j.diskS = seconds(t0);
  return j;
}

/// Runs `line` (a spec's text and path; false when it failed) on every
/// spec file, the CUDA context up first, as any process that launches
/// kernels (PyTorch) has it before its first JIT: cuInit and the context
/// are not the JIT's. 1 if anything failed.
template <class Line> int forEachSpec(const std::vector<std::string> &files, Line line) {
  if (llvm::Expected<CudaDriver &> d = CudaDriver::get(); !d) {
    std::fprintf(stderr, "error: %s\n", llvm::toString(d.takeError()).c_str());
    return 1;
  }
  int rc = 0;
  for (const std::string &f : files) {
    auto buf = llvm::MemoryBuffer::getFile(f);
    if (!buf) {
      std::fprintf(stderr, "error: cannot read %s\n", f.c_str());
      rc = 1;
    } else if (!line((*buf)->getBuffer().str(), f)) {
      rc = 1;
    }
    std::fflush(stdout);
  }
  return rc;
}

/// --jit: cold compile + load of each spec's forward, then a disk hit,
/// then its backward module cold.
bool jitLine(const std::string &text, const std::string &f) {
  llvm::Expected<JitTiming> j = timeJit(text, f);
  if (!j) {
    std::printf("jit %s error: %s\n", f.c_str(), llvm::toString(j.takeError()).c_str());
    return false;
  }
  const JitStats &c = j->cold->stats(), &d = j->disk->stats();
  std::printf("jit %s cold_total_s=%.3f (frontend %.1f ms, nvrtc %.3f s of it nvJitLink %.3f s, "
              "load %.2f ms, cache hit %d) | disk_hit_total_ms=%.3f (frontend %.3f ms, load %.3f "
              "ms, cache hit %d)\n",
              f.c_str(), j->coldS, c.frontendSeconds * 1e3, c.nvrtcSeconds, c.linkSeconds,
              c.loadSeconds * 1e3,
              int(c.cacheHit), j->diskS * 1e3, d.frontendSeconds * 1e3, d.loadSeconds * 1e3,
              int(d.cacheHit));
  // The backward module, JITted on a first backward() (or here,
  // prepareBackward()): cold, as the first training step pays it.
  auto t0 = std::chrono::steady_clock::now();
  if (llvm::Error e = j->cold->prepareBackward()) {
    std::printf("jit-bwd %s error: %s\n", f.c_str(), llvm::toString(std::move(e)).c_str());
    return false;
  }
  const JitStats &b = j->cold->backwardStats();
  std::printf("jit-bwd %s cold_total_s=%.3f (nvrtc %.3f s, load %.2f ms, cache hit %d)\n",
              f.c_str(), seconds(t0), b.nvrtcSeconds, b.loadSeconds * 1e3, int(b.cacheHit));
  return true;
}

/// --jit-disk: a disk hit in this new process, once an earlier --jit run
/// has filled the cache: what every later process pays for the spec (the
/// --jit line's disk hit runs in the process that compiled, after its
/// one-time costs).
bool jitDiskLine(const std::string &text, const std::string &f) {
  auto t0 = std::chrono::steady_clock::now();
  auto k = Kernel::fromSpec(text, f);
  const double s = seconds(t0);
  if (!k) {
    std::printf("jit-disk %s error: %s\n", f.c_str(), llvm::toString(k.takeError()).c_str());
    return false;
  }
  const JitStats &d = (*k)->stats();
  std::printf("jit-disk %s total_ms=%.3f (frontend %.3f ms with cache reads %.3f ms, load %.3f ms: %d modules %.3f ms, "
              "%d functions %.3f ms; cache hit %d, index hit %d)\n",
              f.c_str(), s * 1e3, d.frontendSeconds * 1e3, d.cacheReadSeconds * 1e3,
              d.loadSeconds * 1e3, d.modules,
              d.moduleLoadSeconds * 1e3, d.functions, d.functionSeconds * 1e3, int(d.cacheHit),
              int(d.indexHit));
  return true;
}

/// --jit-train: what a training process pays cold for a spec: the forward
/// with its backward JITted beside it (JitOptions::withBackward), until
/// both are ready.
bool jitTrainLine(const std::string &text, const std::string &f) {
  JitOptions o;
  o.withBackward = true;
  auto t0 = std::chrono::steady_clock::now();
  auto k = Kernel::fromSpec(text, f, o);
  const double fwdS = seconds(t0);
  if (llvm::Error e = k ? (*k)->prepareBackward() : k.takeError()) {
    std::printf("jit-train %s error: %s\n", f.c_str(), llvm::toString(std::move(e)).c_str());
    return false;
  }
  std::printf("jit-train %s total_s=%.3f (forward ready at %.3f s; nvrtc forward %.3f s, "
              "backward %.3f s)\n",
              f.c_str(), seconds(t0), fwdS, (*k)->stats().nvrtcSeconds,
              (*k)->backwardStats().nvrtcSeconds);
  return true;
}

} // namespace

int main(int argc, char **argv) {
  // --sweep: time tile configurations (spec overrides) at N = 8192, to
  // calibrate the tiling model against the device. --head-dim: one column
  // of the grid (a device call that checks one kernel's change).
  bool quick = false, sweep = false, backward = true;
  int onlyHeadDim = 0;
  if (argc > 1 && !std::strcmp(argv[1], "--jit"))
    return forEachSpec(std::vector<std::string>(argv + 2, argv + argc), jitLine);
  if (argc > 1 && !std::strcmp(argv[1], "--jit-disk"))
    return forEachSpec(std::vector<std::string>(argv + 2, argv + argc), jitDiskLine);
  if (argc > 1 && !std::strcmp(argv[1], "--jit-train"))
    return forEachSpec(std::vector<std::string>(argv + 2, argv + argc), jitTrainLine);
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick"))
      quick = true;
    else if (!std::strcmp(argv[i], "--sweep"))
      sweep = true;
    else if (!std::strcmp(argv[i], "--no-backward"))
      backward = false;
    else if (!std::strcmp(argv[i], "--head-dim") && i + 1 < argc) {
      onlyHeadDim = std::atoi(argv[++i]);
      if (onlyHeadDim != 64 && onlyHeadDim != 128) {
        std::fprintf(stderr, "error: --head-dim %s: the grid has head dims 64 and 128\n", argv[i]);
        return 2;
      }
    }
    else {
      std::fprintf(stderr, "error: unknown argument '%s'\nusage: flashgen-bench [--quick] "
                           "[--no-backward] [--head-dim 64|128] [--sweep]\n", argv[i]);
      return 2;
    }
  }
  llvm::Expected<CudaDriver &> driver = CudaDriver::get();
  if (!driver) {
    std::fprintf(stderr, "error: %s\n", llvm::toString(driver.takeError()).c_str());
    return 1;
  }
  CudaDriver &drv = *driver;
  std::printf("# device %s (%s, %d SMs)\n", drv.device().name.c_str(),
              drv.device().arch().c_str(), drv.device().numSMs);

  // JIT latency: a variant no cache has seen, then hits. Its name is fresh
  // (the kernels' entry names carry it, so the generated source and its
  // cache key differ); a fresh scale did not always: nearby decimals round
  // to the same float, and a run on a warm machine hit the disk cache.
  {
    const auto nonce = std::chrono::system_clock::now().time_since_epoch().count();
    std::string s = "attention jit_" + std::to_string(nonce) +
                    " { dtype = bf16; head_dim = 128; mask = causal; }";
    JitTiming j = unwrap(timeJit(s, "jit.attn"));
    std::printf("jit cold_total_s=%.3f frontend_s=%.3f nvrtc_s=%.3f load_s=%.4f | "
                "process_hit_total_ms=%.3f (process hit %d) | disk_hit_total_ms=%.2f "
                "(frontend %.2f ms)\n",
                j.coldS, j.cold->stats().frontendSeconds, j.cold->stats().nvrtcSeconds,
                j.cold->stats().loadSeconds, j.warmS * 1e3, int(j.warm->stats().processHit),
                j.diskS * 1e3, j.disk->stats().frontendSeconds * 1e3);
  }

  const int ns[] = {512, 1024, 2048, 4096, 8192, 16384};
  std::mt19937 rng(1234);
  // One set of buffers big enough for every cell (16384 tokens x 2048).
  size_t elems = size_t(16384) * 2048;
  std::vector<uint16_t> host(elems);
  std::normal_distribution<float> normal;
  for (auto &x : host) {
    float f = normal(rng);
    uint32_t u;
    std::memcpy(&u, &f, 4);
    x = uint16_t((u + 0x7fff + ((u >> 16) & 1)) >> 16);
  }
  CUdeviceptr q = unwrap(drv.alloc(elems * 2)), k = unwrap(drv.alloc(elems * 2)),
              v = unwrap(drv.alloc(elems * 2)), o = unwrap(drv.alloc(elems * 2));
  CHECK(drv.copyToDevice(q, host.data(), elems * 2));
  CHECK(drv.copyToDevice(k, host.data(), elems * 2));
  CHECK(drv.copyToDevice(v, host.data(), elems * 2));
  CUdeviceptr lse = unwrap(drv.alloc(size_t(16384) * 64 * 4));
  CUdeviceptr dO = unwrap(drv.alloc(elems * 2)), dq = unwrap(drv.alloc(elems * 2)),
              dk = unwrap(drv.alloc(elems * 2)), dv = unwrap(drv.alloc(elems * 2));
  CHECK(drv.copyToDevice(dO, host.data() + 1, elems * 2 - 2));
  CUevent start = unwrap(drv.createEvent()), stop = unwrap(drv.createEvent());

  auto timeOne = [&](Kernel &kernel, int d, bool causal, int n, int reps,
                     bool bwdPass = false, bool deterministic = false) {
    BackwardArgs a;
    a.deterministic = deterministic;
    a.dO = reinterpret_cast<void *>(dO);
    a.dQ = reinterpret_cast<void *>(dq);
    a.dK = reinterpret_cast<void *>(dk);
    a.dV = reinterpret_cast<void *>(dv);
    a.q = reinterpret_cast<void *>(q);
    a.k = reinterpret_cast<void *>(k);
    a.v = reinterpret_cast<void *>(v);
    a.o = reinterpret_cast<void *>(o);
    a.lse = reinterpret_cast<float *>(lse);
    a.batch = 16384 / n;
    a.heads = 2048 / d;
    a.seqQ = a.seqK = n;
    auto launch = [&] { return bwdPass ? kernel.backward(a) : kernel.forward(a); };
    CHECK(kernel.forward(a)); // O and logsumexp for the backward
    for (int i = 0; i < 3; ++i)
      CHECK(launch());
    CHECK(drv.synchronize());
    std::vector<float> ms;
    for (int i = 0; i < reps; ++i) {
      CHECK(drv.record(start, nullptr));
      CHECK(launch());
      CHECK(drv.record(stop, nullptr));
      ms.push_back(unwrap(drv.elapsedMs(start, stop)));
    }
    std::sort(ms.begin(), ms.end());
    double med = ms[ms.size() / 2];
    double flops = (bwdPass ? 2.5 : 1.0) * 4.0 * a.batch * a.heads * double(n) * n * d /
                   (causal ? 2 : 1);
    return std::make_pair(med, flops / (med * 1e-3) / 1e12);
  };
  if (sweep) {
    // {block_m, block_n, warps, stages, wgmma}; block_m = 32 * warps gives
    // each mma.sync warp two 16-row slices; wgmma gives each warpgroup 64.
    const int configs[][5] = {{128, 128, 8, 2, 0}, {128, 64, 8, 2, 0}, {64, 64, 4, 2, 0},
                              {128, 64, 4, 2, 0},  {128, 32, 4, 2, 0}, {64, 64, 2, 2, 0},
                              {64, 32, 2, 2, 0},   {256, 64, 8, 2, 0}, {256, 32, 8, 2, 0},
                              {128, 128, 8, 2, 1}, {128, 64, 8, 2, 1}, {64, 128, 4, 2, 1},
                              {64, 64, 4, 2, 1}};
    for (int d : {64, 128})
      for (bool causal : {false, true})
        for (auto &c : configs) {
          std::string s = "attention sweep { dtype = bf16; head_dim = " + std::to_string(d) +
                          ";" + (causal ? " mask = causal;" : "") +
                          " block_m = " + std::to_string(c[0]) + "; block_n = " +
                          std::to_string(c[1]) + "; warps = " + std::to_string(c[2]) +
                          "; stages = " + std::to_string(c[3]) +
                          (c[4] ? "; mma = wgmma; }" : "; mma = sync; }");
          auto kernel = Kernel::fromSpec(s, "sweep.attn");
          if (!kernel) {
            std::printf("sweep\t%d\t%d\t%dx%d w%d s%d %s\tREFUSED %s\n", d, int(causal), c[0],
                        c[1], c[2], c[3], c[4] ? "wgmma" : "sync",
                        llvm::toString(kernel.takeError()).c_str());
            continue;
          }
          auto [ms, tf] = timeOne(**kernel, d, causal, 8192, 20);
          std::printf("sweep\t%d\t%d\t%dx%d w%d s%d %s qreg%d\t%.3f ms\t%.1f TFLOP/s\n", d,
                      int(causal), c[0], c[1], c[2], c[3], c[4] ? "wgmma" : "sync",
                      int((*kernel)->spec().tiles.qInRegisters), ms, tf);
          std::fflush(stdout);
        }
    return 0;
  }

  for (int d : {64, 128})
    for (bool causal : {false, true}) {
      if (onlyHeadDim && d != onlyHeadDim)
        continue;
      auto kernel = unwrap(Kernel::fromSpec(spec(d, causal), "bench.attn"));
      const auto &t = kernel->spec().tiles;
      std::printf("# d=%d causal=%d tiles %lldx%lld warps=%lld stages=%lld q_in_regs=%d mma=%s\n",
                  d, causal, (long long)t.blockM, (long long)t.blockN, (long long)t.warps,
                  (long long)t.stages, int(t.qInRegisters),
                  t.mma == attn::MmaKind::Wgmma ? "wgmma" : "sync");
      for (int n : ns) {
        if (quick && n != 2048 && n != 8192)
          continue;
        auto [med, tf] = timeOne(*kernel, d, causal, n, n >= 8192 ? 20 : 50);
        std::printf("fwd\t%d\t%d\t%d\t%d\t%d\t%.4f\t%.1f\n", d, int(causal), n,
                    16384 / n, 2048 / d, med, tf);
        std::fflush(stdout);
        if (backward) {
          auto [bm, btf] = timeOne(*kernel, d, causal, n, n >= 8192 ? 10 : 30, true);
          std::printf("bwd\t%d\t%d\t%d\t%d\t%d\t%.4f\t%.1f\n", d, int(causal), n,
                      16384 / n, 2048 / d, bm, btf);
          // The deterministic kernels (no atomics), for comparison.
          auto [dm, dtf] = timeOne(*kernel, d, causal, n, n >= 8192 ? 10 : 30, true, true);
          std::printf("bwdd\t%d\t%d\t%d\t%d\t%d\t%.4f\t%.1f\n", d, int(causal), n,
                      16384 / n, 2048 / d, dm, dtf);
          std::fflush(stdout);
        }
      }
      if (backward) {
        const auto &bt = *kernel->backwardSpec().bwdTiles;
        std::printf("# d=%d causal=%d backward: resident %lld rows, streamed %lld, warps=%lld "
                    "stages=%lld\n", d, int(causal), (long long)(16 * bt.warps),
                    (long long)bt.blockM, (long long)bt.warps, (long long)bt.stages);
      }
      std::string res = kernel->resourceReport();
      for (size_t at = 0, nl; (nl = res.find('\n', at)) != std::string::npos; at = nl + 1)
        std::printf("# %s\n", res.substr(at, nl - at).c_str());
    }
  return 0;
}
