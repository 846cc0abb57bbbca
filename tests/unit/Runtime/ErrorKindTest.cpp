//===- ErrorKindTest.cpp - errors carry their kind ------------------------===//
#include "flashgen/Codegen/ErrorKind.h"
#include "flashgen/Runtime/BlockMask.h"
#include "flashgen/Runtime/Runtime.h"

#include "gtest/gtest.h"

using namespace flashgen;

namespace {

ErrorKind kindOf(llvm::Error e) { return takeKindAndMessage(std::move(e), ErrorKind::Cuda).first; }

TEST(ErrorKind, KindAndMessageSurviveJoins) {
  auto [kind, msg] = takeKindAndMessage(
      llvm::joinErrors(llvm::createStringError(llvm::inconvertibleErrorCode(), "plain"),
                       makeError(ErrorKind::Argument, "bad argument")),
      ErrorKind::Cuda);
  EXPECT_EQ(kind, ErrorKind::Argument); // the first kinded part's
  EXPECT_EQ(msg, "plain\nbad argument");
  EXPECT_EQ(kindOf(llvm::createStringError(llvm::inconvertibleErrorCode(), "x")),
            ErrorKind::Cuda); // the fallback
  // The message is what llvm::toString gives, as before kinds existed.
  EXPECT_EQ(llvm::toString(makeError(ErrorKind::Spec, "errors in a.attn")), "errors in a.attn");
}

TEST(ErrorKind, EachStageSaysWhatItsFailuresAre) {
  auto spec = generateForward("attention a { head_dim = 12; }", "a.attn", "sm_90a");
  ASSERT_FALSE(bool(spec));
  EXPECT_EQ(kindOf(spec.takeError()), ErrorKind::Spec);
  auto rank = generateForward("attention r { head_dim = 64; tensor t : i32[1, 1, 1, 1, 1]; "
                              "mask = t[0, 0, 0, 0, 0] > 0; }",
                              "r.attn", "sm_90a");
  ASSERT_FALSE(bool(rank));
  EXPECT_EQ(kindOf(rank.takeError()), ErrorKind::Unsupported);
  auto arch = generateForward("attention a { head_dim = 64; }", "a.attn", "sm_99");
  ASSERT_FALSE(bool(arch));
  EXPECT_EQ(kindOf(arch.takeError()), ErrorKind::Argument);
  BsrBlockMask m; // no lists
  m.rowBlocks = m.colBlocks = 1;
  llvm::Expected<std::vector<int32_t>> bsr = expandBsr(m);
  ASSERT_FALSE(bool(bsr));
  EXPECT_EQ(kindOf(bsr.takeError()), ErrorKind::Argument);
}

} // namespace

namespace {
TEST(ErrorKind, ZeroDivisorsAreSpecErrorsAtTheirColumn) {
  // A literal zero (Sema) and one that folds to zero (attn-canonicalize-exprs).
  for (const char *mask : {"q % 0 == 0", "(q / (k - k)) == 0"}) {
    auto gen = generateForward(std::string("attention z { head_dim = 64; mask = ") + mask + "; }",
                               "z.attn", "sm_90a");
    ASSERT_FALSE(bool(gen)) << mask;
    auto [kind, msg] = takeKindAndMessage(gen.takeError(), ErrorKind::Cuda);
    EXPECT_EQ(kind, ErrorKind::Spec) << msg;
    EXPECT_NE(msg.find("z.attn:1:"), std::string::npos) << msg;
    EXPECT_NE(msg.find("by zero"), std::string::npos) << msg;
  }
}
} // namespace
