//===- BwdNumericsTest.cpp - backward kernels vs a float64 reference ------===//
//
// For every example spec, a head-dim sweep and qk != v head dims, at odd and
// unequal sizes: fresh random Q, K, V, dO; forward, then backward with dQ,
// dK, dV poisoned with NaN; each gradient's ||x - x_ref|| / ||x_ref|| below
// the dtype's bound (the reference differentiates the naive float64
// formula, score modifiers by central differences, dropout regenerated
// from the same Philox stream: a match with dropout on proves the backward
// replays the forward's mask), every element written. Both dQ paths: the
// fast one (atomics, the default) and the deterministic one, whose second
// run must be bit-identical to the first. Skips, saying why, without a GPU.
// FLASHGEN_GPU_REPORT=<file> appends one line per case.
//
//===----------------------------------------------------------------------===//
#include "GpuTestUtil.h"

#include "flashgen/Runtime/Check.h"
#include "flashgen/Runtime/CudaDriver.h"
#include "flashgen/Runtime/Runtime.h"

#include "gtest/gtest.h"

#include <cstdio>
#include <random>

using namespace flashgen;
using runtime::CudaDriver;

namespace {

struct Case {
  std::string name, spec;
  int seqQ, seqK;
  int batch = 0, heads = 0;
  bool deterministic = false;
  double blockDensity = 0.5; // sparsity = runtime: share of blocks kept
  bool expectKvSplit = false; // the launch splits kv heads' query heads over CTAs
  bool expectFwdKvSplits = false; // the forward splits its kv tiles (split-KV)
  bool splitKv = false;           // JitOptions::splitKv
};

/// Checks one case; returns whether the fast path ran (dQ by atomics, or
/// at head dims past 128 on sm_90a by its own kernel).
bool runCase(const Case &c, std::mt19937_64 &rng) {
  JitOptions options;
  options.splitKv = c.splitKv;
  llvm::Expected<std::unique_ptr<Kernel>> kernel = Kernel::fromSpec(c.spec, c.name, options);
  if (!kernel) {
    ADD_FAILURE() << c.name << ": " << llvm::toString(kernel.takeError());
    return false;
  }
  runtime::CheckOptions opt;
  opt.seqQ = c.seqQ;
  opt.seqK = c.seqK;
  opt.batch = c.batch;
  opt.heads = c.heads;
  opt.seed = rng();
  opt.repeatRuns = 1;
  opt.deterministic = c.deterministic;
  opt.blockDensity = c.blockDensity;
  llvm::Expected<runtime::BwdCheckReport> r = runtime::checkBackward(**kernel, c.spec, opt);
  if (!r) {
    ADD_FAILURE() << c.name << ": " << llvm::toString(r.takeError());
    return false;
  }
  EXPECT_TRUE(r->forward.passed()) << c.name << " forward: " << r->forward.summary();
  EXPECT_EQ(r->unwritten, 0u) << c.name << " " << r->summary()
                              << ": gradient elements never written (still NaN)";
  EXPECT_LE(r->errDQ, r->bound) << c.name << " dQ: " << r->summary();
  EXPECT_LE(r->errDK, r->bound) << c.name << " dK: " << r->summary();
  EXPECT_LE(r->errDV, r->bound) << c.name << " dV: " << r->summary();
  if (c.expectKvSplit) {
    EXPECT_GT(r->kvSplit, 1) << c.name << ": " << r->summary();
  }
  if (c.expectFwdKvSplits) {
    EXPECT_GT(r->forward.kvSplits, 1) << c.name << ": " << r->summary();
  }
  if (c.deterministic) {
    EXPECT_EQ(r->repeats, 1) << c.name;
    EXPECT_EQ(r->bitMismatches, 0u) << c.name << ": two deterministic backward runs differ";
    EXPECT_FALSE(r->fastPath()) << c.name;
  }
  if (r->ownDQKernel) { // no atomics: the fast path is bit-identical too
    EXPECT_EQ(r->repeats, 1) << c.name;
    EXPECT_EQ(r->bitMismatches, 0u) << c.name << ": two backward runs differ";
  }
  char line[512];
  std::snprintf(line, sizeof(line), "%-22s %s", c.name.c_str(), r->summary().c_str());
  std::printf("%s\n", line);
  gputest::appendReport(line);
  return r->fastPath();
}

class GpuBackward : public gputest::GpuTest {};

TEST_F(GpuBackward, EveryExampleAtOddSizes) {
  std::mt19937_64 rng(std::random_device{}());
  const std::pair<int, int> sizes[] = {{1, 1},     {17, 17},   {128, 128},
                                       {1000, 1000}, {17, 1000}, {1000, 17}};
  int n = 0, atomic = 0;
  for (const gputest::ExampleSpec &e : gputest::exampleSpecs()) {
    const std::string &name = e.name, &text = e.text;
    // Specs with many heads run 16 of them (every group ratio divides 16):
    // the float64 reference backward is the slow part.
    int heads = text.find("heads") != std::string::npos ? 16 : 0;
    for (auto [nq, nk] : sizes) {
      atomic += runCase({name, text, nq, nk, heads ? 1 : 0, heads}, rng);
      ++n;
      // The deterministic kernels too, at three of the sizes.
      if ((nq == 17 && nk == 17) || nq == 1000)
        runCase({name + "_det", text, nq, nk, heads ? 1 : 0, heads, true}, rng);
    }
    // One long sequence for the masks whose tile ranges matter most.
    if (name == "causal" || name == "sliding_window" || name == "causal_bottom_right") {
      runCase({name, text, 4097, 4097, 1, heads ? 4 : 2}, rng);
      runCase({name + "_det", text, 4097, 4097, 1, heads ? 4 : 2, true}, rng);
    }
  }
  EXPECT_GE(n, 100);
  // Every example but the split head dims (softcap: 256) has the fast path.
  EXPECT_GE(atomic, n - 12) << "the fast (atomic dQ) path ran in " << atomic << " of " << n;
}

/// Softcap (it exercises the symbolic score derivative), causal, both
/// dtypes, head dims lo, lo + 8, ..., hi. Split in three tests by the
/// kernels they reach (sm_90a: wgmma padded to 64, to 128, mma.sync above),
/// so that a device call can run the part a change touches.
void runHeadDims(int lo, int hi) {
  std::mt19937_64 rng(std::random_device{}());
  for (const char *dtype : {"bf16", "f16"})
    for (int d = lo; d <= hi; d += 8) {
      std::string spec = std::string("attention hd { dtype = ") + dtype + "; head_dim = " +
                         std::to_string(d) + "; mask = causal; score = 20.0 * tanh(score / 20.0); }";
      runCase({"hd" + std::to_string(d) + "_" + dtype, spec, 257, 300}, rng);
    }
}

TEST_F(GpuBackward, HeadDims8To64BothDtypes) { runHeadDims(8, 64); }
TEST_F(GpuBackward, HeadDims72To128BothDtypes) { runHeadDims(72, 128); }
// 136..256 in two tests: one took 432 s of the suite's 450 s bound on the H200
// (bench/results/2026-11-30-h200-s13.md) with every test running at once.
TEST_F(GpuBackward, HeadDims136To192BothDtypes) { runHeadDims(136, 192); }
TEST_F(GpuBackward, HeadDims200To256BothDtypes) { runHeadDims(200, 256); }

// Head dim 256 on sm_90a: the wide wgmma kernel (BwdKernelSm90Wide.cuh,
// 64 keys shared by two warpgroups that split the head dim) with every
// feature its loop carries: dropout (its P^T scaled in shared memory),
// varlen, a document mask from a tensor (row lookups staged by the loader),
// a sliding window, a soft cap (the derivative), GQA, f16; odd sizes from 1
// to 4097; dQ from the q-major wgmma kernel (BwdDqKernelSm90.cuh), so the
// fast path's runs are compared bit for bit, as the deterministic option's.
TEST_F(GpuBackward, WideKernelFeatures) {
  std::mt19937_64 rng(std::random_device{}());
  const char *dense = "attention w256 { head_dim = 256; }";
  const char *dropout = "attention w256d { head_dim = 256; mask = causal; dropout = 0.1; }";
  const char *varlen = "attention w256v { head_dim = 256; varlen = true; mask = causal; }";
  const char *docs = "attention w256doc { head_dim = 256; tensor doc_id : i32[batch, seq_k]; "
                     "mask = causal && doc_id[b, q] == doc_id[b, k]; }";
  const char *window = "attention w256win { dtype = f16; head_dim = 256; heads = 8; kv_heads = 2; "
                       "mask = sliding_window(left = 300); score = 30.0 * tanh(score / 30.0); }";
  const char *dims = "attention w232 { head_dim = 232; mask = causal; }";
  const Case cases[] = {
      {"w256_1", dense, 1, 1},          {"w256_17", dense, 17, 17},
      {"w256_1000", dense, 1000, 1000}, {"w256_rect", dense, 17, 1000},
      {"w256_4097", dense, 4097, 4097, 1, 2},
      {"w256d", dropout, 1000, 1000},   {"w256d_det", dropout, 333, 333, 0, 0, true},
      {"w256v", varlen, 600, 600, 3},   {"w256doc", docs, 1000, 1000},
      {"w256doc_det", docs, 333, 333, 0, 0, true},
      {"w256win", window, 1000, 1000, 2, 8}, {"w232", dims, 257, 300}};
  int wide = 0;
  for (const Case &c : cases)
    wide += runCase(c, rng) && !c.deterministic;
  // Every non-deterministic case ran the fast path (dQ from its own kernel).
  EXPECT_EQ(wide, 10);
}

// Head dims past 128 that are not 256/256 on sm_90a: the wide kernel's
// warpgroups split by gradient (warpgroup 0 all of dK, 1 all of dV), with
// dQ from the q-major kernel; the same features as above, and unequal dims
// either way round.
TEST_F(GpuBackward, WideKernelByGradient) {
  std::mt19937_64 rng(std::random_device{}());
  const char *dense = "attention g192 { head_dim = 192; }";
  const char *mla = "attention g192v128 { qk_head_dim = 192; v_head_dim = 128; mask = causal; }";
  const char *vwide = "attention g64v256 { qk_head_dim = 64; v_head_dim = 256; }";
  const char *dropout = "attention g192d { head_dim = 192; mask = causal; dropout = 0.1; }";
  const char *docs = "attention g192doc { head_dim = 176; tensor doc_id : i32[batch, seq_k]; "
                     "mask = causal && doc_id[b, q] == doc_id[b, k]; }";
  const char *window = "attention g192win { dtype = f16; head_dim = 192; heads = 8; kv_heads = 2; "
                       "mask = sliding_window(left = 300); score = 30.0 * tanh(score / 30.0); }";
  const char *varlen = "attention g256v128 { qk_head_dim = 256; v_head_dim = 128; varlen = true; "
                       "mask = causal; }";
  const Case cases[] = {
      {"g192_1", dense, 1, 1},          {"g192_17", dense, 17, 17},
      {"g192_1000", dense, 1000, 1000}, {"g192_rect", dense, 17, 1000},
      {"g192_4097", dense, 4097, 4097, 1, 2},
      {"g192v128", mla, 1000, 1000},    {"g192v128_det", mla, 333, 333, 0, 0, true},
      {"g64v256", vwide, 333, 517},     {"g192d", dropout, 1000, 1000},
      {"g192doc", docs, 1000, 1000},    {"g192win", window, 1000, 1000, 2, 8},
      {"g256v128", varlen, 600, 600, 3}};
  int fast = 0;
  for (const Case &c : cases)
    fast += runCase(c, rng) && !c.deterministic;
  EXPECT_EQ(fast, 11);
}

TEST_F(GpuBackward, UnequalHeadDims) {
  std::mt19937_64 rng(std::random_device{}());
  runCase({"qk192_v128", "attention m { qk_head_dim = 192; v_head_dim = 128; }", 333, 517}, rng);
  runCase({"qk64_v256", "attention m { qk_head_dim = 64; v_head_dim = 256; }", 100, 129}, rng);
  // Unequal head dims on the sm_90a wgmma fast path (both pad to 64/128).
  runCase({"qk64_v128", "attention m { qk_head_dim = 64; v_head_dim = 128; mask = causal; }",
           333, 517}, rng);
  runCase({"qk128_v64", "attention m { qk_head_dim = 128; v_head_dim = 64; }", 517, 333}, rng);
}

TEST_F(GpuBackward, MmaSyncFastPathOnHopper) {
  // On sm_90a the fast path of head dims 64 and 128 runs on wgmma; the
  // mma.sync fused kernel (the sm_80 path, and sm_90a's for other head
  // dims) must stay correct for every variant too.
  std::mt19937_64 rng(std::random_device{}());
  for (const gputest::ExampleSpec &e : gputest::exampleSpecsOnMmaSync()) {
    int heads = e.text.find("heads") != std::string::npos ? 16 : 0;
    for (auto [nq, nk] : {std::pair{1000, 1000}, std::pair{17, 333}})
      runCase({e.name, e.text, nq, nk, heads ? 1 : 0, heads}, rng);
  }
}

TEST_F(GpuBackward, BothWgmmaKernelFamilies) {
  // On sm_90a the wgmma fast path comes in two kernel families, the plain
  // and the warp-specialized one; whichever the planner picks, the other
  // must stay correct too: every example that has the wgmma backward, both
  // ways, at odd sizes, GQA and varlen as the examples have them.
  llvm::Expected<attn::GpuTarget> target = deviceTarget();
  ASSERT_TRUE(bool(target)) << llvm::toString(target.takeError());
  if (target->arch != "sm_90a")
    GTEST_SKIP() << "the wgmma backward needs sm_90a, the device is " << target->arch;
  std::mt19937_64 rng(std::random_device{}());
  int n = 0;
  for (bool ws : {true, false})
    for (const gputest::ExampleSpec &e : gputest::exampleSpecsWithBackwardFamily(*target, ws)) {
      int heads = e.text.find("heads") != std::string::npos ? 16 : 0;
      for (auto [nq, nk] : {std::pair{1, 1}, std::pair{1000, 1000}, std::pair{17, 333},
                            std::pair{333, 17}}) {
        EXPECT_TRUE(runCase({e.name, e.text, nq, nk, heads ? 1 : 0, heads}, rng))
            << e.name << ": the fused (atomic dQ) kernel did not run";
        ++n;
      }
      if (e.name.rfind("causal", 0) == 0)
        runCase({e.name, e.text, 4097, 4097, 1, heads ? 4 : 2}, rng);
    }
  EXPECT_GE(n, 2 * 4 * 10) << "fewer examples than expected have the wgmma backward";
}

TEST_F(GpuBackward, ScoreExpressionsGetTheirGradients) {
  // Arithmetic the user never differentiated: products, quotients, exp/log,
  // min/max, select, lookups.
  std::mt19937_64 rng(std::random_device{}());
  const char *scores[] = {
      "score * score * 0.1",
      "score / (1.0 + abs(score))",
      "exp(score * 0.5) - 1.0",
      "log(1.0 + exp(score))",
      "max(score, -1.0) + min(score, 2.0) * 0.5",
      "score * slopes[h] + float(k - q) * 0.01",
  };
  for (const char *sc : scores) {
    std::string spec = std::string("attention s { head_dim = 64; heads = 3; "
                                   "tensor slopes : f32[heads]; mask = causal; score = ") +
                       sc + "; }";
    if (std::string(sc).find("slopes") == std::string::npos)
      spec = std::string("attention s { head_dim = 64; mask = causal; score = ") + sc + "; }";
    runCase({std::string("score: ") + sc, spec, 200, 200}, rng);
  }
}

TEST_F(GpuBackward, RuntimeBlockMasks) {
  // sparsity = runtime: gradients through random block maps at several
  // densities (empty rows and columns included), both backward paths.
  std::mt19937_64 rng(std::random_device{}());
  const char *variants[] = {
      "head_dim = 64; heads = 4; kv_heads = 2; sparsity = runtime(block_size = 128);",
      "head_dim = 128; heads = 2; sparsity = runtime(block_size = 64); mask = causal;",
      "head_dim = 64; heads = 2; sparsity = runtime(block_size = 16); "
      "mask = sliding_window(left = 300);",
      "head_dim = 64; heads = 2; varlen = true; sparsity = runtime(block_size = 128);",
  };
  for (const char *v : variants)
    for (double density : {0.05, 0.5, 1.0})
      for (bool deterministic : {false, true})
        for (auto [nq, nk] : {std::pair{1000, 1000}, std::pair{17, 700}}) {
          Case c{"runtime blocks " + std::to_string(density).substr(0, 4) + " " + v,
                 std::string("attention rb { ") + v + " }", nq, nk};
          c.deterministic = deterministic;
          c.blockDensity = density;
          runCase(c, rng);
        }
}

// JitOptions::withBackward: the backward module JITs on a second thread
// beside the forward; the kernel's backward then runs without another JIT
// and is correct, for the warp-specialized kernel and the separate ones.
TEST_F(GpuBackward, JitsBesideTheForward) {
  std::mt19937_64 rng(91);
  for (const char *spec : {"attention wb64 { head_dim = 64; mask = causal; }",
                           "attention wb256 { head_dim = 256; }"}) {
    JitOptions o;
    o.useCache = false; // a real compile on both threads
    o.withBackward = true;
    llvm::Expected<std::unique_ptr<Kernel>> k = Kernel::fromSpec(spec, "wb.attn", o);
    ASSERT_TRUE(bool(k)) << llvm::toString(k.takeError());
    ASSERT_FALSE(bool((*k)->prepareBackward()));
    EXPECT_GT((*k)->backwardStats().nvrtcSeconds, 0.0) << spec;
    EXPECT_FALSE((*k)->backwardSpec().bwdPreEntry.empty()) << spec;
    runtime::CheckOptions opt;
    opt.seqQ = opt.seqK = 1000;
    opt.seed = rng();
    llvm::Expected<runtime::BwdCheckReport> r = runtime::checkBackward(**k, spec, opt);
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    EXPECT_TRUE(r->passed()) << spec << ": " << r->summary();
    EXPECT_GT((*k)->backwardStats().nvrtcSeconds, 0.0);
  }
  // Destroyed while its backward still compiles: the destructor waits.
  JitOptions o;
  o.useCache = false;
  o.withBackward = true;
  llvm::Expected<std::unique_ptr<Kernel>> k =
      Kernel::fromSpec("attention wb128 { head_dim = 128; }", "wb.attn", o);
  ASSERT_TRUE(bool(k)) << llvm::toString(k.takeError());
  k->reset();
}

TEST_F(GpuBackward, SplitsGroupHeadsAtShortSequences) {
  // GQA/MQA whose key blocks alone leave SMs idle: each (key block, kv
  // head) runs on several CTAs, each summing part of the group into fp32
  // planes that the conversion adds in order. Every kernel family that
  // walks keys: the warp-specialized wgmma one (d64, d128), the separate
  // dV and dK passes (d256), mma.sync (d32), varlen; deterministic runs
  // bit-identical.
  std::mt19937_64 rng(std::random_device{}());
  const char *mqa = "attention mqa128 { head_dim = 128; heads = 16; kv_heads = 1; "
                    "mask = causal; }";
  const char *gqa64 = "attention gqa64 { head_dim = 64; heads = 16; kv_heads = 2; }";
  const char *gqa256 = "attention gqa256 { head_dim = 256; heads = 8; kv_heads = 2; }";
  const char *gqa32 = "attention gqa32 { dtype = f16; head_dim = 32; heads = 8; kv_heads = 2; "
                      "mask = causal; }";
  const char *varlen = "attention gqavl { head_dim = 128; heads = 8; kv_heads = 2; varlen = true; "
                       "mask = causal; }";
  const Case cases[] = {
      {"mqa128", mqa, 1000, 1000, 1, 16},       {"mqa128_rect", mqa, 17, 1000, 1, 16},
      {"mqa128_tall", mqa, 1000, 17, 1, 16},    {"mqa128_det", mqa, 1000, 1000, 1, 16, true},
      {"gqa64", gqa64, 333, 333, 2, 16},        {"gqa64_det", gqa64, 333, 333, 2, 16, true},
      {"gqa256", gqa256, 500, 500, 1, 8},       {"gqa256_det", gqa256, 500, 500, 1, 8, true},
      {"gqa32", gqa32, 700, 700, 1, 8},         {"gqavl", varlen, 600, 600, 3, 8},
      {"gqavl_det", varlen, 600, 600, 3, 8, true}};
  for (Case c : cases) {
    c.expectKvSplit = true;
    runCase(c, rng);
  }
}

TEST_F(GpuBackward, AfterASplitForward) {
  // The backward reads the logsumexp the split-KV combine wrote (decoding
  // shapes: few query rows, batch 1, so the forward splits its kv tiles).
  std::mt19937_64 rng(std::random_device{}());
  const char *gqa = "attention sgqa { head_dim = 128; heads = 32; kv_heads = 8; "
                    "mask = causal(bottom_right); }";
  const char *doc = "attention sdoc { head_dim = 64; heads = 8; tensor doc_id : i32[batch, seq_k]; "
                    "mask = doc_id[b, q] == doc_id[b, k]; }";
  for (Case c : {Case{"sgqa_16x2000", gqa, 16, 2000, 1, 32}, Case{"sgqa_1x2999", gqa, 1, 2999, 1, 32},
                 Case{"sdoc_5x3000", doc, 5, 3000, 1, 8}}) {
    c.splitKv = c.expectFwdKvSplits = true;
    runCase(c, rng);
  }
}

TEST_F(GpuBackward, RejectsBadArguments) {
  auto k = Kernel::fromSpec("attention a { head_dim = 64; }");
  ASSERT_TRUE(bool(k)) << llvm::toString(k.takeError());
  gputest::Scratch buf(*drv);
  BackwardArgs a;
  a.q = a.k = a.v = buf.ptr();
  a.o = buf.ptr();
  a.lse = static_cast<float *>(buf.ptr(4096));
  a.dO = buf.ptr(8192);
  a.dQ = buf.ptr(16384);
  a.dK = buf.ptr(32768);
  a.dV = buf.ptr(65536);
  a.batch = 1; a.heads = 2; a.seqQ = 4; a.seqK = 4;
  auto msg = [&](BackwardArgs x) {
    llvm::Error e = (*k)->backward(x);
    return e ? llvm::toString(std::move(e)) : std::string("ok");
  };
  BackwardArgs noLse = a;
  noLse.lse = nullptr;
  EXPECT_NE(msg(noLse).find("backward: 'lse' is required"), std::string::npos);
  BackwardArgs nul = a;
  nul.dQ = nullptr;
  EXPECT_NE(msg(nul).find("backward: 'dQ' is null"), std::string::npos);
  BackwardArgs mis = a;
  mis.dK = buf.ptr(8);
  EXPECT_NE(msg(mis).find("'dK' must be 16-byte aligned"), std::string::npos);
  BackwardArgs q = a;
  q.q = buf.ptr(2);
  EXPECT_NE(msg(q).find("backward: 'q' must be 16-byte aligned"), std::string::npos);
  BackwardArgs st = a;
  st.dVStrides = Strides{0, 12, 0};
  EXPECT_NE(msg(st).find("strides of 'dV'"), std::string::npos);
  EXPECT_EQ(msg(a), "ok");
  EXPECT_FALSE(bool(drv->synchronize()));
}

} // namespace
