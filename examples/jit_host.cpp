//===- jit_host.cpp - JIT an attention variant from C++ and run it --------===//
//
// The smallest complete use of flashgen's C++ API: a spec string in, a
// kernel compiled for the GPU present (NVRTC, cached on disk), a forward
// pass on device memory, and one output row checked by hand.
//
//   build/bin/flashgen-jit-example          (needs a GPU)
//
//===----------------------------------------------------------------------===//
#include "flashgen/Runtime/CudaDriver.h"
#include "flashgen/Runtime/Runtime.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

namespace {
uint16_t toBF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return uint16_t((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}
float fromBF16(uint16_t h) {
  uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
int fail(llvm::Error e) {
  std::fprintf(stderr, "error: %s\n", llvm::toString(std::move(e)).c_str());
  return 1;
}
} // namespace

int main() {
  // 1. A variant: causal attention with a tanh soft-cap, bf16, d = 64.
  const char *spec = R"(
    attention softcapped_causal {
      dtype    = bf16;
      head_dim = 64;
      mask     = causal;
      score    = 20.0 * tanh(score / 20.0);
    })";
  auto kernel = flashgen::Kernel::fromSpec(spec, "softcapped_causal.attn");
  if (!kernel)
    return fail(kernel.takeError());
  const auto &stats = (*kernel)->stats();
  std::printf("compiled %s (%s): tiles %lldx%lld, JIT %.1f ms\n",
              (*kernel)->spec().entry.c_str(), stats.cacheHit ? "cache hit" : "NVRTC",
              (long long)(*kernel)->spec().tiles.blockM,
              (long long)(*kernel)->spec().tiles.blockN,
              (stats.frontendSeconds + stats.nvrtcSeconds + stats.loadSeconds) * 1e3);

  // 2. Inputs in BSHD layout: batch 2, 4 heads, 300 tokens.
  const int B = 2, H = 4, N = 300, D = 64;
  std::vector<uint16_t> q(B * N * H * D), k(q.size()), v(q.size()), o(q.size());
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (auto *t : {&q, &k, &v})
    for (uint16_t &x : *t)
      x = toBF16(normal(rng));

  auto driver = flashgen::runtime::CudaDriver::get();
  if (!driver)
    return fail(driver.takeError());
  size_t bytes = q.size() * 2;
  CUdeviceptr dq = *driver->alloc(bytes), dk = *driver->alloc(bytes),
              dv = *driver->alloc(bytes), dout = *driver->alloc(bytes);
  for (auto [dst, src] : {std::pair(dq, &q), std::pair(dk, &k), std::pair(dv, &v)})
    if (auto e = driver->copyToDevice(dst, src->data(), bytes))
      return fail(std::move(e));

  // 3. The forward pass: pointers, counts, layout. Every argument is checked.
  flashgen::ForwardArgs args;
  args.q = reinterpret_cast<void *>(dq);
  args.k = reinterpret_cast<void *>(dk);
  args.v = reinterpret_cast<void *>(dv);
  args.o = reinterpret_cast<void *>(dout);
  args.batch = B;
  args.heads = H;
  args.seqQ = args.seqK = N;
  args.layout = flashgen::Layout::BSHD;
  if (auto e = (*kernel)->forward(args))
    return fail(std::move(e));
  if (auto e = driver->synchronize())
    return fail(std::move(e));
  if (auto e = driver->copyToHost(o.data(), dout, bytes))
    return fail(std::move(e));

  // 4. Check row (b=1, h=2, q=299) by hand.
  const int b = 1, h = 2, row = 299;
  auto at = [&](const std::vector<uint16_t> &t, int s, int d) {
    return double(fromBF16(t[((size_t(b) * N + s) * H + h) * D + d]));
  };
  std::vector<double> p(N, 0.0);
  double mx = -INFINITY, sum = 0;
  for (int j = 0; j <= row; ++j) { // causal
    double dot = 0;
    for (int d = 0; d < D; ++d)
      dot += at(q, row, d) * at(k, j, d);
    p[j] = 20.0 * std::tanh(dot / std::sqrt(double(D)) / 20.0);
    mx = std::max(mx, p[j]);
  }
  for (int j = 0; j <= row; ++j)
    sum += (p[j] = std::exp(p[j] - mx));
  double err = 0, norm = 0;
  for (int d = 0; d < D; ++d) {
    double want = 0;
    for (int j = 0; j <= row; ++j)
      want += p[j] / sum * at(v, j, d);
    double got = at(o, row, d);
    err += (got - want) * (got - want);
    norm += want * want;
  }
  double rel = std::sqrt(err / norm);
  std::printf("row (b=1, h=2, q=299): relative error %.2e vs float64 -> %s\n", rel,
              rel < 1.5e-2 ? "ok" : "MISMATCH");
  for (CUdeviceptr ptr : {dq, dk, dv, dout})
    driver->free(ptr);
  return rel < 1.5e-2 ? 0 : 1;
}
