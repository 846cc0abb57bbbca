//===- PackQueryHeadsTest.cpp - GQA packing keeps every expression's meaning -===//
//
// attn-pack-query-heads rewrites a variant for a launch of kv_heads heads
// and group x seq_q rows. The property that makes the packed launch
// correct: at every packed element (b, h', r, k) the rewritten mask and
// score equal the original's at (b, h' * group + r / seq_q, r % seq_q, k),
// by brute force over masks and score modifiers that read h, q, seq_q and
// tensors indexed by them (lookups through one deterministic table).
//
//===----------------------------------------------------------------------===//
#include "../Frontend/TestUtil.h"

#include "flashgen/Dialect/Attn/Analysis/MaskEval.h"
#include "flashgen/Dialect/Attn/Transforms/Transforms.h"

#include "gtest/gtest.h"

#include <string>

using namespace flashgen;
using namespace flashgen::attn;

namespace {

struct Parsed {
  Parsed(const std::string &text, mlir::MLIRContext &ctx) : src(text) {
    result = test::compile(src, ctx);
    if (result.module) {
      variant = *result.module->getOps<VariantOp>().begin();
      (void)canonicalizeExpressions(variant);
    }
  }
  test::Source src;
  FrontendResult result;
  VariantOp variant;
};

/// Every tensor element a made-up value of its name and indices (clamped
/// reads are the kernels' business; these indices stay in range).
double tableAt(llvm::StringRef name, llvm::ArrayRef<int32_t> ix) {
  int64_t x = int64_t(name.size()) * 7919;
  for (int32_t i : ix)
    x = x * 31 + i;
  return double((x % 13 + 13) % 13) - 6;
}

/// Returns how many elements the mask drops (the comparison must see both
/// values somewhere).
int expectSameMeaning(const std::string &body, int group, int kvHeads, int seqQ, bool single) {
  SCOPED_TRACE(body + (single ? " (single query)" : " (rows)") + ", seq_q " +
               std::to_string(seqQ));
  auto ctx = test::makeContext();
  const int heads = group * kvHeads;
  const std::string text = "attention v { head_dim = 64; heads = " + std::to_string(heads) +
                           "; kv_heads = " + std::to_string(kvHeads) + ";\n" +
                           "  tensor slopes : f32[heads]; tensor doc : i32[batch, seq_k];\n" +
                           body + "\n}\n";
  Parsed original(text, *ctx), packed(text, *ctx);
  EXPECT_TRUE(original.variant) << original.src.diagText;
  if (!original.variant)
    return 0;
  EXPECT_TRUE(mlir::succeeded(packQueryHeads(packed.variant, group, 0, single)));
  EXPECT_TRUE(mlir::succeeded(canonicalizeExpressions(packed.variant)));
  EXPECT_EQ(*packed.variant.getHeads(), uint64_t(kvHeads));
  const int seqK = 37, rows = group * seqQ;
  int kept = 0, dropped = 0;
  for (int32_t b = 0; b < 2; ++b)
    for (int32_t hp = 0; hp < kvHeads; ++hp)
      for (int32_t r = 0; r < rows; ++r)
        for (int32_t k = 0; k < seqK; ++k) {
          const IndexPoint at{b, hp, r, k, rows, seqK};
          const IndexPoint want{b, hp * group + r / seqQ, r % seqQ, k, seqQ, seqK};
          const std::optional<bool> m = evaluateMask(packed.variant, at, tableAt);
          EXPECT_EQ(m, evaluateMask(original.variant, want, tableAt))
              << "b=" << b << " h'=" << hp << " r=" << r << " k=" << k;
          if (!m || m != evaluateMask(original.variant, want, tableAt))
            return dropped;
          (*m ? kept : dropped) += 1;
          EXPECT_EQ(evaluateScore(packed.variant, 0.5f, at, tableAt),
                    evaluateScore(original.variant, 0.5f, want, tableAt))
              << "b=" << b << " h'=" << hp << " r=" << r << " k=" << k;
        }
  EXPECT_GT(kept, 0);
  return dropped;
}

const char *kBodies[] = {
    "mask = causal(bottom_right);",
    "mask = sliding_window(left = 9);",
    "mask = causal(bottom_right); score = score - slopes[h] * float(q + seq_k - seq_q - k);",
    "mask = doc[b, k] > 0 || h % 3 == 1;",
    "mask = k <= q * 5 + seq_q; score = score + float(h * 100 + q);",
};

TEST(PackQueryHeads, DecodingKeepsEveryExpressionsMeaning) {
  int dropped = 0;
  for (const char *body : kBodies)
    dropped += expectSameMeaning(body, /*group=*/4, /*kvHeads=*/2, /*seqQ=*/1, /*single=*/true);
  EXPECT_GT(dropped, 0);
}

TEST(PackQueryHeads, SeveralQueryRowsKeepEveryExpressionsMeaning) {
  int dropped = 0;
  for (const char *body : kBodies)
    for (int seqQ : {1, 3})
      dropped += expectSameMeaning(body, /*group=*/4, /*kvHeads=*/2, seqQ, /*single=*/false);
  EXPECT_GT(dropped, 0);
}

TEST(PackQueryHeads, RefusesWhatAPackedLaunchCannotExpress) {
  auto ctx = test::makeContext();
  Parsed dropout("attention v { head_dim = 64; heads = 8; kv_heads = 2; dropout = 0.1; }", *ctx);
  ASSERT_TRUE(dropout.variant);
  EXPECT_TRUE(mlir::failed(packQueryHeads(dropout.variant, 4, 0, true)));
  Parsed uneven("attention v { head_dim = 64; }", *ctx);
  ASSERT_TRUE(uneven.variant);
  EXPECT_TRUE(mlir::failed(packQueryHeads(uneven.variant, 4, 6, true))); // 6 heads, group 4
  EXPECT_TRUE(mlir::failed(packQueryHeads(uneven.variant, 1, 4, true)));  // no group
}

} // namespace
