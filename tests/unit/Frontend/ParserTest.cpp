//===- ParserTest.cpp - grammar, precedence, error recovery ---------------===//
#include "flashgen/Frontend/Parser.h"
#include "TestUtil.h"

#include "gtest/gtest.h"

using namespace flashgen;

namespace {

struct Parsed {
  ast::SpecFile file;
  unsigned errors;
};

Parsed parse(test::Source &src) {
  DiagnosticEngine diags(src.srcMgr, src.diagOS);
  ast::SpecFile f = parseSpec(src.buffer(), diags);
  unsigned n = diags.getNumErrors();
  diags.flush();
  return {std::move(f), n};
}

std::string dumpValue(llvm::StringRef expr) {
  test::Source src(("attention t { v = " + expr + "; }").str());
  Parsed p = parse(src);
  EXPECT_EQ(p.errors, 0u) << src.diagText;
  if (p.file.variants.empty() || p.file.variants[0].properties.empty())
    return "<none>";
  std::string out;
  llvm::raw_string_ostream os(out);
  ast::dump(*p.file.variants[0].properties[0].value, os);
  return out;
}

TEST(Parser, VariantWithPropertiesAndTensors) {
  test::Source src(R"(
    attention alibi {
      dtype = bf16;
      head_dim = 128;
      tensor slopes : f32[heads];
      tensor table : i32[batch, 64];
      passes = forward, backward;
    }
    attention second { head_dim = 64; }
  )");
  Parsed p = parse(src);
  ASSERT_EQ(p.errors, 0u) << src.diagText;
  ASSERT_EQ(p.file.variants.size(), 2u);
  const ast::VariantDecl &v = p.file.variants[0];
  EXPECT_EQ(v.name, "alibi");
  ASSERT_EQ(v.properties.size(), 3u);
  EXPECT_EQ(v.properties[0].key, "dtype");
  EXPECT_TRUE(llvm::isa<ast::ListExpr>(v.properties[2].value.get()));
  ASSERT_EQ(v.tensors.size(), 2u);
  EXPECT_EQ(v.tensors[1].name, "table");
  ASSERT_EQ(v.tensors[1].dims.size(), 2u);
  EXPECT_EQ(v.tensors[1].dims[0].symbol, "batch");
  EXPECT_EQ(v.tensors[1].dims[1].size, 64);
  EXPECT_EQ(p.file.variants[1].name, "second");
}

TEST(Parser, Precedence) {
  EXPECT_EQ(dumpValue("1 + 2 * 3"), "(1 + (2 * 3))");
  EXPECT_EQ(dumpValue("1 - 2 - 3"), "((1 - 2) - 3)");
  EXPECT_EQ(dumpValue("a || b && c"), "(a || (b && c))");
  EXPECT_EQ(dumpValue("q - k < 4 == true"), "(((q - k) < 4) == true)");
  EXPECT_EQ(dumpValue("-x * !y"), "((-x) * (!y))");
  EXPECT_EQ(dumpValue("c ? a : b ? d : e"), "(c ? a : (b ? d : e))");
  EXPECT_EQ(dumpValue("(1 + 2) % 3"), "((1 + 2) % 3)");
}

TEST(Parser, CallsIndexingAndLists) {
  EXPECT_EQ(dumpValue("sliding_window(left = 128, right = 0)"),
            "sliding_window(left=128, right=0)");
  EXPECT_EQ(dumpValue("clamp(k - q, -8, 8)"), "clamp((k - q), (-8), 8)");
  EXPECT_EQ(dumpValue("doc[b, q] == doc[b, k]"), "(doc[b, q] == doc[b, k])");
  EXPECT_EQ(dumpValue("layout([[1, 0], [0, 1]], block_size = 64)"),
            "layout([[1, 0], [0, 1]], block_size=64)");
  EXPECT_EQ(dumpValue("f()"), "f()");
}

TEST(Parser, RecoversAndReportsEveryItemError) {
  test::Source src(R"(attention a {
  dtype = ;
  head_dim 64;
  mask = (q < k;
  score = score;
}
attention { head_dim = 8; }
)");
  Parsed p = parse(src);
  EXPECT_EQ(p.errors, 4u) << src.diagText;
  // The good property after the bad ones is still parsed.
  ASSERT_EQ(p.file.variants.size(), 2u);
  ASSERT_EQ(p.file.variants[0].properties.size(), 1u);
  EXPECT_EQ(p.file.variants[0].properties[0].key, "score");
  EXPECT_NE(src.diagText.find("test.attn:2:11: error: expected an expression, found ';'"),
            std::string::npos)
      << src.diagText;
  EXPECT_NE(src.diagText.find("test.attn:3:12: error: expected '=' after property name 'head_dim'"),
            std::string::npos)
      << src.diagText;
  EXPECT_NE(src.diagText.find("expected ')' to close '('"), std::string::npos);
  EXPECT_NE(src.diagText.find("test.attn:7:11: error: expected identifier naming the variant"),
            std::string::npos)
      << src.diagText;
}

TEST(Parser, MissingSemicolonAtEndOfLineKeepsBothProperties) {
  test::Source src("attention a {\n  head_dim = 64\n  dtype = f16;\n}\n");
  Parsed p = parse(src);
  EXPECT_EQ(p.errors, 1u);
  ASSERT_EQ(p.file.variants[0].properties.size(), 2u);
  EXPECT_NE(src.diagText.find("test.attn:2:16: error: expected ';' after the value of 'head_dim'"),
            std::string::npos)
      << src.diagText;
}

TEST(Parser, UnclosedVariantAndEmptyFile) {
  test::Source open("attention a { head_dim = 64;");
  EXPECT_EQ(parse(open).errors, 1u);
  EXPECT_NE(open.diagText.find("expected '}' to close variant 'a', found end of file"),
            std::string::npos);
  test::Source empty("# nothing here\n");
  EXPECT_EQ(parse(empty).errors, 1u);
  EXPECT_NE(empty.diagText.find("no 'attention' variant in file"), std::string::npos);
}

TEST(Parser, DeepNestingIsRefusedNotACrash) {
  std::string deep = "attention a { mask = " + std::string(5000, '(') + "q" +
                     std::string(5000, ')') + "; }";
  test::Source src(deep);
  Parsed p = parse(src);
  EXPECT_GE(p.errors, 1u);
  EXPECT_NE(src.diagText.find("nested too deeply"), std::string::npos);

  std::string negs = "attention a { mask = " + std::string(100000, '-') + "q; }";
  test::Source src2(negs);
  EXPECT_GE(parse(src2).errors, 1u);
}

TEST(Parser, IntegerLiteralsMustFitIn32Bits) {
  test::Source src("attention a { head_dim = 99999999999; }");
  EXPECT_EQ(parse(src).errors, 1u);
  EXPECT_NE(src.diagText.find("does not fit in 32 bits"), std::string::npos);
}

} // namespace
