//===- FwdNumericsTest.cpp - forward kernels vs a float64 reference ------===//
//
// For every example spec (and a head-dim sweep), odd and unequal sizes:
// fresh random inputs, outputs poisoned with NaN before the launch, and
//   ||O - O_ref|| / ||O_ref|| below the dtype's bound, every element
//   written (no NaN left), logsumexp within 1e-2 (inf where nothing is
//   attended).
// Skips, saying why, where there is no GPU. FLASHGEN_GPU_REPORT=<file>
// appends one line per case (for bench/results/).
//
//===----------------------------------------------------------------------===//
#include "Reference.h"

#include "flashgen/Dialect/Attn/Transforms/Transforms.h"
#include "flashgen/Frontend/Frontend.h"
#include "flashgen/Runtime/CudaDriver.h"
#include "flashgen/Runtime/Runtime.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

using namespace flashgen;
using namespace flashgen::test;
using runtime::CudaDriver;

namespace {

//===--------------------------------------------------------------------===//
// 16-bit conversions (round to nearest even), for inputs and outputs.
//===--------------------------------------------------------------------===//
uint16_t toBF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (std::isnan(f))
    return 0x7fc0;
  u += 0x7fff + ((u >> 16) & 1);
  return uint16_t(u >> 16);
}
float fromBF16(uint16_t h) {
  uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint16_t toF16(float f) {
  // Inputs are N(0,1): normal range, no subnormals or overflow to handle.
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint32_t sign = (u >> 16) & 0x8000;
  int32_t exp = int32_t((u >> 23) & 0xff) - 127 + 15;
  uint32_t mant = u & 0x7fffff;
  if (exp <= 0)
    return uint16_t(sign); // flush tiny values
  uint32_t r = (uint32_t(exp) << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (r & 1)))
    ++r;
  return uint16_t(sign | r);
}
float fromF16(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  int32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t u;
  if (exp == 0x1f)
    u = sign | 0x7f800000 | (mant << 13);
  else if (exp == 0)
    u = sign; // inputs never subnormal
  else
    u = sign | (uint32_t(exp - 15 + 127) << 23) | (mant << 13);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

/// The variant's attn IR, canonicalized, for the reference.
struct ParsedVariant {
  explicit ParsedVariant(const std::string &text) {
    mlir::DialectRegistry registry;
    registerAttnDialects(registry);
    ctx = std::make_unique<mlir::MLIRContext>(registry);
    ctx->loadAllAvailableDialects();
    srcMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, "spec.attn"),
                              llvm::SMLoc());
    std::string diags;
    llvm::raw_string_ostream os(diags);
    result = runFrontend(srcMgr, os, ctx.get());
    EXPECT_TRUE(result.module) << diags;
    if (result.module) {
      variant = *result.module->getOps<attn::VariantOp>().begin();
      (void)attn::canonicalizeExpressions(variant);
    }
  }
  std::unique_ptr<mlir::MLIRContext> ctx;
  llvm::SourceMgr srcMgr;
  FrontendResult result;
  attn::VariantOp variant;
};

struct DeviceBuffer {
  CudaDriver &d;
  CUdeviceptr p = 0;
  size_t bytes = 0;
  DeviceBuffer(CudaDriver &d, size_t n) : d(d), bytes(n) {
    auto r = d.alloc(n);
    EXPECT_TRUE(bool(r)) << llvm::toString(r.takeError());
    p = r ? *r : 0;
  }
  ~DeviceBuffer() { d.free(p); }
  void *ptr() const { return reinterpret_cast<void *>(p); }
};

struct Case {
  std::string name, spec;
  int seqQ, seqK;
};

double boundFor(bool bf16) { return bf16 ? 1.5e-2 : 5e-3; }

void appendReport(const std::string &line) {
  if (const char *path = std::getenv("FLASHGEN_GPU_REPORT")) {
    std::ofstream f(path, std::ios::app);
    f << line << "\n";
  }
}

/// Runs one case; returns the relative error (or -1 after a failure).
double runCase(CudaDriver &drv, const Case &c, std::mt19937_64 &rng) {
  ParsedVariant pv(c.spec);
  if (!pv.variant)
    return -1;
  attn::VariantOp v = pv.variant;
  llvm::Expected<std::unique_ptr<Kernel>> kernel = Kernel::fromSpec(c.spec, c.name);
  if (!kernel) {
    ADD_FAILURE() << c.name << ": " << llvm::toString(kernel.takeError());
    return -1;
  }
  const codegen::KernelSpec &ks = (*kernel)->spec();
  bool bf16 = ks.bf16;
  Problem p;
  p.heads = v.getHeads() ? int(*v.getHeads()) : 3;
  p.kvHeads = v.getKvHeads() ? int(*v.getKvHeads()) : p.heads;
  p.batch = p.heads > 4 ? 1 : 2;
  p.seqQ = c.seqQ;
  p.seqK = c.seqK;
  p.dqk = int(ks.headDimQK);
  p.dv = int(ks.headDimV);
  p.seed = rng();
  p.offset = rng() % 1000;
  bool varlen = ks.varlen;
  int64_t totalQ = int64_t(p.batch) * p.seqQ, totalK = int64_t(p.batch) * p.seqK;
  if (varlen) { // random lengths, the longest = seqQ/seqK
    p.cuSeqlensQ = {0};
    p.cuSeqlensK = {0};
    for (int b = 0; b < p.batch; ++b) {
      int lq = b == 0 ? p.seqQ : 1 + int(rng() % uint64_t(p.seqQ));
      int lk = b == 0 ? p.seqK : 1 + int(rng() % uint64_t(p.seqK));
      p.cuSeqlensQ.push_back(p.cuSeqlensQ.back() + lq);
      p.cuSeqlensK.push_back(p.cuSeqlensK.back() + lk);
    }
    totalQ = p.cuSeqlensQ.back();
    totalK = p.cuSeqlensK.back();
  }
  std::normal_distribution<float> normal(0.f, 1.f);
  auto fill = [&](std::vector<float> &x, size_t n, std::vector<uint16_t> &bits) {
    x.resize(n);
    bits.resize(n);
    for (size_t i = 0; i < n; ++i) {
      float f = normal(rng);
      bits[i] = bf16 ? toBF16(f) : toF16(f);
      x[i] = bf16 ? fromBF16(bits[i]) : fromF16(bits[i]);
    }
  };
  std::vector<uint16_t> qb, kb, vb;
  fill(p.q, size_t(totalQ) * p.heads * p.dqk, qb);
  fill(p.k, size_t(totalK) * p.kvHeads * p.dqk, kb);
  fill(p.v, size_t(totalK) * p.kvHeads * p.dv, vb);

  ForwardArgs args;
  args.batch = p.batch;
  args.heads = p.heads;
  args.kvHeads = p.kvHeads;
  args.seqQ = p.seqQ;
  args.seqK = p.seqK;
  args.dropoutSeed = p.seed;
  args.dropoutOffset = p.offset;
  args.totalQ = int(totalQ);
  args.totalK = int(totalK);

  // Named tensors: plausible values for each declared one.
  std::vector<std::unique_ptr<DeviceBuffer>> keepAlive;
  for (const codegen::TensorInfo &t : ks.tensors) {
    HostTensor ht;
    int64_t n = 1;
    for (const std::string &d : t.dims) {
      int64_t e = d == "batch" ? p.batch : d == "heads" ? p.heads
                : d == "kv_heads" ? p.kvHeads : d == "seq_q" ? p.seqQ
                : d == "seq_k" ? p.seqK : d == "tokens_q" ? totalQ
                : d == "tokens_k" ? totalK : std::stoll(d);
      ht.shape.push_back(e);
      n *= e;
    }
    ht.values.resize(size_t(n));
    std::vector<uint32_t> raw(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      double val;
      if (t.isFloat) {
        val = double(float(0.25 * normal(rng)));
        float f = float(val);
        std::memcpy(&raw[size_t(i)], &f, 4);
      } else {
        // ids in runs (documents), lengths in range: both from position.
        int64_t last = ht.shape.back();
        val = t.name == "seqlens_k" || t.name == "prefix_len"
                  ? double(1 + rng() % uint64_t(std::max(p.seqK, 1)))
                  : double((i % last) / 7 + (i / last));
        raw[size_t(i)] = uint32_t(int32_t(val));
      }
      ht.values[size_t(i)] = val;
    }
    auto buf = std::make_unique<DeviceBuffer>(drv, raw.size() * 4);
    EXPECT_FALSE(bool(drv.copyToDevice(buf->p, raw.data(), raw.size() * 4)));
    args.tensors[t.name] = NamedTensor{buf->ptr(), ht.shape, {}};
    keepAlive.push_back(std::move(buf));
    p.tensors[t.name] = std::move(ht);
  }

  DeviceBuffer dq(drv, qb.size() * 2), dk(drv, kb.size() * 2), dv(drv, vb.size() * 2);
  size_t oElems = size_t(totalQ) * p.heads * p.dv;
  DeviceBuffer dout(drv, oElems * 2), dlse(drv, size_t(totalQ) * p.heads * 4);
  DeviceBuffer dcuq(drv, 4 * (p.batch + 1)), dcuk(drv, 4 * (p.batch + 1));
  EXPECT_FALSE(bool(drv.copyToDevice(dq.p, qb.data(), qb.size() * 2)));
  EXPECT_FALSE(bool(drv.copyToDevice(dk.p, kb.data(), kb.size() * 2)));
  EXPECT_FALSE(bool(drv.copyToDevice(dv.p, vb.data(), vb.size() * 2)));
  // Poison: 0xFF bytes are NaN in bf16, f16 and f32.
  EXPECT_FALSE(bool(drv.memset8(dout.p, 0xff, dout.bytes)));
  EXPECT_FALSE(bool(drv.memset8(dlse.p, 0xff, dlse.bytes)));
  args.q = dq.ptr();
  args.k = dk.ptr();
  args.v = dv.ptr();
  args.o = dout.ptr();
  args.lse = reinterpret_cast<float *>(dlse.ptr());
  if (varlen) {
    EXPECT_FALSE(bool(drv.copyToDevice(dcuq.p, p.cuSeqlensQ.data(), 4 * (p.batch + 1))));
    EXPECT_FALSE(bool(drv.copyToDevice(dcuk.p, p.cuSeqlensK.data(), 4 * (p.batch + 1))));
    args.cuSeqlensQ = reinterpret_cast<const int32_t *>(dcuq.ptr());
    args.cuSeqlensK = reinterpret_cast<const int32_t *>(dcuk.ptr());
  }
  if (llvm::Error e = (*kernel)->forward(args)) {
    ADD_FAILURE() << c.name << ": " << llvm::toString(std::move(e));
    return -1;
  }
  if (llvm::Error e = drv.synchronize()) {
    ADD_FAILURE() << c.name << ": " << llvm::toString(std::move(e));
    return -1;
  }
  std::vector<uint16_t> ob(oElems);
  std::vector<float> lse(size_t(totalQ) * p.heads);
  EXPECT_FALSE(bool(drv.copyToHost(ob.data(), dout.p, ob.size() * 2)));
  EXPECT_FALSE(bool(drv.copyToHost(lse.data(), dlse.p, lse.size() * 4)));

  ReferenceResult ref = referenceForward(v, p);
  double num = 0, den = 0;
  size_t nan = 0, lseBad = 0;
  double lseWorst = 0;
  for (size_t i = 0; i < oElems; ++i) {
    float o = bf16 ? fromBF16(ob[i]) : fromF16(ob[i]);
    if (std::isnan(o)) {
      ++nan;
      continue;
    }
    num += (o - ref.o[i]) * (o - ref.o[i]);
    den += ref.o[i] * ref.o[i];
  }
  for (size_t i = 0; i < lse.size(); ++i) {
    double want = ref.lse[i];
    if (std::isinf(want) ? !(std::isinf(lse[i]) && lse[i] > 0)
                         : !(std::fabs(lse[i] - want) <= 1e-2)) {
      if (!std::isnan(lse[i]))
        lseWorst = std::max(lseWorst, std::fabs(double(lse[i]) - want));
      ++lseBad;
    }
  }
  double rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  EXPECT_EQ(nan, 0u) << c.name << " Nq=" << c.seqQ << " Nk=" << c.seqK
                     << ": output elements never written (still NaN)";
  EXPECT_LE(rel, boundFor(bf16)) << c.name << " Nq=" << c.seqQ << " Nk=" << c.seqK;
  EXPECT_EQ(lseBad, 0u) << c.name << " Nq=" << c.seqQ << " Nk=" << c.seqK
                        << ": logsumexp off (worst " << lseWorst << ")";
  char line[256];
  std::snprintf(line, sizeof(line), "%-22s Nq=%-5d Nk=%-5d B=%d H=%d dqk=%d dv=%d %s rel_err=%.3e lse_bad=%zu nan=%zu",
                c.name.c_str(), c.seqQ, c.seqK, p.batch, p.heads, p.dqk, p.dv,
                bf16 ? "bf16" : "f16", rel, lseBad, nan);
  std::printf("%s\n", line);
  appendReport(line);
  return rel;
}

std::vector<Case> exampleCases() {
  std::vector<Case> cases;
  std::error_code ec;
  std::vector<std::string> paths;
  for (llvm::sys::fs::directory_iterator it(FLASHGEN_EXAMPLES_DIR, ec), end;
       it != end && !ec; it.increment(ec))
    if (llvm::StringRef(it->path()).ends_with(".attn"))
      paths.push_back(it->path());
  std::sort(paths.begin(), paths.end());
  const std::pair<int, int> sizes[] = {{1, 1},     {17, 17},   {128, 128}, {1000, 1000},
                                       {17, 1000}, {1000, 17}, {4097, 4097}};
  for (const std::string &path : paths) {
    std::string name = llvm::sys::path::stem(path).str();
    if (name == "sparse_runtime")
      continue; // refused by the forward kernel (see RefusesRuntimeBlockMasks)
    auto buf = llvm::MemoryBuffer::getFile(path);
    std::string text = (*buf)->getBuffer().str();
    bool manyHeads = text.find("heads    = 32") != std::string::npos ||
                     text.find("heads    = 16") != std::string::npos;
    for (auto [nq, nk] : sizes) {
      if (manyHeads && nq * int64_t(nk) > 2000000)
        continue; // keep the CPU reference quick
      cases.push_back({name, text, nq, nk});
    }
  }
  return cases;
}

class GpuForward : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::Expected<CudaDriver &> d = CudaDriver::get();
    if (!d)
      GTEST_SKIP() << "no GPU: " << llvm::toString(d.takeError());
    drv = &*d;
  }
  CudaDriver *drv = nullptr;
};

TEST_F(GpuForward, EveryExampleAtOddSizes) {
  std::mt19937_64 rng(std::random_device{}()); // fresh inputs every run
  std::vector<Case> cases = exampleCases();
  ASSERT_GE(cases.size(), 100u);
  for (const Case &c : cases)
    runCase(*drv, c, rng);
}

TEST_F(GpuForward, EveryHeadDimBothDtypes) {
  std::mt19937_64 rng(std::random_device{}());
  for (const char *dtype : {"bf16", "f16"})
    for (int d = 8; d <= 256; d += 8) {
      std::string spec = std::string("attention hd { dtype = ") + dtype +
                         "; head_dim = " + std::to_string(d) + "; mask = causal; }";
      runCase(*drv, {"hd" + std::to_string(d) + "_" + dtype, spec, 257, 300}, rng);
    }
  // qk and v head dims that differ.
  runCase(*drv, {"qk192_v128", "attention m { qk_head_dim = 192; v_head_dim = 128; }", 333, 517}, rng);
  runCase(*drv, {"qk64_v256", "attention m { qk_head_dim = 64; v_head_dim = 256; }", 100, 129}, rng);
}

TEST_F(GpuForward, ExplicitTilings) {
  // Tilings the model may not pick, including two 16-row slices per warp
  // (block_m = 32 * warps) and single-stage pipelines.
  std::mt19937_64 rng(std::random_device{}());
  const char *tiles[] = {"block_m = 128; block_n = 64; warps = 4;",
                         "block_m = 128; block_n = 32; warps = 4;",
                         "block_m = 64; block_n = 64; warps = 2;",
                         "block_m = 256; block_n = 32; warps = 8;",
                         "block_m = 64; block_n = 32; warps = 4; stages = 1;"};
  for (const char *t : tiles)
    for (const char *mask : {"", "mask = causal;", "mask = sliding_window(left = 77);"})
      for (int d : {64, 128}) {
        std::string spec = "attention tiles { head_dim = " + std::to_string(d) + "; " +
                           mask + " " + t + " }";
        // Two 16-row slices per warp with 64-wide K/V tiles need more than
        // 255 registers at d128: the planner must refuse, not spill.
        bool tooBig = d == 128 && (std::string(t).find("block_n = 64;") != std::string::npos);
        if (tooBig) {
          auto k = Kernel::fromSpec(spec, "tiles.attn");
          ASSERT_FALSE(bool(k)) << spec;
          EXPECT_NE(llvm::toString(k.takeError()).find("registers/thread > 255"),
                    std::string::npos);
          continue;
        }
        runCase(*drv, {std::string("tiles ") + t, spec, 1000, 1000}, rng);
        runCase(*drv, {std::string("tiles ") + t, spec, 17, 333}, rng);
      }
}

TEST_F(GpuForward, RejectsBadArguments) {
  auto k = Kernel::fromSpec("attention a { head_dim = 64; }");
  ASSERT_TRUE(bool(k)) << llvm::toString(k.takeError());
  DeviceBuffer buf(*drv, 1 << 20);
  ForwardArgs a;
  a.q = a.k = a.v = buf.ptr();
  a.o = buf.ptr();
  a.batch = 1; a.heads = 2; a.seqQ = 4; a.seqK = 4;
  auto msg = [&](ForwardArgs x) {
    llvm::Error e = (*k)->forward(x);
    return e ? llvm::toString(std::move(e)) : std::string("ok");
  };
  ForwardArgs mis = a;
  mis.q = static_cast<char *>(buf.ptr()) + 2;
  EXPECT_NE(msg(mis).find("'q' must be 16-byte aligned"), std::string::npos);
  ForwardArgs nul = a;
  nul.o = nullptr;
  EXPECT_NE(msg(nul).find("'o' is null"), std::string::npos);
  ForwardArgs gqa = a;
  gqa.kvHeads = 3;
  EXPECT_NE(msg(gqa).find("kvHeads (3) must divide heads (2)"), std::string::npos);
  ForwardArgs zero = a;
  zero.seqK = 0;
  EXPECT_NE(msg(zero).find("must be >= 1"), std::string::npos);
  ForwardArgs extra = a;
  extra.tensors["slopes"] = NamedTensor{buf.ptr(), {2}, {}};
  EXPECT_NE(msg(extra).find("tensor 'slopes' is not read"), std::string::npos);
  EXPECT_EQ(msg(a), "ok");
  EXPECT_FALSE(bool(drv->synchronize()));

  auto alibi = Kernel::fromSpec("attention a { head_dim = 64; heads = 4; "
                                "tensor slopes : f32[heads]; score = score * slopes[h]; }");
  ASSERT_TRUE(bool(alibi)) << llvm::toString(alibi.takeError());
  ForwardArgs b = a;
  b.heads = 4;
  llvm::Error missing = (*alibi)->forward(b);
  EXPECT_NE(llvm::toString(std::move(missing)).find("reads tensor 'slopes'"), std::string::npos);
  b.tensors["slopes"] = NamedTensor{buf.ptr(), {3}, {}};
  llvm::Error shape = (*alibi)->forward(b);
  EXPECT_NE(llvm::toString(std::move(shape)).find("dimension 0 (heads) must be 4, got 3"),
            std::string::npos);
}

TEST_F(GpuForward, RefusesRuntimeBlockMasks) {
  auto k = Kernel::fromSpec("attention a { head_dim = 64; sparsity = runtime; }");
  ASSERT_FALSE(bool(k));
  EXPECT_NE(llvm::toString(k.takeError()).find("block masks given at run time"),
            std::string::npos);
}

} // namespace
