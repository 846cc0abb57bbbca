//===- LoweringTest.cpp - AST to attn dialect -----------------------------===//
#include "TestUtil.h"

#include "flashgen/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/Location.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"

#include "gtest/gtest.h"

using namespace flashgen;
using namespace mlir;

namespace {

attn::VariantOp onlyVariant(ModuleOp module) {
  auto ops = module.getOps<attn::VariantOp>();
  EXPECT_EQ(std::distance(ops.begin(), ops.end()), 1);
  return *ops.begin();
}

std::vector<std::string> opNames(Region &region) {
  std::vector<std::string> names;
  for (Operation &op : region.front())
    names.push_back(op.getName().getStringRef().str());
  return names;
}

TEST(Lowering, AttributesCarryEveryProperty) {
  test::Source src(R"(attention v {
    dtype = f16; qk_head_dim = 192; v_head_dim = 128; heads = 8; kv_heads = 2;
    scale = 0.5; dropout = 0.25; passes = forward, backward; target = sm_90a;
    varlen = true; sparsity = strided(stride = 2, global = 1, block_size = 64);
    tensor slopes : f32[heads];
    score = score * slopes[h];
  })");
  auto ctx = test::makeContext();
  FrontendResult r = test::compile(src, *ctx);
  ASSERT_EQ(r.numErrors, 0u) << src.diagText;
  ASSERT_TRUE(r.module);
  attn::VariantOp v = onlyVariant(*r.module);
  EXPECT_EQ(v.getSymName(), "v");
  EXPECT_EQ(v.getDtype(), attn::ElementType::f16);
  EXPECT_EQ(v.getQkHeadDim(), 192u);
  EXPECT_EQ(v.getVHeadDim(), 128u);
  EXPECT_EQ(*v.getHeads(), 8u);
  EXPECT_EQ(*v.getKvHeads(), 2u);
  EXPECT_DOUBLE_EQ(v.getScale().convertToDouble(), 0.5);
  EXPECT_DOUBLE_EQ(v.getDropout().convertToDouble(), 0.25);
  EXPECT_EQ(v.getPasses(), attn::Passes::forward | attn::Passes::backward);
  EXPECT_EQ(v.getTarget(), attn::Target::sm_90a);
  EXPECT_TRUE(v.getVarlen());
  ASSERT_TRUE(v.getSparsity());
  EXPECT_EQ(v.getSparsity()->getKind(), attn::SparsityKind::strided);
  EXPECT_EQ(v.getSparsity()->getStride(), 2);
  EXPECT_EQ(v.getSparsity()->getGlobal(), 1);
  EXPECT_EQ(v.getSparsity()->getBlockSize(), 64);
  ASSERT_TRUE(v.lookupTensor("slopes"));
  EXPECT_TRUE(v.lookupTensor("slopes").getElementType().isF32());
}

TEST(Lowering, DefaultRegionsAreIdentity) {
  test::Source src("attention v { head_dim = 64; }");
  auto ctx = test::makeContext();
  FrontendResult r = test::compile(src, *ctx);
  ASSERT_TRUE(r.module) << src.diagText;
  attn::VariantOp v = onlyVariant(*r.module);
  // mask: constant true; score: the block argument itself.
  EXPECT_EQ(opNames(v.getMask()),
            (std::vector<std::string>{"arith.constant", "attn.yield"}));
  EXPECT_EQ(v.getScoreValue(), v.getScore().front().getArgument(0));
  EXPECT_FALSE(v.getHeads().has_value());
}

TEST(Lowering, CausalAndPromotion) {
  test::Source src("attention v { head_dim = 64; mask = causal; score = score + (q - k); }");
  auto ctx = test::makeContext();
  FrontendResult r = test::compile(src, *ctx);
  ASSERT_TRUE(r.module) << src.diagText;
  attn::VariantOp v = onlyVariant(*r.module);
  auto cmp = v.getMaskValue().getDefiningOp<arith::CmpIOp>();
  ASSERT_TRUE(cmp);
  EXPECT_EQ(cmp.getPredicate(), arith::CmpIPredicate::sle);
  Block &mask = v.getMask().front();
  EXPECT_EQ(cmp.getLhs(), mask.getArgument(3)); // k
  EXPECT_EQ(cmp.getRhs(), mask.getArgument(2)); // q
  EXPECT_EQ(opNames(v.getScore()),
            (std::vector<std::string>{"arith.subi", "arith.sitofp", "arith.addf",
                                      "attn.yield"}));
}

TEST(Lowering, LocationsPointIntoTheSpec) {
  test::Source src("attention v {\n  head_dim = 64;\n  mask = q >= k;\n}\n", "spec.attn");
  auto ctx = test::makeContext();
  FrontendResult r = test::compile(src, *ctx);
  ASSERT_TRUE(r.module) << src.diagText;
  attn::VariantOp v = onlyVariant(*r.module);
  auto opLoc = dyn_cast<FileLineColLoc>(v.getLoc());
  ASSERT_TRUE(opLoc);
  EXPECT_EQ(opLoc.getFilename().str(), "spec.attn");
  EXPECT_EQ(opLoc.getLine(), 1u);
  EXPECT_EQ(opLoc.getColumn(), 11u);
  auto cmpLoc = dyn_cast<FileLineColLoc>(v.getMaskValue().getDefiningOp()->getLoc());
  ASSERT_TRUE(cmpLoc);
  EXPECT_EQ(cmpLoc.getLine(), 3u);
  EXPECT_EQ(cmpLoc.getColumn(), 12u); // the '>=' operator
}

TEST(Lowering, EveryExampleLowersVerifiesAndRoundTrips) {
  std::error_code ec;
  unsigned count = 0;
  auto ctx = test::makeContext();
  for (llvm::sys::fs::directory_iterator it(FLASHGEN_EXAMPLES_DIR, ec), end;
       it != end && !ec; it.increment(ec)) {
    if (!llvm::StringRef(it->path()).ends_with(".attn"))
      continue;
    ++count;
    auto buf = llvm::MemoryBuffer::getFile(it->path());
    ASSERT_TRUE(bool(buf)) << it->path();
    test::Source src((*buf)->getBuffer(), it->path());
    FrontendResult r = test::compile(src, *ctx);
    ASSERT_EQ(r.numErrors, 0u) << it->path() << "\n" << src.diagText;
    ASSERT_TRUE(r.module);
    std::string printed;
    llvm::raw_string_ostream os(printed);
    r.module->print(os);
    OwningOpRef<ModuleOp> reparsed = parseSourceString<ModuleOp>(printed, ctx.get());
    ASSERT_TRUE(reparsed) << printed;
    std::string again;
    llvm::raw_string_ostream os2(again);
    reparsed->print(os2);
    EXPECT_EQ(printed, again) << it->path();
  }
  EXPECT_GE(count, 18u);
}

} // namespace
