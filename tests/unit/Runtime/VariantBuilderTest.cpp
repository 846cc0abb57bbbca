//===- VariantBuilderTest.cpp - builder variants match spec variants -----===//
#include "flashgen/Runtime/VariantBuilder.h"

#include "gtest/gtest.h"

using namespace flashgen;

namespace {

TEST(VariantBuilder, WritesTheEquivalentSpec) {
  std::string s = VariantBuilder("alibi")
                      .dtype(DType::BF16)
                      .headDim(128)
                      .heads(32, 8)
                      .tensor("slopes", true, {"heads"})
                      .mask("causal")
                      .score("score - slopes[h] * float(q - k)")
                      .backward()
                      .spec();
  EXPECT_EQ(s, "attention alibi {\n"
               "  tensor slopes : f32[heads];\n"
               "  dtype = bf16;\n"
               "  head_dim = 128;\n"
               "  heads = 32;\n"
               "  kv_heads = 8;\n"
               "  mask = causal;\n"
               "  score = score - slopes[h] * float(q - k);\n"
               "  passes = forward, backward;\n"
               "}\n");
}

TEST(VariantBuilder, LastSettingWinsAndNumbersAreFloats) {
  std::string s = VariantBuilder("v").headDim(64).headDim(128).scale(1).dropout(0.1).spec();
  EXPECT_NE(s.find("head_dim = 128;"), std::string::npos) << s;
  EXPECT_EQ(s.find("head_dim = 64;"), std::string::npos) << s;
  EXPECT_NE(s.find("scale = 1.0;"), std::string::npos) << s;
  EXPECT_NE(s.find("dropout = 0.10000000000000001;"), std::string::npos) << s;
}

TEST(VariantBuilder, GeneratesTheSameKernelAsTheSpecText) {
  auto fromBuilder = generateForward(
      VariantBuilder("w").dtype(DType::F16).headDim(64).mask("sliding_window(left = 64)").spec(),
      "w.attn", "sm_90a");
  auto fromText = generateForward(
      "attention w { dtype = f16; head_dim = 64; mask = sliding_window(left = 64); }", "w.attn",
      "sm_90a");
  ASSERT_TRUE(bool(fromBuilder)) << llvm::toString(fromBuilder.takeError());
  ASSERT_TRUE(bool(fromText)) << llvm::toString(fromText.takeError());
  EXPECT_EQ(fromBuilder->second, fromText->second);
}

TEST(VariantBuilder, SourceDoesNotDependOnTheFileName) {
  // The kernel cache keys on the source: one variant, one entry.
  const char *text = "attention a { head_dim = 64; mask = causal; }";
  auto x = generateForward(text, "x.attn", "sm_90a");
  auto y = generateForward(text, "some/other/y.attn", "sm_90a");
  ASSERT_TRUE(bool(x) && bool(y));
  EXPECT_EQ(x->second, y->second);
}

TEST(VariantBuilder, ErrorsShowTheGeneratedSpec) {
  // Spec errors come before any GPU lookup, so this holds with or without
  // a GPU: the message names the property and shows the generated text.
  auto k = VariantBuilder("bad").headDim(12).jit();
  ASSERT_FALSE(bool(k));
  std::string msg = llvm::toString(k.takeError());
  EXPECT_NE(msg.find("'head_dim' must be a positive multiple of 8"), std::string::npos) << msg;
  EXPECT_NE(msg.find("the builder's spec was:\nattention bad {\n  head_dim = 12;"),
            std::string::npos)
      << msg;
}

} // namespace
