//===- TileClassificationTest.cpp - soundness and tightness ---------------===//
//
// The property that makes skipping tiles safe: for random mask expressions
// (built as .attn text, so the frontend is exercised too) and random tiles,
// every element of a tile classified Empty is masked out and every element
// of a tile classified Full is attended, by brute force over all b, h, q, k.
// Partial may be conservative; how often it is (tightness) is reported, and
// for the standard band masks it must be exact.
//
//===----------------------------------------------------------------------===//
#include "../Frontend/TestUtil.h"

#include "flashgen/Dialect/Attn/Analysis/TileClassification.h"
#include "flashgen/Dialect/Attn/Transforms/Transforms.h"
#include "flashgen/attention/IntArith.cuh"

#include "gtest/gtest.h"

#include <cstdlib>
#include <random>

using namespace flashgen;
using namespace flashgen::attn;

namespace {

class ExprGen {
public:
  explicit ExprGen(uint64_t seed) : rng(seed) {}

  std::string boolExpr(int depth) {
    int choice = pick(depth <= 0 ? 4 : 10);
    switch (choice) {
    case 0: return "causal";
    case 1: return "causal(bottom_right)";
    case 2:
      return "sliding_window(left = " + std::to_string(pick(40)) +
             ", right = " + std::to_string(pick(10)) + ")";
    case 3: return cmp(0);
    case 4: return cmp(depth - 1);
    case 5: return "(" + boolExpr(depth - 1) + " && " + boolExpr(depth - 1) + ")";
    case 6: return "(" + boolExpr(depth - 1) + " || " + boolExpr(depth - 1) + ")";
    case 7: return "!(" + boolExpr(depth - 1) + ")";
    case 8: return pick(2) ? "true" : "false";
    default: return cmp(depth - 1);
    }
  }

private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }
  std::string constant() { return std::to_string(pick(101) - 50); }
  std::string nonzero() {
    int v = pick(19) - 9;
    return std::to_string(v == 0 ? 7 : v);
  }
  std::string cmp(int depth) {
    static const char *ops[] = {"<", "<=", ">", ">=", "==", "!="};
    return "(" + intExpr(depth) + " " + ops[pick(6)] + " " + intExpr(depth) + ")";
  }
  std::string intExpr(int depth) {
    static const char *leaves[] = {"q", "k", "seq_q", "seq_k", "b", "h"};
    if (depth <= 0 || pick(3) == 0)
      return pick(3) == 0 ? constant() : leaves[pick(6)];
    switch (pick(10)) {
    case 0: return "(" + intExpr(depth - 1) + " + " + intExpr(depth - 1) + ")";
    case 1: return "(" + intExpr(depth - 1) + " - " + intExpr(depth - 1) + ")";
    case 2: return "(" + intExpr(depth - 1) + " * " + nonzero() + ")";
    case 3: return "(" + intExpr(depth - 1) + " / " + nonzero() + ")";
    case 4: return "(" + intExpr(depth - 1) + " % " + nonzero() + ")";
    case 5: return "min(" + intExpr(depth - 1) + ", " + intExpr(depth - 1) + ")";
    case 6: return "max(" + intExpr(depth - 1) + ", " + intExpr(depth - 1) + ")";
    case 7: return "abs(" + intExpr(depth - 1) + ")";
    case 8:
      return "clamp(" + intExpr(depth - 1) + ", " + constant() + ", " +
             std::to_string(50 + pick(50)) + ")";
    default:
      return "(" + boolExpr(depth - 1) + " ? " + intExpr(depth - 1) + " : " +
             intExpr(depth - 1) + ")";
    }
  }
  std::mt19937_64 rng;
};

/// Compiles one mask; optionally canonicalizes it as the pipeline does.
struct Compiled {
  Compiled(const std::string &mask, mlir::MLIRContext &ctx, bool canonicalize)
      : src("attention t { head_dim = 64; mask = " + mask + "; }") {
    result = test::compile(src, ctx);
    if (result.module) {
      variant = *result.module->getOps<VariantOp>().begin();
      if (canonicalize)
        (void)canonicalizeExpressions(variant);
    }
  }
  test::Source src;
  FrontendResult result;
  VariantOp variant;
};

/// The exact class of a tile by brute force over every b, h, q, k.
TileClass exactClass(VariantOp v, const AttnShape &s, int64_t q0, int64_t q1,
                     int64_t k0, int64_t k1) {
  bool any = false, all = true;
  for (int32_t b = 0; b < s.batch; ++b)
    for (int32_t h = 0; h < s.heads; ++h)
      for (int64_t q = q0; q <= q1; ++q)
        for (int64_t k = k0; k <= k1; ++k) {
          IndexPoint at{b, h, int32_t(q), int32_t(k), int32_t(s.seqQ), int32_t(s.seqK)};
          std::optional<bool> m = evaluateMask(v, at);
          if (!m)
            continue; // undefined element: no claim either way
          any |= *m;
          all &= *m;
        }
  if (!any)
    return TileClass::Empty;
  return all ? TileClass::Full : TileClass::Partial;
}

size_t envOr(const char *name, size_t fallback) {
  const char *v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

TEST(TileClassification, SoundOnRandomMasksAndTiles) {
  uint64_t seed = envOr("FLASHGEN_CLASSIFY_SEED", 424242);
  size_t numExprs = envOr("FLASHGEN_CLASSIFY_EXPRS", 1500);
  ExprGen gen(seed);
  std::mt19937_64 rng(seed + 1);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto ctx = test::makeContext();
  size_t cases = 0, exact = 0, violations = 0;
  size_t byClass[3] = {0, 0, 0};
  for (size_t n = 0; n < numExprs; ++n) {
    std::string mask = gen.boolExpr(pick(1, 4));
    for (bool canonicalize : {false, true}) {
      Compiled c(mask, *ctx, canonicalize);
      ASSERT_TRUE(c.result.module) << mask << "\n" << c.src.diagText;
      for (int t = 0; t < 4; ++t) {
        AttnShape s;
        s.batch = pick(1, 2);
        s.heads = pick(1, 3);
        s.seqQ = pick(1, 200);
        s.seqK = pick(1, 200);
        int64_t Br = 8 << pick(0, 2), Bc = 8 << pick(0, 2);
        int64_t q0 = pick(0, int(s.seqQ) - 1), k0 = pick(0, int(s.seqK) - 1);
        int64_t q1 = std::min(s.seqQ, q0 + Br) - 1, k1 = std::min(s.seqK, k0 + Bc) - 1;
        TileClass got = classifyTile(c.variant, s, q0, q1, k0, k1);
        TileClass want = exactClass(c.variant, s, q0, q1, k0, k1);
        ++cases;
        ++byClass[int(got)];
        exact += got == want;
        if (got != TileClass::Partial && got != want) {
          ++violations;
          ADD_FAILURE() << "unsound: classified " << tileClassLetter(got)
                        << " but exactly " << tileClassLetter(want) << "\n  mask: " << mask
                        << (canonicalize ? " (canonicalized)" : "") << "\n  tile q["
                        << q0 << "," << q1 << "] k[" << k0 << "," << k1 << "] B="
                        << s.batch << " H=" << s.heads << " Nq=" << s.seqQ
                        << " Nk=" << s.seqK;
        }
      }
    }
  }
  std::printf("classification: %zu cases (seed %llu), %zu violations, "
              "E/F/P = %zu/%zu/%zu, exact %.1f%%\n",
              cases, static_cast<unsigned long long>(seed), violations, byClass[0],
              byClass[1], byClass[2], 100.0 * double(exact) / double(cases));
  EXPECT_EQ(violations, 0u);
  EXPECT_GE(cases, 10000u);
  // The generator must produce all three classes, or the test proves little.
  EXPECT_GT(byClass[0], cases / 20);
  EXPECT_GT(byClass[1], cases / 20);
}

/// Fraction of the tiles of a Nq x Nk grid classified exactly.
double tightness(const std::string &mask, int64_t N, int64_t B) {
  auto ctx = test::makeContext();
  Compiled c(mask, *ctx, /*canonicalize=*/true);
  EXPECT_TRUE(c.result.module) << c.src.diagText;
  AttnShape s;
  s.seqQ = s.seqK = N;
  size_t total = 0, exact = 0;
  for (int64_t q0 = 0; q0 < N; q0 += B)
    for (int64_t k0 = 0; k0 < N; k0 += B) {
      int64_t q1 = std::min(N, q0 + B) - 1, k1 = std::min(N, k0 + B) - 1;
      ++total;
      exact += classifyTile(c.variant, s, q0, q1, k0, k1) ==
               exactClass(c.variant, s, q0, q1, k0, k1);
    }
  return double(exact) / double(total);
}

TEST(TileClassification, TightnessOfStandardMasks) {
  struct Case {
    const char *name, *mask;
    double atLeast;
  } cases[] = {
      {"causal", "causal", 1.0},
      {"causal bottom-right", "causal(bottom_right)", 1.0},
      {"sliding window 100", "sliding_window(left = 100)", 1.0},
      {"window both sides", "sliding_window(left = 50, right = 70)", 1.0},
      {"causal && k > 100 (prefix cut)", "causal && k > 100", 1.0},
      {"causal || k < 64 (global key block)", "causal || k < 64", 1.0},
      {"strided q-k % 3 (compound)", "causal && (q - k) % 3 == 0", 0.0},
      {"dilated blocks (q/64 + k/64) % 2", "(q / 64 + k / 64) % 2 == 0", 0.0},
  };
  for (const Case &c : cases) {
    double t = tightness(c.mask, 512, 32);
    std::printf("tightness %-40s %6.1f%%\n", c.name, 100 * t);
    EXPECT_GE(t, c.atLeast) << c.name;
  }
}

// Integer / and % are total (IntArith.cuh, shared with the kernels): a
// divisor that is zero for some elements gives x / 0 = 0 and x % 0 = x,
// INT_MIN / -1 wraps, and every element has a value (none "undefined").
TEST(TileClassification, IntegerDivisionIsTotal) {
  EXPECT_EQ(divTotal(7, 0), 0);
  EXPECT_EQ(remTotal(7, 0), 7);
  EXPECT_EQ(divTotal(-7, 2), -3); // truncating, as in C
  EXPECT_EQ(remTotal(-7, 2), -1);
  EXPECT_EQ(divTotal(INT32_MIN, -1), INT32_MIN);
  EXPECT_EQ(remTotal(INT32_MIN, -1), 0);
  auto ctx = test::makeContext();
  auto at = [](int q, int k) { return IndexPoint{0, 0, q, k, 100, 100}; };
  Compiled div("q / (k - q) == 0", *ctx, false);
  ASSERT_TRUE(div.variant);
  EXPECT_EQ(evaluateMask(div.variant, at(5, 5)), std::optional<bool>(true));   // 5 / 0 = 0
  EXPECT_EQ(evaluateMask(div.variant, at(5, 6)), std::optional<bool>(false));  // 5 / 1 = 5
  Compiled rem("q % (k - q) == q", *ctx, false);
  ASSERT_TRUE(rem.variant);
  EXPECT_EQ(evaluateMask(rem.variant, at(5, 5)), std::optional<bool>(true));   // 5 % 0 = 5
  EXPECT_EQ(evaluateMask(rem.variant, at(5, 7)), std::optional<bool>(false));  // 5 % 2 = 1
  Compiled wrap("(-2147483647 - 1) / (k - q - 1) < 0", *ctx, false);
  ASSERT_TRUE(wrap.variant);
  EXPECT_EQ(evaluateMask(wrap.variant, at(3, 3)), std::optional<bool>(true));  // INT_MIN / -1
}

TEST(TileClassification, BandMasksAreExactAtTileGranularity) {
  auto ctx = test::makeContext();
  Compiled c("causal", *ctx, true);
  AttnShape s;
  s.seqQ = s.seqK = 256;
  TileCensus census = countTiles(c.variant, s, 64, 64);
  EXPECT_EQ(census.total(), 16);
  EXPECT_EQ(census.empty, 6);
  EXPECT_EQ(census.full, 6);
  EXPECT_EQ(census.partial, 4);
  EXPECT_NEAR(census.attendedFraction, (256.0 * 257 / 2) / (256.0 * 256), 1e-12);
}

TEST(TileClassification, SparsityEmptiesDroppedBlocks) {
  test::Source src("attention t { head_dim = 64; sparsity = local(width = 1, block_size = 64); }");
  auto ctx = test::makeContext();
  FrontendResult r = test::compile(src, *ctx);
  ASSERT_TRUE(r.module) << src.diagText;
  VariantOp v = *r.module->getOps<VariantOp>().begin();
  AttnShape s;
  s.seqQ = s.seqK = 256;
  TileCensus census = countTiles(v, s, 64, 64);
  EXPECT_EQ(census.full, 4); // the diagonal
  EXPECT_EQ(census.empty, 12);
  // A 128-wide kernel tile over 64-wide sparse blocks: half kept, partial.
  EXPECT_EQ(classifyTile(v, s, 0, 127, 0, 127), TileClass::Partial);
  EXPECT_EQ(classifyTile(v, s, 0, 63, 128, 255), TileClass::Empty);
}

} // namespace
