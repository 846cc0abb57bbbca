//===- IOCostModelTest.cpp - the IO model's terms, by hand ----------------===//
#include "../Frontend/TestUtil.h"

#include "flashgen/Dialect/Attn/Analysis/IOCostModel.h"

#include "gtest/gtest.h"

using namespace flashgen;
using namespace flashgen::attn;

namespace {

struct Fixture {
  explicit Fixture(const std::string &text) : src(text) {
    ctx = test::makeContext();
    result = test::compile(src, *ctx);
    EXPECT_TRUE(result.module) << src.diagText;
    variant = *result.module->getOps<VariantOp>().begin();
  }
  test::Source src;
  std::unique_ptr<mlir::MLIRContext> ctx;
  FrontendResult result;
  VariantOp variant;
};

double term(const IOEstimate &e, llvm::StringRef prefix) {
  for (const IOTerm &t : e.terms)
    if (llvm::StringRef(t.name).starts_with(prefix))
      return t.bytes;
  ADD_FAILURE() << "no term " << prefix.str();
  return -1;
}

TEST(IOCostModel, DenseForwardByHand) {
  Fixture f("attention t { head_dim = 64; }");
  AttnShape s{2, 4, 4, 1024, 1024};
  GpuTarget t = *lookupTarget("sm_90a");
  TileConfig tiles{128, 64, 4, 2, true, MmaKind::Sync, 0, 0, 1};
  TileCensus c = countTiles(f.variant, s, 128, 64);
  EXPECT_EQ(c.full, 8 * 16);
  EXPECT_EQ(c.empty + c.partial, 0);
  IOEstimate e = estimateFlashgen(f.variant, s, tiles, c, t);
  double BH = 8, N = 1024, d = 64, el = 2;
  EXPECT_DOUBLE_EQ(term(e, "Q"), BH * N * d * el);
  EXPECT_DOUBLE_EQ(term(e, "O"), BH * N * d * el);
  EXPECT_DOUBLE_EQ(term(e, "logsumexp"), BH * N * 4);
  // Every row block loads all of K and V: Nq/Br = 8 passes.
  EXPECT_DOUBLE_EQ(term(e, "K/V tile loads"), BH * 8 * N * 2 * d * el);
  // K/V for 4 heads easily stay in L2: read once.
  EXPECT_TRUE(e.kvFromL2);
  EXPECT_DOUBLE_EQ(term(e, "K/V from HBM"), BH * N * 2 * d * el);
  EXPECT_DOUBLE_EQ(e.usefulFlops, 4.0 * BH * N * N * d);
  EXPECT_DOUBLE_EQ(e.executedFlops, e.usefulFlops);

  IOEstimate st = estimateStandard(f.variant, s, c, t);
  // Q, K, V read; S written, read; P written, read; O written.
  EXPECT_DOUBLE_EQ(st.totalBytes(), BH * (4 * N * d + 4 * N * N) * el);
  EXPECT_GT(st.totalBytes(), 10 * e.totalBytes());
}

TEST(IOCostModel, CausalHalvesWorkAndMaskAddsAPassToStandard) {
  Fixture dense("attention t { head_dim = 128; }");
  Fixture causal("attention t { head_dim = 128; mask = causal; }");
  AttnShape s{1, 16, 16, 4096, 4096};
  GpuTarget t = *lookupTarget("sm_90a");
  TileConfig tiles{128, 128, 8, 2, true, MmaKind::Sync, 0, 0, 1};
  TileCensus cd = countTiles(dense.variant, s, 128, 128);
  TileCensus cc = countTiles(causal.variant, s, 128, 128);
  EXPECT_EQ(cc.computed(), 32 * 33 / 2);
  IOEstimate fd = estimateFlashgen(dense.variant, s, tiles, cd, t);
  IOEstimate fc = estimateFlashgen(causal.variant, s, tiles, cc, t);
  EXPECT_NEAR(fc.usefulFlops / fd.usefulFlops, 0.5, 1e-3);
  EXPECT_LT(fc.executedFlops, 0.53 * fd.executedFlops);
  IOEstimate sd = estimateStandard(dense.variant, s, cd, t);
  IOEstimate sc = estimateStandard(causal.variant, s, cc, t);
  double NN = 4096.0 * 4096 * 16 * 2;
  EXPECT_DOUBLE_EQ(sc.totalBytes() - sd.totalBytes(), 2 * NN);
}

TEST(IOCostModel, KVRereadsWhenL2IsTooSmall) {
  Fixture f("attention t { head_dim = 128; }");
  AttnShape s{1, 8, 8, 65536, 65536};
  GpuTarget t = *lookupTarget("sm_90a");
  t.l2Bytes = 1 << 20; // a 1 MB L2 cannot hold 65536 keys
  TileConfig tiles{128, 128, 8, 2, true, MmaKind::Sync, 0, 0, 1};
  TileCensus c = countTiles(f.variant, s, 128, 128);
  IOEstimate e = estimateFlashgen(f.variant, s, tiles, c, t);
  EXPECT_FALSE(e.kvFromL2);
  EXPECT_DOUBLE_EQ(term(e, "K/V from HBM"), term(e, "K/V tile loads"));
}

TEST(IOCostModel, LaunchTraitsOfDecoding) {
  // fp8: the prefill launch's V^T pre-pass (a read and a write of V); a
  // decoding launch transposes V in the kernel (none). Split-KV: each
  // split's fp32 O row and logsumexp, written and read back by the combine.
  Fixture f("attention t { dtype = fp8_e4m3; head_dim = 128; heads = 8; kv_heads = 2; }");
  AttnShape s{2, 8, 2, 1, 8192};
  GpuTarget t = *lookupTarget("sm_90a");
  TileConfig tiles{64, 128, 4, 2, true, MmaKind::Wgmma, 0, 0, 2};
  TileCensus c = countTiles(f.variant, s, 64, 128);
  const double BH = 16, BHkv = 4, dv = 128;
  IOEstimate prefill = estimateFlashgen(f.variant, s, tiles, c, t);
  EXPECT_DOUBLE_EQ(term(prefill, "V^T pre-pass (read"), BHkv * 8192 * dv);
  EXPECT_DOUBLE_EQ(term(prefill, "V^T pre-pass (write"), BHkv * 8192 * dv);
  FwdLaunchTraits decoding;
  decoding.kvSplits = 8;
  decoding.vTransposedInKernel = true;
  IOEstimate d = estimateFlashgen(f.variant, s, tiles, c, t, decoding);
  for (const IOTerm &x : d.terms)
    EXPECT_FALSE(llvm::StringRef(x.name).starts_with("V^T")) << x.name;
  const double partials = 8 * BH * 1 * (dv + 1) * 4;
  EXPECT_DOUBLE_EQ(term(d, "split-KV partial O"), partials);
  EXPECT_DOUBLE_EQ(term(d, "split-KV partials (the combine"), partials);
  EXPECT_DOUBLE_EQ(d.totalBytes(),
                   prefill.totalBytes() - 2 * BHkv * 8192 * dv + 2 * partials);
}

} // namespace
