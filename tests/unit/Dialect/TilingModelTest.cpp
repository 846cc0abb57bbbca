//===- TilingModelTest.cpp - tilings for every head dim and target --------===//
#include "flashgen/Dialect/Attn/Analysis/TilingModel.h"

#include "gtest/gtest.h"

using namespace flashgen::attn;

namespace {

struct Param {
  const char *arch;
  int64_t headDim;
  bool backward;
};

void PrintTo(const Param &p, std::ostream *os) {
  *os << p.arch << " d" << p.headDim << (p.backward ? " backward" : " forward");
}

class EveryHeadDim : public ::testing::TestWithParam<Param> {};

TEST_P(EveryHeadDim, PicksAValidTilingThatFits) {
  Param p = GetParam();
  GpuTarget t = *lookupTarget(p.arch);
  TilingProblem prob{p.headDim, p.headDim, 2, p.backward};
  llvm::Expected<TilingDecision> d = chooseTiling(prob, t);
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  const TileConfig &c = d->config;
  // Recomputing the estimate gives the same numbers, and they fit.
  TileConfig again = estimateTile(c, prob, t);
  EXPECT_EQ(again.smemBytes, c.smemBytes);
  EXPECT_EQ(whyInvalid(c, prob, t), "");
  EXPECT_LE(c.smemBytes, t.smemPerBlock);
  EXPECT_LE(c.regsPerThread, t.maxRegsPerThread);
  EXPECT_GE(c.ctasPerSM, 1);
  EXPECT_EQ(c.blockM % 16, 0);
  EXPECT_EQ(c.blockN % 16, 0);
  EXPECT_FALSE(d->notes.empty());
}

std::vector<Param> allParams() {
  std::vector<Param> ps;
  for (const char *arch : {"sm_80", "sm_86", "sm_89", "sm_90a"})
    for (int64_t d = 8; d <= 256; d += 8)
      for (bool bwd : {false, true})
        ps.push_back({arch, d, bwd});
  return ps;
}

INSTANTIATE_TEST_SUITE_P(
    Tiling, EveryHeadDim, ::testing::ValuesIn(allParams()),
    [](const ::testing::TestParamInfo<Param> &i) {
      return std::string(i.param.arch) + "_d" + std::to_string(i.param.headDim) +
             (i.param.backward ? "_bwd" : "_fwd");
    });

// The tuner's candidates: every one fits, they are distinct, and the
// planner's choice is among them.
TEST_P(EveryHeadDim, FeasibleTilingsIncludeThePlannersChoice) {
  Param p = GetParam();
  GpuTarget t = *lookupTarget(p.arch);
  TilingProblem prob{p.headDim, p.headDim, 2, p.backward};
  std::vector<TileConfig> all = feasibleTilings(prob, t);
  ASSERT_FALSE(all.empty());
  for (const TileConfig &c : all) {
    EXPECT_EQ(whyInvalid(c, prob, t), "");
    EXPECT_LE(c.smemBytes, t.smemPerBlock);
    EXPECT_GE(c.ctasPerSM, 1);
  }
  auto same = [](const TileConfig &a, const TileConfig &b) {
    return a.blockM == b.blockM && a.blockN == b.blockN && a.warps == b.warps &&
           a.stages == b.stages && a.qInRegisters == b.qInRegisters && a.mma == b.mma &&
           a.warpSpecialized == b.warpSpecialized &&
           (!a.warpSpecialized || a.ctasPerSM == b.ctasPerSM);
  };
  for (size_t i = 0; i < all.size(); ++i)
    for (size_t j = i + 1; j < all.size(); ++j)
      EXPECT_FALSE(same(all[i], all[j])) << "duplicate candidate " << i << ", " << j;
  llvm::Expected<TilingDecision> d = chooseTiling(prob, t);
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  EXPECT_TRUE(llvm::any_of(all, [&](const TileConfig &c) { return same(c, d->config); }));
}

TEST(Tiling, SmallerSharedMemoryGivesSmallerTiles) {
  TilingProblem p{256, 256, 2, false};
  auto h100 = chooseTiling(p, *lookupTarget("sm_90a"));
  auto ga102 = chooseTiling(p, *lookupTarget("sm_86"));
  ASSERT_TRUE(bool(h100) && bool(ga102));
  EXPECT_GT(h100->config.blockM * h100->config.blockN,
            ga102->config.blockM * ga102->config.blockN);
  EXPECT_LE(ga102->config.smemBytes, lookupTarget("sm_86")->smemPerBlock);
}

TEST(Tiling, RefusesWhenNothingFitsAndSaysWhy) {
  GpuTarget tiny = *lookupTarget("sm_80");
  tiny.arch = "sm_tiny";
  tiny.smemPerBlock = tiny.smemPerSM = 4096;
  llvm::Expected<TilingDecision> d = chooseTiling({128, 128, 2, false}, tiny);
  ASSERT_FALSE(bool(d));
  std::string msg = llvm::toString(d.takeError());
  EXPECT_NE(msg.find("no forward tiling fits sm_tiny"), std::string::npos) << msg;
  EXPECT_NE(msg.find("shared memory"), std::string::npos) << msg;
}

TEST(Tiling, HonoursOverrides) {
  GpuTarget t = *lookupTarget("sm_90a");
  auto d = chooseTiling({64, 64, 2, false}, t, TileOverride{64, 32, 4, 1});
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  EXPECT_EQ(d->config.blockM, 64);
  EXPECT_EQ(d->config.blockN, 32);
  EXPECT_EQ(d->config.warps, 4);
  EXPECT_EQ(d->config.stages, 1);
  // An override that cannot fit is refused, not silently replaced.
  auto bad = chooseTiling({256, 256, 2, false}, *lookupTarget("sm_86"),
                          TileOverride{128, 128, 4, 2});
  ASSERT_FALSE(bool(bad));
  llvm::consumeError(bad.takeError());
}

TEST(Tiling, BackwardHoldsMoreThanForward) {
  GpuTarget t = *lookupTarget("sm_90a");
  auto f = chooseTiling({128, 128, 2, false}, t);
  auto b = chooseTiling({128, 128, 2, true}, t);
  ASSERT_TRUE(bool(f) && bool(b));
  EXPECT_LE(b->config.blockM * b->config.blockN, f->config.blockM * f->config.blockN);
}

TEST(Tiling, EstimateMatchesTheFormula) {
  GpuTarget t = *lookupTarget("sm_90a");
  TileConfig c{128, 64, 4, 2, false};
  c = estimateTile(c, {128, 128, 2, false}, t);
  // Q 128x128x2 + 2 stages x 64 x (128+128) x 2.
  EXPECT_EQ(c.smemBytes, 128 * 128 * 2 + 2 * 64 * 256 * 2);
  // O 128*128/128 + S 128*64/128 + P 128*64/256 + 64 overhead = 288: too many.
  EXPECT_EQ(c.regsPerThread, 288);
  EXPECT_NE(whyInvalid(c, {128, 128, 2, false}, t).find("registers"), std::string::npos);
  EXPECT_EQ(paddedHeadDim(72), 96);
  EXPECT_EQ(paddedHeadDim(64), 64);
}

TEST(Tiling, StagedMaskLookupsCountInTheWarpSpecializedKernels) {
  // Staged mask lookups (StagedColumns.h): the forward's one 32-bit value
  // per key of a kv tile, per lookup and stage, in its warp-specialized
  // kernel only.
  GpuTarget t = *lookupTarget("sm_90a");
  TilingProblem plain{128, 128, 2, false}, staged = plain;
  staged.stagedLookups = 2;
  TileConfig ws{128, 128, 8, 2, false, MmaKind::Wgmma};
  ws.warpSpecialized = true;
  ws.ctasPerSM = 1;
  EXPECT_EQ(estimateTile(ws, staged, t).smemBytes,
            estimateTile(ws, plain, t).smemBytes + 2 * 2 * 128 * 4);
  TileConfig wgmma{128, 128, 8, 2, false, MmaKind::Wgmma};
  EXPECT_EQ(estimateTile(wgmma, staged, t).smemBytes, estimateTile(wgmma, plain, t).smemBytes);
  // The backward's: one value per query row of the streamed tile, two
  // buffers, in its warp-specialized kernel only.
  TilingProblem bwd = staged;
  bwd.backward = true;
  TilingProblem bwdPlain = bwd;
  bwdPlain.stagedLookups = 0;
  TileConfig bws{64, 128, 8, 2, false, MmaKind::Wgmma};
  bws.warpSpecialized = true;
  EXPECT_EQ(estimateTile(bws, bwd, t).smemBytes,
            estimateTile(bws, bwdPlain, t).smemBytes + 2 * 2 * 64 * 4);
  TileConfig bwgmma{64, 128, 8, 2, false, MmaKind::Wgmma};
  EXPECT_EQ(estimateTile(bwgmma, bwd, t).smemBytes, estimateTile(bwgmma, bwdPlain, t).smemBytes);
}

TEST(Tiling, WgmmaForwardOnSm90aForHeadDimsPaddedTo64) {
  for (int64_t d : {40, 64, 112, 128, 168, 192, 232, 256}) {
    auto h100 = chooseTiling({d, d, 2, false}, *lookupTarget("sm_90a"));
    ASSERT_TRUE(bool(h100)) << llvm::toString(h100.takeError());
    EXPECT_EQ(h100->config.mma, MmaKind::Wgmma) << d;
    EXPECT_EQ(h100->config.blockM, 16 * h100->config.warps) << d; // 64 rows per warpgroup
    auto a100 = chooseTiling({d, d, 2, false}, *lookupTarget("sm_80"));
    ASSERT_TRUE(bool(a100)) << llvm::toString(a100.takeError());
    EXPECT_EQ(a100->config.mma, MmaKind::Sync) << d;
  }
  for (int64_t d : {32, 96, 160, 224}) {
    auto h100 = chooseTiling({d, d, 2, false}, *lookupTarget("sm_90a"));
    ASSERT_TRUE(bool(h100)) << llvm::toString(h100.takeError());
    EXPECT_EQ(h100->config.mma, MmaKind::Sync) << d;
    EXPECT_NE(whyNoWgmma({d, d, 2, false}, *lookupTarget("sm_90a")), "") << d;
  }
  // Past 128: two consumer warpgroups, Bc = 64 (O of 96 or 128 registers
  // per thread leaves room for S and P of 64 keys only), warp-specialized
  // at one CTA per SM; unequal dims too (MLA-style 192/128, Bc = 128 fits).
  for (int64_t d : {192, 256}) {
    auto h100 = chooseTiling({d, d, 2, false}, *lookupTarget("sm_90a"));
    ASSERT_TRUE(bool(h100)) << llvm::toString(h100.takeError());
    EXPECT_EQ(h100->config.blockM, 128) << d;
    EXPECT_EQ(h100->config.blockN, 64) << d;
    EXPECT_TRUE(h100->config.warpSpecialized) << d;
    EXPECT_EQ(h100->config.ctasPerSM, 1) << d;
    EXPECT_LE(h100->config.smemBytes, lookupTarget("sm_90a")->smemPerBlock) << d;
  }
  auto mla = chooseTiling({192, 128, 2, false}, *lookupTarget("sm_90a"));
  ASSERT_TRUE(bool(mla)) << llvm::toString(mla.takeError());
  EXPECT_EQ(mla->config.mma, MmaKind::Wgmma);
  EXPECT_TRUE(mla->config.warpSpecialized);
  EXPECT_EQ(mla->config.blockM, 128);
  // The backward keeps mma.sync past 128.
  for (int64_t d : {192, 256}) {
    auto bwd = chooseTiling({d, d, 2, true}, *lookupTarget("sm_90a"));
    ASSERT_TRUE(bool(bwd)) << llvm::toString(bwd.takeError());
    EXPECT_EQ(bwd->config.mma, MmaKind::Sync) << d;
    EXPECT_NE(whyNoWgmma({d, d, 2, true}, *lookupTarget("sm_90a")).find("backward"),
              std::string::npos) << d;
  }
  // The backward's fast path takes wgmma on the same head dims, in its one
  // shape (two warpgroups of 64 keys; 128-query tiles at head dim 64, 64
  // at 128); elsewhere mma.sync.
  for (int64_t d : {40, 64, 128}) {
    auto bwd = chooseTiling({d, d, 2, true}, *lookupTarget("sm_90a"));
    ASSERT_TRUE(bool(bwd)) << llvm::toString(bwd.takeError());
    EXPECT_EQ(bwd->config.mma, MmaKind::Wgmma) << d;
    EXPECT_EQ(bwd->config.warps, 8) << d;
    EXPECT_EQ(bwd->config.blockN, 128) << d;
    EXPECT_EQ(bwd->config.blockM, d <= 64 ? 128 : 64) << d;
    EXPECT_TRUE(backwardHasAtomicDQ({d, d, 2, true}, bwd->config)) << d;
  }
  // With dropout, 128-query tiles spill at head dim 64: 64 there.
  TilingProblem dropout{64, 64, 2, true};
  dropout.dropout = true;
  auto bwdDropout = chooseTiling(dropout, *lookupTarget("sm_90a"));
  ASSERT_TRUE(bool(bwdDropout)) << llvm::toString(bwdDropout.takeError());
  EXPECT_EQ(bwdDropout->config.mma, MmaKind::Wgmma);
  EXPECT_EQ(bwdDropout->config.blockM, 64);
  for (const char *arch : {"sm_80", "sm_90a"}) {
    auto bwd = chooseTiling({96, 96, 2, true}, *lookupTarget(arch));
    ASSERT_TRUE(bool(bwd)) << llvm::toString(bwd.takeError());
    EXPECT_EQ(bwd->config.mma, MmaKind::Sync) << arch;
  }
  // The forced choice holds for the backward too.
  TileOverride sync;
  sync.mma = MmaKind::Sync;
  auto bwdSync = chooseTiling({128, 128, 2, true}, *lookupTarget("sm_90a"), sync);
  ASSERT_TRUE(bool(bwdSync));
  EXPECT_EQ(bwdSync->config.mma, MmaKind::Sync);
  // Forcing wgmma where it cannot run fails.
  TileOverride wg;
  wg.mma = MmaKind::Wgmma;
  auto forced = chooseTiling({96, 96, 2, false}, *lookupTarget("sm_90a"), wg);
  ASSERT_FALSE(bool(forced));
  EXPECT_NE(llvm::toString(forced.takeError()).find("padded to 64, 128, 192 or 256"), std::string::npos);
}

TEST(Tiling, WarpSpecializedForwardShapes) {
  const GpuTarget h100 = *lookupTarget("sm_90a");
  auto fwd = [&](int64_t d, bool band) {
    TilingProblem p{d, d, 2, false};
    p.bandMask = band;
    llvm::Expected<TilingDecision> t = chooseTiling(p, h100);
    EXPECT_TRUE(bool(t)) << llvm::toString(t.takeError());
    return std::make_pair(p, t ? t->config : TileConfig{});
  };
  // Head dim 128: two consumer warpgroups, 128x128, one CTA per SM.
  for (bool band : {false, true}) {
    auto [p, c] = fwd(128, band);
    EXPECT_EQ(c.blockM, 128);
    EXPECT_EQ(c.blockN, 128);
    EXPECT_EQ(c.warps, 8);
    EXPECT_TRUE(c.warpSpecialized);
    EXPECT_EQ(c.ctasPerSM, 1);
    EXPECT_EQ(warpSpecializedRegisters(c).entry, 168);
    EXPECT_EQ(warpSpecializedRegisters(c).consumer, 240);
  }
  // Head dim 64: one consumer warpgroup; 64x128 in two CTAs per SM, or
  // 64x64 in three with a band mask (short rows).
  for (bool band : {false, true}) {
    auto [p, c] = fwd(64, band);
    EXPECT_EQ(c.blockM, 64);
    EXPECT_EQ(c.blockN, band ? 64 : 128);
    EXPECT_EQ(c.warps, 4);
    EXPECT_TRUE(c.warpSpecialized);
    EXPECT_EQ(c.ctasPerSM, band ? 3 : 2);
    // The 64K registers split: 128 at entry -> 232, or 80 -> 136.
    EXPECT_EQ(warpSpecializedRegisters(c).entry, band ? 80 : 128);
    EXPECT_EQ(warpSpecializedRegisters(c).consumer, band ? 136 : 232);
    EXPECT_EQ(warpSpecializedRegisters(c).producer, 24);
  }
  // The planner's family elsewhere is the plain kernel: 128x64 at head dim
  // 64, 64-row tiles at 128, mma.sync. Unequal head dims
  // are planned by the wider one.
  TilingProblem d64{64, 64, 2, false}, d128{128, 128, 2, false}, mixed{64, 128, 2, false};
  EXPECT_EQ(plannedWarpSpecializedCtas(d64, TileConfig{128, 64, 8, 2, false, MmaKind::Wgmma}), 0);
  EXPECT_EQ(plannedWarpSpecializedCtas(d128, TileConfig{64, 128, 4, 2, false, MmaKind::Wgmma}), 0);
  EXPECT_EQ(plannedWarpSpecializedCtas(mixed, TileConfig{128, 128, 8, 2, false, MmaKind::Wgmma}), 1);
  EXPECT_EQ(plannedWarpSpecializedCtas(mixed, TileConfig{64, 128, 4, 2, false, MmaKind::Wgmma}), 0);
  // The backward's wgmma kernel: warp-specialized at one CTA per SM.
  EXPECT_EQ(plannedWarpSpecializedCtas({128, 128, 2, true},
                                       TileConfig{64, 128, 8, 2, false, MmaKind::Wgmma}), 1);
  EXPECT_EQ(plannedWarpSpecializedCtas({64, 64, 2, true},
                                       TileConfig{128, 128, 8, 2, false, MmaKind::Sync}), 0);
  EXPECT_EQ(plannedWarpSpecializedCtas(d128, TileConfig{128, 128, 8, 2, false, MmaKind::Sync}), 0);
}

// The tuner's space holds both kernel families of the wgmma forward, the
// warp-specialized one at every launch bound whose register split and
// shared memory fit.
TEST(Tiling, WarpSpecializedCandidates) {
  const GpuTarget h100 = *lookupTarget("sm_90a");
  auto has = [](const std::vector<TileConfig> &all, int64_t m, int64_t n, int64_t w, bool ws,
                int64_t ctas) {
    return llvm::any_of(all, [&](const TileConfig &c) {
      return c.blockM == m && c.blockN == n && c.warps == w && c.mma == MmaKind::Wgmma &&
             c.warpSpecialized == ws && (!ws || c.ctasPerSM == ctas);
    });
  };
  std::vector<TileConfig> d128 = feasibleTilings({128, 128, 2, false}, h100);
  EXPECT_TRUE(has(d128, 128, 128, 8, true, 1));
  EXPECT_TRUE(has(d128, 128, 128, 8, false, 0));
  // One consumer warpgroup at head dim 128: 64x64 fits twice per SM
  // (82 KB each), not three times.
  EXPECT_TRUE(has(d128, 64, 64, 4, true, 2));
  EXPECT_FALSE(has(d128, 64, 64, 4, true, 3));
  // Two consumer warpgroups at two CTAs leave too few registers.
  EXPECT_FALSE(has(d128, 128, 128, 8, true, 2));
  std::vector<TileConfig> d64 = feasibleTilings({64, 64, 2, false}, h100);
  EXPECT_TRUE(has(d64, 64, 64, 4, true, 3));
  EXPECT_TRUE(has(d64, 64, 128, 4, true, 2));
  // 64x128 at three CTAs: 136 registers for 176 needed.
  EXPECT_FALSE(has(d64, 64, 128, 4, true, 3));
  for (const TileConfig &c : d64)
    if (c.warpSpecialized) {
      EXPECT_GE(warpSpecializedRegisters(c).consumer, c.regsPerThread);
      EXPECT_LE(c.ctasPerSM * (c.smemBytes + 1024), h100.smemPerSM);
    }
  // Unequal head dims: the budget of each (192/128: Bc = 128 fits in one
  // CTA, 214 KB). None for the backward (its wgmma kernel takes 64 and 128).
  std::vector<TileConfig> mla = feasibleTilings({192, 128, 2, false}, h100);
  for (const TileConfig &c : feasibleTilings({192, 128, 2, true}, h100))
    EXPECT_FALSE(c.warpSpecialized);
  EXPECT_TRUE(has(mla, 128, 128, 8, true, 1));
  EXPECT_FALSE(has(mla, 64, 128, 4, true, 2));
  for (const TileConfig &c : mla)
    if (c.warpSpecialized)
      EXPECT_LE(c.ctasPerSM * (c.smemBytes + 1024), h100.smemPerSM);
  // The backward: the wgmma fused kernel's one shape (Bc = 128, 8 warps),
  // warp-specialized at one CTA per SM, with its second dQ staging buffer
  // and mbarriers in the budget; d128: 214 KB, 240 registers for 240 needed.
  int bwdWs = 0;
  for (const TileConfig &c : feasibleTilings({128, 128, 2, true}, h100))
    if (c.warpSpecialized) {
      ++bwdWs;
      EXPECT_EQ(c.ctasPerSM, 1);
      EXPECT_EQ(c.blockN, 128);
      EXPECT_EQ(c.blockM, 64);
      EXPECT_EQ(c.smemBytes, 32768 * 2 + 2 * 2 * 16384 + 16384 + 2 * 64 * 544 + 2 * 512 + 1024 + 64);
      EXPECT_EQ(warpSpecializedRegisters(c).consumer, 240);
      EXPECT_LE(c.regsPerThread, 240);
    }
  EXPECT_EQ(bwdWs, 1);
  TilingProblem bwd64{64, 64, 2, true};
  bwd64.dropout = true; // 64-query tiles only
  for (const TileConfig &c : feasibleTilings(bwd64, h100))
    if (c.warpSpecialized)
      EXPECT_EQ(c.blockM, 64);
  // A spec may pick the family and launch bound, or refuse the family.
  TileOverride one{64, 64, 4, 0, MmaKind::Wgmma, 1, 2};
  auto chosen = chooseTiling({128, 128, 2, false}, h100, one);
  ASSERT_TRUE(bool(chosen)) << llvm::toString(chosen.takeError());
  EXPECT_TRUE(chosen->config.warpSpecialized);
  EXPECT_EQ(chosen->config.ctasPerSM, 2);
  TileOverride plain;
  plain.warpSpecialized = -1;
  auto p = chooseTiling({128, 128, 2, false}, h100, plain);
  ASSERT_TRUE(bool(p));
  EXPECT_FALSE(p->config.warpSpecialized);
  EXPECT_EQ(p->config.mma, MmaKind::Wgmma);
  TileOverride three{64, 64, 4, 0, MmaKind::Wgmma, 1, 3};
  auto tooMany = chooseTiling({128, 128, 2, false}, h100, three);
  ASSERT_FALSE(bool(tooMany));
  EXPECT_NE(llvm::toString(tooMany.takeError()).find("no forward tiling"), std::string::npos);
}

TEST(Tiling, BackwardFastPathWhereTheWarpsSplitDQEvenly) {
  GpuTarget t = *lookupTarget("sm_90a");
  for (int64_t d : {64, 128}) {
    auto b = chooseTiling({d, d, 2, true}, t);
    ASSERT_TRUE(bool(b));
    EXPECT_TRUE(backwardHasAtomicDQ({d, d, 2, true}, b->config)) << d;
  }
  // Split dK/dV passes (qk + v > 256) and 16-row streamed tiles have none.
  auto big = chooseTiling({256, 256, 2, true}, t);
  ASSERT_TRUE(bool(big));
  EXPECT_FALSE(backwardHasAtomicDQ({256, 256, 2, true}, big->config));
  TileConfig narrow{16, 128, 8, 2, false};
  EXPECT_FALSE(backwardHasAtomicDQ({64, 64, 2, true}, narrow));
  // 8 warps over 2 m-tiles (Br = 32): 4 warps share each, 2 n-tiles each at d64.
  TileConfig br32{32, 128, 8, 2, false};
  EXPECT_TRUE(backwardHasAtomicDQ({64, 64, 2, true}, br32));
  // d32: 4 n-tiles over 4 warps per m-tile leaves 1 each, not a pair.
  EXPECT_FALSE(backwardHasAtomicDQ({32, 32, 2, true}, br32));
}

} // namespace

// The planner's choices by launch shape, where the tuner measured another
// kernel of the same family faster; elsewhere its shape-free choice holds.
TEST(Tiling, PlannedForShape) {
  const GpuTarget h100 = *lookupTarget("sm_90a");
  auto at = [&](int64_t d, bool band, int64_t n, bool dropout = false, bool scoreMod = false,
                bool runtimeSparse = false, int64_t bandWidth = 0,
                bool keepsCausalBand = false) -> std::optional<TileConfig> {
    TilingProblem p{d, d, 2, false};
    p.keepsCausalBand = keepsCausalBand;
    p.bandMask = band;
    p.bandWidth = bandWidth;
    p.dropout = dropout;
    p.scoreMod = scoreMod;
    p.runtimeSparse = runtimeSparse;
    llvm::Expected<TilingDecision> base = chooseTiling(p, h100);
    EXPECT_TRUE(bool(base));
    if (!base) {
      llvm::consumeError(base.takeError());
      return std::nullopt;
    }
    std::string why;
    std::optional<TileConfig> c = plannedForShape(p, h100, base->config, n, n, &why);
    EXPECT_EQ(c.has_value(), !why.empty());
    if (c)
      EXPECT_EQ(whyInvalid(*c, p, h100), "");
    return c;
  };
  auto is = [](const std::optional<TileConfig> &c, int64_t m, int64_t n, int64_t ctas) {
    return c && c->blockM == m && c->blockN == n && c->warpSpecialized && c->ctasPerSM == ctas;
  };
  EXPECT_TRUE(is(at(128, true, 512), 64, 64, 2));
  EXPECT_TRUE(is(at(128, true, 1024), 64, 64, 2));
  EXPECT_FALSE(at(128, true, 2048));
  EXPECT_FALSE(at(128, false, 512));
  EXPECT_TRUE(is(at(64, true, 4096), 64, 128, 2));
  EXPECT_TRUE(is(at(64, true, 4097), 192, 128, 1));
  EXPECT_TRUE(is(at(64, true, 8192), 192, 128, 1));
  EXPECT_TRUE(is(at(64, true, 16384), 192, 128, 1));
  EXPECT_FALSE(at(64, true, 2048));
  EXPECT_TRUE(is(at(64, false, 512), 64, 64, 3));
  EXPECT_FALSE(at(64, false, 1024));
  EXPECT_FALSE(at(64, false, 2047));
  EXPECT_TRUE(is(at(64, false, 2048), 192, 128, 1));
  EXPECT_TRUE(is(at(64, false, 2049), 192, 128, 1));
  EXPECT_TRUE(is(at(64, false, 4096), 192, 128, 1));
  EXPECT_TRUE(at(64, false, 4096)->warps == 12);
  // Three consumer warpgroups get 160 registers each: dropout's keep bits
  // or a score modifier's temporaries do not fit (ptxas spills), so long
  // rows keep the planner's tiles there (the band rule's 64x128 applies).
  EXPECT_FALSE(at(64, false, 16384, /*dropout=*/true));
  EXPECT_FALSE(at(64, false, 16384, false, /*scoreMod=*/true));
  EXPECT_TRUE(is(at(64, true, 16384, true), 64, 128, 2));
  // Masks sparse at run time (documents from a tensor) keep few tiles per
  // row at any length: not three warpgroups, nor a long band's Bc = 128
  // (the planner's own 64x64 at three CTAs per SM); at head dim 128 a
  // band of them takes 64x64 at two CTAs per SM at every length (H200,
  // session 33). A block map without a band is not such a band.
  EXPECT_FALSE(at(64, true, 16384, false, false, /*runtimeSparse=*/true));
  EXPECT_FALSE(at(64, true, 8192, false, false, /*runtimeSparse=*/true));
  EXPECT_FALSE(at(64, false, 16384, false, false, /*runtimeSparse=*/true));
  EXPECT_TRUE(is(at(128, true, 2048, false, false, /*runtimeSparse=*/true), 64, 64, 2));
  EXPECT_TRUE(is(at(128, true, 16384, false, false, /*runtimeSparse=*/true), 64, 64, 2));
  EXPECT_FALSE(at(128, false, 16384, false, false, /*runtimeSparse=*/true));
  // ... unless every row keeps at least a causal row (prefix-LM): long
  // rows at head dim 64 from 2k on (H200, session 35's tuning); head dim
  // 128 keeps the planner's tiles.
  auto prefixLm = [&](int64_t d, int64_t n) { return at(d, false, n, false, false, true, 0, true); };
  EXPECT_FALSE(prefixLm(64, 1024));
  EXPECT_TRUE(is(prefixLm(64, 2048), 128, 128, 1));
  EXPECT_TRUE(prefixLm(64, 2048)->warps == 8);
  EXPECT_TRUE(is(prefixLm(64, 4095), 128, 128, 1));
  EXPECT_TRUE(is(prefixLm(64, 4096), 192, 128, 1));
  EXPECT_TRUE(is(prefixLm(64, 16384), 192, 128, 1));
  EXPECT_FALSE(prefixLm(128, 16384));
  // A sliding window keeps its width in keys at any length: the long-row
  // rules go by that (a window of 1024: the planner's own tiles at 16k; a
  // window of 8192 is a long row from 8k on).
  EXPECT_FALSE(at(64, true, 16384, false, false, false, /*bandWidth=*/1024));
  EXPECT_TRUE(is(at(64, true, 16384, false, false, false, 3000), 64, 128, 2));
  EXPECT_TRUE(is(at(64, true, 16384, false, false, false, 8192), 192, 128, 1));
  EXPECT_TRUE(is(at(64, true, 4096, false, false, false, 8192), 64, 128, 2));
  // Not the planner's family (a spec's own tiling), the backward, or
  // another architecture: no rule.
  TilingProblem d128{128, 128, 2, false};
  d128.bandMask = true;
  EXPECT_FALSE(plannedForShape(d128, h100, TileConfig{128, 128, 8, 2, false, MmaKind::Wgmma},
                               512, 512));
  TilingProblem bwd{128, 128, 2, true};
  bwd.bandMask = true;
  auto b = chooseTiling(bwd, h100);
  ASSERT_TRUE(bool(b));
  EXPECT_FALSE(plannedForShape(bwd, h100, b->config, 512, 512));
  auto a100 = chooseTiling(d128, *lookupTarget("sm_80"));
  ASSERT_TRUE(bool(a100));
  EXPECT_FALSE(plannedForShape(d128, *lookupTarget("sm_80"), a100->config, 512, 512));
}
