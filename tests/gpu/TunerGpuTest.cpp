//===- TunerGpuTest.cpp - flashgen tune end to end, then the JIT uses it -===//
//
// On the GPU present: tune a small causal variant's forward and backward
// at one shape into a fresh database, then check what a user gets with no
// code change: Kernel::forward/backward pick the tuned tiling for that
// shape's bucket (forTuning says which and why), and the results still
// match the float64 reference through it. Skips without a GPU.
//
//===----------------------------------------------------------------------===//
#include "GpuTestUtil.h"

#include "flashgen/Runtime/Calibration.h"
#include "flashgen/Runtime/Check.h"
#include "flashgen/Runtime/Tuner.h"
#include "flashgen/Runtime/TuningDb.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <cstdlib>

using namespace flashgen;
using namespace flashgen::gputest;
using namespace flashgen::tuning;

namespace {

class GpuTuner : public GpuTest {
protected:
  void SetUp() override {
    GpuTest::SetUp();
    if (IsSkipped())
      return;
    llvm::SmallString<128> dir;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("flashgen-tune-test", dir));
    dbPath = (dir + "/tuning.sqlite").str();
    if (const char *old = std::getenv("FLASHGEN_TUNING_DB"))
      saved = old;
    setenv("FLASHGEN_TUNING_DB", dbPath.c_str(), 1);
    forgetCalibrations();
  }
  void TearDown() override {
    if (saved)
      setenv("FLASHGEN_TUNING_DB", saved->c_str(), 1);
    else
      unsetenv("FLASHGEN_TUNING_DB");
  }
  std::string dbPath;
  std::optional<std::string> saved;
};

// Head dim 128, causal, N = 512: where one consumer warpgroup measured
// faster than the planner's two (bench/results/2026-11-29-h200-tune-s8.md),
// so the tuned kernel is usually another one; either way the launch must
// say which it used and stay correct.
constexpr const char *kSpec = "attention tuned_c128 { dtype = bf16; head_dim = 128; "
                              "mask = causal; }";

TEST_F(GpuTuner, TunesThenTheJitLaunchesTheWinner) {
  const Shape shape{8, 16, 512, 512};
  for (bool backward : {false, true}) {
    SCOPED_TRACE(backward ? "backward" : "forward");
    TuneOptions o;
    o.shapes = {shape};
    o.dbPath = dbPath;
    o.reps = 5;
    o.finalists = 4;
    o.budgetSeconds = 240;
    llvm::Expected<TuneReport> r = tune(kSpec, "tuned.attn", backward, o);
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    EXPECT_EQ(r->wrong, 0) << (r->rejected.empty() ? "" : r->rejected.front());
    EXPECT_EQ(r->compiled, r->candidates);
    ASSERT_EQ(r->shapes.size(), 1u);
    const ShapeResult &s = r->shapes[0];
    EXPECT_GT(s.plannerTflops, 0);
    EXPECT_GE(s.bestTflops, s.plannerTflops);
    appendReport(llvm::formatv("tune {0} {1}: best {2} {3:F1} TFLOP/s vs planner {4:F1}",
                               backward ? "bwd" : "fwd", s.bucket, s.best.properties,
                               s.bestTflops, s.plannerTflops)
                     .str());

    // The database holds the winner under this GPU and bucket.
    llvm::Expected<std::unique_ptr<TuningDb>> db = TuningDb::open(dbPath);
    ASSERT_TRUE(bool(db)) << llvm::toString(db.takeError());
    llvm::Expected<std::vector<Entry>> all = (*db)->list();
    ASSERT_TRUE(bool(all)) << llvm::toString(all.takeError());
    EXPECT_TRUE(llvm::any_of(*all, [&](const Entry &e) {
      return e.key.pass == (backward ? "bwd" : "fwd") && e.key.bucket == s.bucket &&
             e.config == s.best.properties;
    }));

    // A fresh kernel of the same spec launches the winner at this shape.
    llvm::Expected<std::unique_ptr<Kernel>> k = Kernel::fromSpec(kSpec, "tuned.attn");
    ASSERT_TRUE(bool(k)) << llvm::toString(k.takeError());
    ForwardArgs a;
    a.batch = shape[0];
    a.heads = shape[1];
    a.seqQ = shape[2];
    a.seqK = shape[3];
    if (backward) { // backward() JITs the planner's kernels before asking
      ASSERT_FALSE(bool((*k)->prepareBackward())) << "backward JIT failed";
    }
    std::string why;
    const Kernel &used = (*k)->forTuning(a, &why, backward);
    appendReport("tune launch: " + why);
    if (s.best.planner) {
      EXPECT_EQ(&used, k->get());
      EXPECT_NE(why.find("planner, confirmed by tuning"), std::string::npos) << why;
    } else {
      EXPECT_NE(&used, k->get());
      EXPECT_NE(why.find("tuned: " + s.best.properties), std::string::npos) << why;
      EXPECT_EQ(backward ? backwardTilingProperties(*used.spec().bwdTiles)
                         : tilingProperties(used.spec().tiles),
                s.best.properties);
    }
    // Another bucket has no entry: the planner's kernel, saying so.
    ForwardArgs other = a;
    other.seqQ = other.seqK = 8192;
    std::string whyOther;
    EXPECT_EQ(&(*k)->forTuning(other, &whyOther, backward), k->get());
    EXPECT_NE(whyOther.find("no tuned entry"), std::string::npos) << whyOther;

    // Through the tuned kernel, still the float64 reference's answer.
    runtime::CheckOptions co; // at the tuned shape: buckets count batch x heads too
    co.batch = shape[0];
    co.heads = shape[1];
    co.seqQ = shape[2];
    co.seqK = shape[3];
    if (backward) {
      llvm::Expected<runtime::BwdCheckReport> c = runtime::checkBackward(**k, kSpec, co);
      ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
      EXPECT_TRUE(c->passed()) << c->summary();
    } else {
      llvm::Expected<runtime::CheckReport> c = runtime::checkForward(**k, kSpec, co);
      ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
      EXPECT_TRUE(c->passed()) << c->summary();
    }
  }
}

} // namespace
