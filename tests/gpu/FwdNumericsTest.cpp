//===- FwdNumericsTest.cpp - forward kernels vs a float64 reference ------===//
//
// For every example spec (and a head-dim sweep), odd and unequal sizes:
// fresh random inputs, outputs poisoned with NaN before the launch, and
//   ||O - O_ref|| / ||O_ref|| below the dtype's bound, every element
//   written (no NaN left), logsumexp within 1e-2 (inf where nothing is
//   attended).
// Skips, saying why, where there is no GPU. FLASHGEN_GPU_REPORT=<file>
// appends one line per case (for bench/results/).
//
//===----------------------------------------------------------------------===//
#include "GpuTestUtil.h"

#include "flashgen/Codegen/ErrorKind.h"
#include "flashgen/Runtime/Check.h"
#include "flashgen/Runtime/CudaDriver.h"
#include "flashgen/Runtime/Runtime.h"

#include "gtest/gtest.h"

#include <cstdio>
#include <random>
#include <tuple>

using namespace flashgen;
using runtime::CudaDriver;

namespace {

struct Case {
  std::string name, spec;
  int seqQ, seqK;
  double blockDensity = 0.5; // sparsity = runtime: share of blocks kept
  bool expectKvSplits = false; // the launch must split the kv tiles
  bool splitKv = false;        // JitOptions::splitKv
  Layout layout = Layout::BSHD;
  bool packGqa = false;        // JitOptions::packGqa = Always, and packGqaRows
  bool expectPacked = false;   // the launch must pack GQA query heads
  int batch = 0;               // 0: CheckOptions' default
  bool seqUsedK = false;       // per-entry key lengths, NaN past them
  int pageSize = 0;            // > 0: K/V in a paged pool
  bool kvBatchIndex = false;   // K/V entries read through an index
  bool combineEarly = true;    // JitOptions::launchCombineEarly (the default)
  bool headDescale = false;    // fp8: per-head descale factors too
};

/// A case of spec `name` at nq x nk, named `name_NQxNK` + `tag` in reports.
Case sizedCase(const char *const (&spec)[2], int nq, int nk, const std::string &tag = "") {
  return Case{std::string(spec[0]) + "_" + std::to_string(nq) + "x" + std::to_string(nk) + tag,
              spec[1], nq, nk};
}

/// The JIT options of case `c`.
JitOptions optionsOf(const Case &c) {
  JitOptions options;
  options.splitKv = c.splitKv;
  options.packGqa = c.packGqa ? PackGqa::Always : PackGqa::WhereFaster;
  options.packGqaRows = c.packGqa;
  options.launchCombineEarly = c.combineEarly;
  return options;
}

void checkCase(const Kernel &kernel, const Case &c, std::mt19937_64 &rng);

/// JITs and checks one case against the float64 reference (fresh inputs).
void runCase(const Case &c, std::mt19937_64 &rng) {
  llvm::Expected<std::unique_ptr<Kernel>> kernel = Kernel::fromSpec(c.spec, c.name, optionsOf(c));
  if (!kernel) {
    ADD_FAILURE() << c.name << ": " << llvm::toString(kernel.takeError());
    return;
  }
  checkCase(**kernel, c, rng);
}

/// Checks case `c` on `kernel` (JITted for it or for a case of the same
/// spec and options) against the float64 reference (fresh inputs).
void checkCase(const Kernel &kernel, const Case &c, std::mt19937_64 &rng) {
  runtime::CheckOptions opt;
  opt.seqQ = c.seqQ;
  opt.seqK = c.seqK;
  opt.seed = rng();
  opt.blockDensity = c.blockDensity;
  opt.layout = c.layout;
  opt.batch = c.batch;
  opt.seqUsedK = c.seqUsedK;
  opt.pageSize = c.pageSize;
  opt.kvBatchIndex = c.kvBatchIndex;
  opt.headDescale = c.headDescale;
  llvm::Expected<runtime::CheckReport> r = runtime::checkForward(kernel, c.spec, opt);
  if (!r) {
    ADD_FAILURE() << c.name << ": " << llvm::toString(r.takeError());
    return;
  }
  EXPECT_EQ(r->unwritten, 0u) << c.name << " " << r->summary()
                              << ": output elements never written (still NaN)";
  EXPECT_LE(r->relErr, r->bound) << c.name << " " << r->summary();
  EXPECT_EQ(r->lseBad, 0u) << c.name << " " << r->summary() << ": logsumexp off (worst "
                           << r->lseWorst << ")";
  if (c.expectKvSplits) {
    EXPECT_GT(r->kvSplits, 1) << c.name << " " << r->summary() << ": no split-KV";
  }
  if (c.expectPacked) {
    EXPECT_GT(r->packedGroup, 1) << c.name << " " << r->summary() << ": not packed";
  }
  char line[400];
  std::snprintf(line, sizeof(line), "%-22s %s", c.name.c_str(), r->summary().c_str());
  std::printf("%s\n", line);
  gputest::appendReport(line);
}

std::vector<Case> exampleCases() {
  std::vector<Case> cases;
  const std::pair<int, int> sizes[] = {{1, 1},     {17, 17},   {128, 128}, {1000, 1000},
                                       {17, 1000}, {1000, 17}, {4097, 4097}};
  for (const gputest::ExampleSpec &e : gputest::exampleSpecs()) {
    const std::string &name = e.name, &text = e.text;
    bool manyHeads = text.find("heads    = 32") != std::string::npos ||
                     text.find("heads    = 16") != std::string::npos;
    for (auto [nq, nk] : sizes) {
      if (manyHeads && nq * int64_t(nk) > 2000000)
        continue; // keep the CPU reference quick
      cases.push_back({name, text, nq, nk});
    }
  }
  return cases;
}

class GpuForward : public gputest::GpuTest {};

TEST_F(GpuForward, EveryExampleAtOddSizes) {
  std::mt19937_64 rng(std::random_device{}()); // fresh inputs every run
  std::vector<Case> cases = exampleCases();
  ASSERT_GE(cases.size(), 100u);
  for (const Case &c : cases)
    runCase(c, rng);
}

TEST_F(GpuForward, EveryHeadDimBothDtypes) {
  std::mt19937_64 rng(std::random_device{}());
  for (const char *dtype : {"bf16", "f16"})
    for (int d = 8; d <= 256; d += 8) {
      std::string spec = std::string("attention hd { dtype = ") + dtype +
                         "; head_dim = " + std::to_string(d) + "; mask = causal; }";
      runCase({"hd" + std::to_string(d) + "_" + dtype, spec, 257, 300}, rng);
    }
  // qk and v head dims that differ.
  runCase({"qk192_v128", "attention m { qk_head_dim = 192; v_head_dim = 128; }", 333, 517}, rng);
  runCase({"qk64_v256", "attention m { qk_head_dim = 64; v_head_dim = 256; }", 100, 129}, rng);
  // Unequal head dims on the sm_90a wgmma kernel (each padded to 64..256).
  runCase({"qk64_v128", "attention m { qk_head_dim = 64; v_head_dim = 128; mask = causal; }",
           333, 517}, rng);
  runCase({"qk128_v64", "attention m { qk_head_dim = 128; v_head_dim = 64; }", 517, 333}, rng);
}

TEST_F(GpuForward, WideHeadDimsOnWgmma) {
  // Head dims padded to 192 and 256 (spec dims 168..256 in 8s pad to them):
  // two consumer warpgroups of 64 rows, Bc = 64; the warp-specialized
  // kernel (the planner's) and the plain one; unequal dims (MLA-style
  // 192/128); odd sizes, masks, GQA.
  std::mt19937_64 rng(std::random_device{}());
  const char *families[] = {"", "warp_specialized = false;"};
  const char *masks[] = {"", "mask = causal;", "mask = sliding_window(left = 77);"};
  for (const char *dims : {"head_dim = 256;", "head_dim = 192;", "head_dim = 232;",
                           "qk_head_dim = 192; v_head_dim = 128;"})
    for (const char *family : families)
      for (const char *mask : masks) {
        std::string spec = std::string("attention wide { heads = 4; kv_heads = 2; ") + dims +
                           " mma = wgmma; " + family + " " + mask + " }";
        for (auto [nq, nk] : {std::pair{1000, 1000}, std::pair{17, 333}, std::pair{1, 1}})
          runCase({std::string("wide ") + dims + " " + family + " " + mask, spec, nq, nk}, rng);
      }
}

TEST_F(GpuForward, ThreeConsumerWarpgroups) {
  // 192-row tiles in three consumer warpgroups of the warp-specialized
  // kernel (160 registers each), asked for by the spec and chosen by the
  // planner at head dim 64 for long rows (past 2k, 4k with a band mask): masks,
  // GQA, varlen-free odd sizes, head dims padded to 64. Dropout and score
  // modifiers do not fit 160 registers: the planner keeps its tiles, a
  // spec that insists hears why.
  std::mt19937_64 rng(std::random_device{}());
  const char *tiles = "block_m = 192; block_n = 128; warps = 12; warp_specialized = true;";
  const char *masks[] = {"", "mask = causal;", "mask = sliding_window(left = 77);",
                         "mask = q / 300 == k / 300;"};
  for (const char *dims : {"head_dim = 64;", "head_dim = 40;"})
    for (const char *mask : masks) {
      std::string spec = std::string("attention three { heads = 4; kv_heads = 2; ") + dims +
                         " " + mask + " " + tiles + " }";
      for (auto [nq, nk] : {std::pair{1000, 1000}, std::pair{17, 333}, std::pair{333, 17},
                            std::pair{1, 1}, std::pair{4097, 4097}})
        runCase({std::string("three ") + dims + " " + mask, spec, nq, nk}, rng);
    }
  // The planner's rule by shape: the launch at 4097 rows takes the
  // three-warpgroup kernel (and says why), a short one the planner's own.
  for (const char *mask : {"", "mask = causal;"}) {
    const std::string spec =
        std::string("attention plan { heads = 1; head_dim = 64; ") + mask + " }";
    auto k = Kernel::fromSpec(spec, "plan.attn");
    ASSERT_TRUE(bool(k)) << llvm::toString(k.takeError());
    ForwardArgs a;
    a.batch = 1, a.heads = 1, a.seqQ = a.seqK = 4097;
    std::string why;
    EXPECT_EQ((*k)->forTuning(a, &why).spec().tiles.warps, 12) << mask << why;
    EXPECT_NE(why.find("three consumer warpgroups"), std::string::npos) << why;
    a.seqQ = a.seqK = 1000;
    EXPECT_NE((*k)->forTuning(a).spec().tiles.warps, 12) << mask;
    runCase({std::string("three by shape ") + mask, spec, 4097, 4097}, rng);
  }
  for (const char *extra : {"dropout = 0.1;", "score = 30.0 * tanh(score / 30.0);"}) {
    std::string spec = std::string("attention no { head_dim = 64; ") + extra + " " + tiles + " }";
    auto k = Kernel::fromSpec(spec, "no.attn");
    ASSERT_FALSE(bool(k)) << spec;
    EXPECT_NE(llvm::toString(k.takeError()).find("registers/thread"), std::string::npos);
  }
}

TEST_F(GpuForward, MmaSyncPathOnHopper) {
  // On sm_90a the planner picks wgmma for head dims padded to 64..256; the
  // mma.sync kernel (the sm_80 path) must stay correct there too.
  std::mt19937_64 rng(std::random_device{}());
  for (const gputest::ExampleSpec &e : gputest::exampleSpecsOnMmaSync())
    for (auto [nq, nk] : {std::pair{1000, 1000}, std::pair{17, 333}})
      runCase({e.name, e.text, nq, nk}, rng);
}

TEST_F(GpuForward, SplitsKeysAtDecodeShapes) {
  // Decoding shapes (1-16 query rows, batch 1): batch x heads x row blocks
  // leave SMs idle, so each row block's kv tiles are split over CTAs whose
  // partial O and lse the combine entry merges (Merge.cuh). Every forward
  // kernel family (warp-specialized wgmma, plain wgmma, mma.sync); masks
  // that leave a split few keys or none (a window, documents from a
  // tensor); score modifiers; varlen; head dims 64-256.
  std::mt19937_64 rng(std::random_device{}());
  const char *specs[][2] = {
      {"dgqa", "attention dgqa { head_dim = 128; heads = 32; kv_heads = 8; "
               "mask = causal(bottom_right); }"},
      {"dwin", "attention dwin { head_dim = 128; heads = 32; kv_heads = 8; "
               "mask = causal(bottom_right) && k > q + (seq_k - seq_q) - 300; }"},
      {"dalibi", "attention dalibi { head_dim = 64; heads = 16; kv_heads = 4; "
                 "tensor slopes : f32[heads]; mask = causal(bottom_right); "
                 "score = score - slopes[h] * float(q + (seq_k - seq_q) - k); }"},
      {"ddoc", "attention ddoc { head_dim = 128; heads = 8; tensor doc_id : i32[batch, seq_k]; "
               "mask = doc_id[b, q] == doc_id[b, k]; }"},
      {"dsoft", "attention dsoft { head_dim = 256; heads = 16; kv_heads = 8; "
                "score = 50.0 * tanh(score / 50.0); mask = causal(bottom_right); }"},
      {"dvl", "attention dvl { head_dim = 128; heads = 16; kv_heads = 4; varlen = true; "
              "mask = causal(bottom_right); }"},
      {"dsync", "attention dsync { mma = sync; head_dim = 64; heads = 32; kv_heads = 8; "
                "mask = causal(bottom_right); }"},
      {"dplain", "attention dplain { warp_specialized = false; head_dim = 128; heads = 32; "
                 "kv_heads = 8; mask = causal(bottom_right); }"},
  };
  for (const auto &spec : specs)
    for (auto [nq, nk] : {std::pair{1, 2999}, std::pair{7, 4097}, std::pair{16, 2000}}) {
      Case c = sizedCase(spec, nq, nk);
      c.splitKv = c.expectKvSplits = true;
      runCase(c, rng);
    }
}

TEST_F(GpuForward, DecodesLongCachesAndWideGroups) {
  // The decoding range issue 17 names at its ends: 128k keys, GQA ratios
  // 1 and 16, one and 16 query rows; contiguous caches split over CTAs, and
  // paged pools of 256 rows with per-entry lengths (NaN past them), bf16
  // and fp8.
  std::mt19937_64 rng(std::random_device{}());
  const char *specs[][2] = {
      {"lmqa", "attention lmqa { head_dim = 128; heads = 16; kv_heads = 1; "
               "mask = causal(bottom_right); }"},
      {"lmha", "attention lmha { head_dim = 64; heads = 4; kv_heads = 4; "
               "mask = causal(bottom_right); }"},
      {"lf8", "attention lf8 { dtype = fp8_e4m3; head_dim = 128; heads = 16; kv_heads = 1; "
              "mask = causal(bottom_right); }"},
  };
  for (const auto &spec : specs)
    for (int nq : {1, 16}) {
      Case split = sizedCase(spec, nq, 131072, "_split");
      split.batch = 2;
      split.splitKv = split.expectKvSplits = true;
      split.packGqa = true;
      split.layout = Layout::BHSD; // (several rows of a head pack in BHSD)
      split.expectPacked = nq == 1 && std::string(spec[0]) != "lmha"; // (16 x 16 rows > 128)
      runCase(split, rng);
      Case paged = sizedCase(spec, nq, 131072, "_page256");
      paged.batch = 3;
      paged.pageSize = 256;
      paged.seqUsedK = true;
      paged.splitKv = true;
      runCase(paged, rng);
    }
}

TEST_F(GpuForward, CombineLaunchedEarly) {
  // The split combine as the forward's programmatic dependent launch
  // (JitOptions::launchCombineEarly, GridDependency.cuh; the default): it
  // may start before the forward ends and must still read complete
  // partial results. Several splits, packed and not, a varlen batch,
  // mma.sync's kernel; and the plain launch after the forward (off).
  std::mt19937_64 rng(std::random_device{}());
  const char *specs[][2] = {
      {"egqa", "attention egqa { head_dim = 128; heads = 32; kv_heads = 8; "
               "mask = causal(bottom_right); }"},
      {"evl", "attention evl { head_dim = 128; heads = 16; kv_heads = 4; varlen = true; "
              "mask = causal(bottom_right); }"},
      {"esync", "attention esync { mma = sync; head_dim = 64; heads = 32; kv_heads = 8; "
                "mask = causal(bottom_right); }"},
  };
  for (const auto &spec : specs)
    for (auto [nq, nk] : {std::pair{1, 4097}, std::pair{1, 32768}, std::pair{16, 2000}})
      for (bool early : {true, false}) {
        Case c = sizedCase(spec, nq, nk, early ? "_early" : "_after");
        c.splitKv = c.expectKvSplits = true;
        c.combineEarly = early;
        runCase(c, rng);
      }
}

TEST_F(GpuForward, PacksGqaQueryHeads) {
  // GQA packing (PackedLaunch.h): a kv head's query heads as one launch's
  // rows, one query row per head in BSHD, several in BHSD; every mask and
  // score modifier rewritten (attn-pack-query-heads), with and without
  // split-KV. Not packed (checked too): BSHD with several rows.
  std::mt19937_64 rng(std::random_device{}());
  const char *specs[][2] = {
      {"pgqa", "attention pgqa { head_dim = 128; heads = 32; kv_heads = 8; "
               "mask = causal(bottom_right); }"},
      {"pwin", "attention pwin { head_dim = 64; heads = 16; kv_heads = 2; "
               "mask = sliding_window(left = 300); }"},
      {"palibi", "attention palibi { head_dim = 128; heads = 16; kv_heads = 4; "
                 "tensor slopes : f32[heads]; mask = causal(bottom_right); "
                 "score = score - slopes[h] * float(q + (seq_k - seq_q) - k); }"},
      {"pdoc", "attention pdoc { head_dim = 128; heads = 8; kv_heads = 2; "
               "tensor doc_id : i32[batch, seq_k]; mask = doc_id[b, k] == doc_id[b, seq_k - 1]; }"},
      {"psoft", "attention psoft { head_dim = 256; heads = 16; kv_heads = 8; "
                "score = 50.0 * tanh(score / 50.0); mask = causal(bottom_right); }"},
      {"pheadmask", "attention pheadmask { head_dim = 64; heads = 12; kv_heads = 3; "
                    "mask = k <= q + (seq_k - seq_q) - 7 * (h % 4); }"},
      {"psync", "attention psync { mma = sync; head_dim = 64; heads = 32; kv_heads = 8; "
                "mask = causal(bottom_right); }"},
  };
  for (const auto &spec : specs)
    for (auto [nq, nk, layout] : {std::tuple{1, 1, Layout::BSHD}, std::tuple{1, 4097, Layout::BSHD},
                                  std::tuple{1, 2999, Layout::BHSD}, std::tuple{3, 1000, Layout::BHSD},
                                  std::tuple{2, 777, Layout::BHSD}, std::tuple{3, 1000, Layout::BSHD}})
      for (bool split : {false, true}) {
        Case c = sizedCase(spec, nq, nk,
                           std::string(layout == Layout::BHSD ? "_bhsd" : "_bshd") +
                               (split ? "_split" : ""));
        c.layout = layout;
        c.splitKv = split;
        c.packGqa = true;
        c.expectPacked = nq == 1 || layout == Layout::BHSD;
        runCase(c, rng);
      }
}

TEST_F(GpuForward, PerEntryKeyLengths) {
  // ForwardArgs::seqUsedK (a KV cache's filled lengths): entry b attends
  // its first seqUsedK[b] keys, one of them none, and the K/V rows past
  // them hold NaN, which must not reach O (the TMA kernel zeroes the edge
  // tile's V rows). Every kernel family, with split-KV and GQA packing.
  std::mt19937_64 rng(std::random_device{}());
  const char *specs[][2] = {
      {"uplain", "attention uplain { head_dim = 128; }"},
      {"ugqa", "attention ugqa { head_dim = 128; heads = 32; kv_heads = 8; "
               "mask = causal(bottom_right); }"},
      {"uwin", "attention uwin { head_dim = 64; heads = 8; kv_heads = 2; "
               "mask = k <= q + (seq_k - seq_q) && k >= q + (seq_k - seq_q) - 200; }"},
      {"usoft", "attention usoft { dtype = f16; head_dim = 256; heads = 4; kv_heads = 2; "
                "score = 30.0 * tanh(score / 30.0); mask = causal(bottom_right); }"},
      {"umla", "attention umla { qk_head_dim = 192; v_head_dim = 128; heads = 4; }"},
      {"usync", "attention usync { mma = sync; head_dim = 64; heads = 8; kv_heads = 8; "
                "mask = causal(bottom_right); }"},
  };
  for (const auto &spec : specs)
    for (auto [nq, nk] : {std::pair{1, 1}, std::pair{1, 4097}, std::pair{1, 1000},
                          std::pair{17, 1000}, std::pair{128, 333}})
      for (bool split : {false, true}) {
        Case c = sizedCase(spec, nq, nk, split ? "_split" : "");
        c.batch = 5;
        c.seqUsedK = true;
        c.splitKv = split;
        runCase(c, rng);
      }
}

TEST_F(GpuForward, PagedKvCache) {
  // ForwardArgs::pageTable: K/V rows scattered over a pool of pages in a
  // random order (unused pages NaN, table entries past a length -1), page
  // sizes that divide the tile, exceed it and straddle it (48), with and
  // without per-entry lengths, split-KV and GQA packing where they apply.
  std::mt19937_64 rng(std::random_device{}());
  const char *specs[][2] = {
      {"pgqa", "attention pgqa { head_dim = 128; heads = 32; kv_heads = 8; "
               "mask = causal(bottom_right); }"},
      {"pplain", "attention pplain { head_dim = 128; }"},
      {"pwin", "attention pwin { head_dim = 64; heads = 8; kv_heads = 2; "
               "mask = k <= q + (seq_k - seq_q) && k >= q + (seq_k - seq_q) - 200; }"},
      {"psoft", "attention psoft { dtype = f16; head_dim = 256; heads = 4; kv_heads = 2; "
                "score = 30.0 * tanh(score / 30.0); mask = causal(bottom_right); }"},
      {"pmla", "attention pmla { qk_head_dim = 192; v_head_dim = 128; heads = 4; }"},
  };
  for (const auto &spec : specs)
    for (auto [nq, nk] : {std::pair{1, 1}, std::pair{1, 4097}, std::pair{1, 1000},
                          std::pair{17, 1000}, std::pair{128, 333}})
      for (int page : {16, 48, 256}) {
        Case c = sizedCase(spec, nq, nk, "_page" + std::to_string(page));
        c.batch = 5;
        c.pageSize = page;
        c.seqUsedK = page != 48;
        c.splitKv = nq == 1;
        runCase(c, rng);
      }
  // Several query rows of a GQA group packed into one tile (q and o in
  // BHSD, as flash_attn_with_kvcache lays them out for Sq > 1) over a pool.
  for (const auto *spec : {&specs[0], &specs[2]})
    for (auto [nq, nk] : {std::pair{4, 4097}, std::pair{16, 1000}, std::pair{1, 333}}) {
      Case c = sizedCase(*spec, nq, nk, "_page16_bhsd_packed");
      c.batch = 3;
      c.pageSize = 16;
      c.seqUsedK = true;
      c.layout = Layout::BHSD;
      c.packGqa = true;
      c.expectPacked = true;
      runCase(c, rng);
    }
}

TEST_F(GpuForward, OneKernelServesPrefillAndDecoding) {
  // One Kernel: launches that neither split, page nor pass per-entry
  // lengths run the forward compiled without those features
  // (FwdDecoding.cuh); the first launch that needs one JITs the variant
  // with them, and later launches of either kind keep working. Every
  // kernel family, and a variant with run-time tile classes (its builder a
  // compile unit of its own), and fp8.
  std::mt19937_64 rng(std::random_device{}());
  const char *specs[][2] = {
      {"oplain", "attention oplain { head_dim = 128; heads = 16; }"},
      {"odoc", "attention odoc { head_dim = 64; heads = 8; "
               "tensor doc_id : i32[batch, seq_k]; mask = doc_id[b, q] == doc_id[b, k]; }"},
      {"osync", "attention osync { mma = sync; head_dim = 64; heads = 8; mask = causal; }"},
      {"ogqa", "attention ogqa { head_dim = 128; heads = 32; kv_heads = 8; "
               "mask = causal(bottom_right); }"},
      // fp8: V^T from the pre-pass (prefill) or made in the kernel (decoding).
      {"ofp8", "attention ofp8 { dtype = fp8_e4m3; head_dim = 128; heads = 16; kv_heads = 4; "
               "mask = causal(bottom_right); }"},
  };
  for (const auto &spec : specs) {
    Case base = sizedCase(spec, 1000, 1000);
    base.splitKv = true;
    llvm::Expected<std::unique_ptr<Kernel>> kernel =
        Kernel::fromSpec(base.spec, base.name, optionsOf(base));
    ASSERT_TRUE(bool(kernel)) << spec[0] << ": " << llvm::toString(kernel.takeError());
    const bool wgmmaWs = (*kernel)->spec().tiles.warpSpecialized;
    Case prefill = base;
    prefill.batch = 4; // enough CTAs: no split
    checkCase(**kernel, prefill, rng);
    Case decode = sizedCase(spec, 1, 4097, "_split");
    decode.splitKv = true;
    decode.batch = 1;
    decode.expectKvSplits = true;
    checkCase(**kernel, decode, rng);
    Case lengths = sizedCase(spec, 17, 1000, "_lengths");
    lengths.batch = 4;
    lengths.seqUsedK = true;
    checkCase(**kernel, lengths, rng);
    if (wgmmaWs) { // pages: the warp-specialized kernels' producer reads them
      Case paged = sizedCase(spec, 1, 3000, "_paged");
      paged.batch = 3;
      paged.pageSize = 64;
      checkCase(**kernel, paged, rng);
    }
    Case again = prefill;
    again.name += "_again";
    checkCase(**kernel, again, rng);
  }
}

TEST_F(GpuForward, ReadsKvEntriesThroughAnIndex) {
  // ForwardArgs::kvBatchIndex (flash-attn's cache_batch_idx): the batch's
  // K/V entries at random places among more, the others NaN; every kernel
  // family (the mma.sync and wgmma kernels load rows with cp.async, the
  // warp-specialized one through its tensor maps), with per-entry lengths.
  std::mt19937_64 rng(std::random_device{}());
  const char *specs[][2] = {
      {"igqa", "attention igqa { head_dim = 128; heads = 32; kv_heads = 8; "
               "mask = causal(bottom_right); }"},
      {"iplain", "attention iplain { head_dim = 64; }"},
      {"isync", "attention isync { mma = sync; head_dim = 64; heads = 8; kv_heads = 8; "
                "mask = causal(bottom_right); }"},
  };
  for (const auto &spec : specs)
    for (auto [nq, nk] : {std::pair{1, 4097}, std::pair{1, 1000}, std::pair{128, 333}})
      for (bool lengths : {false, true}) {
        Case c = sizedCase(spec, nq, nk, lengths ? "_used" : "");
        c.batch = 4;
        c.kvBatchIndex = true;
        c.seqUsedK = lengths;
        c.splitKv = nq == 1;
        runCase(c, rng);
      }
}

TEST_F(GpuForward, PagedKvCacheNeedsTheWarpSpecializedKernel) {
  // The mma.sync kernel loads rows with cp.async from contiguous K/V: a
  // paged launch is refused with an error saying so, not run wrong.
  llvm::Expected<std::unique_ptr<Kernel>> kernel = Kernel::fromSpec(
      "attention psync { mma = sync; head_dim = 64; }", "psync", JitOptions{});
  ASSERT_TRUE(bool(kernel)) << llvm::toString(kernel.takeError());
  runtime::CheckOptions opt;
  opt.seqQ = 1;
  opt.seqK = 100;
  opt.pageSize = 16;
  llvm::Expected<runtime::CheckReport> r =
      runtime::checkForward(**kernel, "attention psync { mma = sync; head_dim = 64; }", opt);
  ASSERT_FALSE(bool(r));
  EXPECT_NE(llvm::toString(r.takeError()).find("paged KV cache needs the sm_90a warp-specialized"),
            std::string::npos);
}

TEST_F(GpuForward, Fp8Inputs) {
  // fp8 e4m3 Q, K, V with descale factors (0.5, 0.25, 2: CheckOptions'
  // fp8 inputs), bf16 O, vs float64 on the exact fp8 values: odd sizes,
  // masks, a score modifier, GQA, unequal head dims, BHSD.
  std::mt19937_64 rng(8);
  const std::pair<int, int> sizes[] = {{1, 1}, {17, 17}, {1000, 1000}, {17, 1000},
                                       {1000, 17}, {4097, 4097}};
  const char *specs[][2] = {
      {"fp8", "attention f { dtype = fp8_e4m3; head_dim = 128; heads = 4; }"},
      {"fp8_causal",
       "attention f { dtype = fp8_e4m3; head_dim = 128; heads = 4; mask = causal; }"},
      {"fp8_gqa_window", "attention f { dtype = fp8_e4m3; head_dim = 128; heads = 8; "
                         "kv_heads = 2; mask = q - k < 300 && k <= q; }"},
      {"fp8_softcap", "attention f { dtype = fp8_e4m3; head_dim = 128; heads = 2; "
                      "score = 30 * tanh(score / 30); }"},
      {"fp8_qk128_v64",
       "attention f { dtype = fp8_e4m3; qk_head_dim = 128; v_head_dim = 64; heads = 2; }"},
  };
  for (const auto &spec : specs)
    for (auto [nq, nk] : sizes) {
      Case c = sizedCase(spec, nq, nk);
      if (nq * int64_t(nk) > 2000000 && std::string(spec[0]) != "fp8")
        continue; // keep the CPU reference quick
      runCase(c, rng);
    }
  Case bhsd = sizedCase(specs[1], 1000, 1000, "_bhsd");
  bhsd.layout = Layout::BHSD;
  runCase(bhsd, rng);
}

TEST_F(GpuForward, Fp8DecodingLaunches) {
  // fp8 K/V caches: the kernel transposes V in shared memory (FwdFp8.cuh),
  // so the decoding features run on fp8 too: split-KV (expected at one
  // query row), GQA packing (expected at one row), per-entry lengths and
  // paged pools (NaN codes past the lengths and in unused pages, which must
  // not reach O), K/V entries through an index, varlen batches.
  std::mt19937_64 rng(std::random_device{}());
  const char *specs[][2] = {
      {"f8gqa", "attention f8gqa { dtype = fp8_e4m3; head_dim = 128; heads = 32; kv_heads = 8; "
                "mask = causal(bottom_right); }"},
      {"f8win", "attention f8win { dtype = fp8_e4m3; head_dim = 128; heads = 16; kv_heads = 2; "
                "mask = k <= q + (seq_k - seq_q) && k >= q + (seq_k - seq_q) - 300; }"},
      {"f8v64", "attention f8v64 { dtype = fp8_e4m3; qk_head_dim = 128; v_head_dim = 64; "
                "heads = 8; kv_heads = 8; score = 30 * tanh(score / 30); }"},
  };
  for (const auto &spec : specs)
    for (auto [nq, nk] : {std::pair{1, 1}, std::pair{1, 4097}, std::pair{1, 1000},
                          std::pair{4, 2999}, std::pair{17, 1000}}) {
      Case split = sizedCase(spec, nq, nk, "_split");
      split.batch = 2;
      split.splitKv = true;
      split.packGqa = true;
      split.expectKvSplits = nq == 1 && nk > 1000;
      split.expectPacked = nq == 1 && std::string(spec[0]) != "f8v64";
      runCase(split, rng);
      Case used = sizedCase(spec, nq, nk, "_used");
      used.batch = 5;
      used.seqUsedK = true;
      used.splitKv = nq == 1;
      runCase(used, rng);
      for (int page : {16, 48, 256}) {
        Case paged = sizedCase(spec, nq, nk, "_page" + std::to_string(page));
        paged.batch = 3;
        paged.pageSize = page;
        paged.seqUsedK = page != 48;
        paged.splitKv = nq == 1;
        runCase(paged, rng);
      }
      Case indexed = sizedCase(spec, nq, nk, "_index");
      indexed.batch = 3;
      indexed.kvBatchIndex = true;
      indexed.seqUsedK = true;
      runCase(indexed, rng);
    }
  const char *varlen[2] = {"f8vl", "attention f8vl { dtype = fp8_e4m3; head_dim = 128; "
                                   "heads = 16; kv_heads = 4; varlen = true; "
                                   "mask = causal(bottom_right); }"};
  for (auto [nq, nk] : {std::pair{1, 2999}, std::pair{16, 2000}, std::pair{1000, 1000}}) {
    Case c = sizedCase(varlen, nq, nk, "_split");
    c.splitKv = true;
    runCase(c, rng);
  }
}

TEST_F(GpuForward, Fp8PerHeadDescale) {
  // Descale factors per (batch entry, kv head) on top of the per-tensor
  // ones, random in [1/4, 4] (CheckOptions::headDescale: Q's per entry and
  // head, K's broadcast over the batch, V's over the heads): prefill and
  // decoding launches, packed and not, split, paged, indexed, varlen. A
  // kernel that ignored a factor, or read another head's, would miss the
  // reference by far more than the bound.
  std::mt19937_64 rng(std::random_device{}());
  const char *gqa[2] = {"f8hd", "attention f8hd { dtype = fp8_e4m3; head_dim = 128; heads = 8; "
                                "kv_heads = 2; mask = causal(bottom_right); }"};
  const char *softcap[2] = {"f8hdcap", "attention f8hdcap { dtype = fp8_e4m3; head_dim = 128; "
                                       "heads = 4; kv_heads = 4; score = 30 * tanh(score / 30); }"};
  const char *varlen[2] = {"f8hdvl", "attention f8hdvl { dtype = fp8_e4m3; head_dim = 128; "
                                     "heads = 8; kv_heads = 4; varlen = true; mask = causal; }"};
  for (const auto *spec : {&gqa, &softcap})
    for (auto [nq, nk] : {std::pair{1, 1}, std::pair{17, 1000}, std::pair{1000, 1000},
                          std::pair{1, 4097}}) {
      Case c = sizedCase(*spec, nq, nk, "_heads");
      c.batch = 3;
      c.headDescale = true;
      runCase(c, rng);
      Case split = sizedCase(*spec, nq, nk, "_heads_split");
      split.batch = 2;
      split.headDescale = true;
      split.splitKv = split.packGqa = true;
      split.expectKvSplits = nq == 1 && nk > 1000;
      split.expectPacked = nq == 1 && spec == &gqa;
      runCase(split, rng);
      Case paged = sizedCase(*spec, nq, nk, "_heads_page48");
      paged.batch = 3;
      paged.headDescale = true;
      paged.pageSize = 48;
      paged.seqUsedK = true;
      paged.splitKv = nq == 1;
      runCase(paged, rng);
      Case indexed = sizedCase(*spec, nq, nk, "_heads_index");
      indexed.batch = 3;
      indexed.headDescale = true;
      indexed.kvBatchIndex = true;
      runCase(indexed, rng);
    }
  for (auto [nq, nk] : {std::pair{1, 2999}, std::pair{1000, 1000}}) {
    Case c = sizedCase(varlen, nq, nk, "_heads");
    c.batch = 3;
    c.headDescale = true;
    c.splitKv = true;
    runCase(c, rng);
  }
  Case bhsd = sizedCase(gqa, 1000, 1000, "_heads_bhsd");
  bhsd.layout = Layout::BHSD;
  bhsd.headDescale = true;
  runCase(bhsd, rng);
}

TEST_F(GpuForward, Fp8RefusesWhatItLacks) {
  // What the fp8 forward does not have is refused by name: head dim 64 and
  // a backward.
  llvm::Expected<std::unique_ptr<Kernel>> d64 = Kernel::fromSpec(
      "attention f { dtype = fp8_e4m3; head_dim = 64; }", "f", JitOptions{});
  ASSERT_FALSE(bool(d64));
  EXPECT_NE(llvm::toString(d64.takeError()).find("fp8 inputs take a Q/K head dim of 128"),
            std::string::npos);
  JitOptions withBackward;
  withBackward.withBackward = true;
  llvm::Expected<std::unique_ptr<Kernel>> bwd = Kernel::fromSpec(
      "attention f { dtype = fp8_e4m3; head_dim = 128; passes = forward, backward; }", "f",
      withBackward);
  ASSERT_FALSE(bool(bwd));
  EXPECT_NE(llvm::toString(bwd.takeError()).find("fp8"), std::string::npos);
}

TEST_F(GpuForward, ExplicitTilings) {
  // Tilings the model may not pick, including two 16-row slices per warp
  // (block_m = 32 * warps) and single-stage pipelines.
  std::mt19937_64 rng(std::random_device{}());
  const char *tiles[] = {"block_m = 128; block_n = 64; warps = 4;",
                         "block_m = 128; block_n = 32; warps = 4;",
                         "block_m = 64; block_n = 64; warps = 2;",
                         "block_m = 256; block_n = 32; warps = 8;",
                         "block_m = 64; block_n = 32; warps = 4; stages = 1;",
                         // Hopper warpgroup MMA: one warpgroup, 64-wide K/V tiles.
                         "block_m = 64; block_n = 64; warps = 4; mma = wgmma;",
                         "block_m = 128; block_n = 64; warps = 8; mma = wgmma;",
                         "block_m = 64; block_n = 128; warps = 4; mma = wgmma;"};
  for (const char *t : tiles)
    for (const char *mask : {"", "mask = causal;", "mask = sliding_window(left = 77);"})
      for (int d : {64, 128}) {
        std::string spec = "attention tiles { head_dim = " + std::to_string(d) + "; " +
                           mask + " " + t + " }";
        // Two 16-row slices per warp with 64-wide K/V tiles need more than
        // 255 registers at d128: the planner must refuse, not spill.
        bool tooBig = d == 128 && std::string(t).find("block_n = 64;") != std::string::npos &&
                      std::string(t).find("wgmma") == std::string::npos;
        if (tooBig) {
          auto k = Kernel::fromSpec(spec, "tiles.attn");
          ASSERT_FALSE(bool(k)) << spec;
          EXPECT_NE(llvm::toString(k.takeError()).find("registers/thread > 255"),
                    std::string::npos);
          continue;
        }
        runCase({std::string("tiles ") + t, spec, 1000, 1000}, rng);
        runCase({std::string("tiles ") + t, spec, 17, 333}, rng);
      }
}

TEST_F(GpuForward, RejectsBadArguments) {
  // With a device, spec errors come from the JIT's own frontend (no check
  // before it since session 25): the same kind and text as without one.
  for (const char *bad : {"attention a { head_dim = 12; }", "attention a { mask = q < ; }"}) {
    auto s = Kernel::fromSpec(bad, "bad.attn");
    ASSERT_FALSE(bool(s)) << bad;
    auto [kind, message] = takeKindAndMessage(s.takeError(), ErrorKind::Cuda);
    EXPECT_EQ(kind, ErrorKind::Spec) << bad;
    EXPECT_EQ(message.rfind("errors in bad.attn:", 0), 0u) << message;
  }
  auto k = Kernel::fromSpec("attention a { head_dim = 64; }");
  ASSERT_TRUE(bool(k)) << llvm::toString(k.takeError());
  gputest::Scratch buf(*drv);
  ForwardArgs a;
  a.q = a.k = a.v = buf.ptr();
  a.o = buf.ptr(65536); // an output apart from the inputs
  a.batch = 1; a.heads = 2; a.seqQ = 4; a.seqK = 4;
  auto msg = [&](ForwardArgs x) {
    llvm::Error e = (*k)->forward(x);
    return e ? llvm::toString(std::move(e)) : std::string("ok");
  };
  ForwardArgs mis = a;
  mis.q = static_cast<char *>(buf.ptr()) + 2;
  EXPECT_NE(msg(mis).find("'q' must be 16-byte aligned"), std::string::npos);
  ForwardArgs nul = a;
  nul.o = nullptr;
  EXPECT_NE(msg(nul).find("'o' is null"), std::string::npos);
  ForwardArgs gqa = a;
  gqa.kvHeads = 3;
  EXPECT_NE(msg(gqa).find("kvHeads (3) must divide heads (2)"), std::string::npos);
  ForwardArgs zero = a;
  zero.seqK = 0;
  EXPECT_NE(msg(zero).find("must be >= 1"), std::string::npos);
  ForwardArgs wide = a;
  wide.heads = 70000;
  wide.kvHeads = 70000;
  EXPECT_NE(msg(wide).find("at most 65535 (CUDA grid limit)"), std::string::npos);
  ForwardArgs extra = a;
  extra.tensors["slopes"] = NamedTensor{buf.ptr(), {2}, {}};
  EXPECT_NE(msg(extra).find("tensor 'slopes' is not read"), std::string::npos);
  EXPECT_EQ(msg(a), "ok");
  EXPECT_FALSE(bool(drv->synchronize()));

  auto alibi = Kernel::fromSpec("attention a { head_dim = 64; heads = 4; "
                                "tensor slopes : f32[heads]; score = score * slopes[h]; }");
  ASSERT_TRUE(bool(alibi)) << llvm::toString(alibi.takeError());
  ForwardArgs b = a;
  b.heads = 4;
  llvm::Error missing = (*alibi)->forward(b);
  EXPECT_NE(llvm::toString(std::move(missing)).find("reads tensor 'slopes'"), std::string::npos);
  b.tensors["slopes"] = NamedTensor{buf.ptr(), {3}, {}};
  llvm::Error shape = (*alibi)->forward(b);
  EXPECT_NE(llvm::toString(std::move(shape)).find("dimension 0 (heads) must be 4, got 3"),
            std::string::npos);
}

TEST_F(GpuForward, ChecksLookupsWhenAsked) {
  // Issue 18's findings: t[k] with 300 keys on a 4-element tensor, and
  // bias[q - k] at negative indices. A checked build (JitOptions::
  // checkLookups) fails the launch naming the lookup, the index, the extent
  // and an element inside the sequences; an unchecked one clamps (the
  // float64 reference clamps alike, so the outputs match); a checked build
  // of specs whose indices stay in range (documents from a tensor, run-time
  // block maps, the ragged edge past seq_k included) reports nothing.
  std::mt19937_64 rng(std::random_device{}());
  struct Bad {
    const char *spec, *expect;
    int n;
  } bad[] = {
      {"attention lk { head_dim = 64; tensor t : i32[4]; mask = t[k] >= 0; }",
       "lookup index out of range: t in mask at lk.attn:1:57, index 0 = ", 300},
      {"attention lb { head_dim = 128; tensor bias : f32[8]; score = score + bias[q - k]; }",
       "lookup index out of range: bias in score at lb.attn:1:70, index 0 = ", 17},
  };
  for (const Bad &c : bad) {
    SCOPED_TRACE(c.spec);
    const std::string name = std::string(c.spec).substr(10, 2) + ".attn";
    for (bool checked : {true, false}) {
      JitOptions o;
      o.checkLookups = checked;
      llvm::Expected<std::unique_ptr<Kernel>> k = Kernel::fromSpec(c.spec, name, o);
      ASSERT_TRUE(bool(k)) << llvm::toString(k.takeError());
      runtime::CheckOptions opt;
      opt.seqQ = opt.seqK = c.n;
      opt.seed = rng();
      llvm::Expected<runtime::CheckReport> r = runtime::checkForward(**k, c.spec, opt);
      if (!checked) {
        ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
        EXPECT_TRUE(r->passed()) << r->summary();
        continue;
      }
      ASSERT_FALSE(bool(r)) << "a checked build clamped an index silently";
      const std::string msg = llvm::toString(r.takeError());
      std::printf("checked: %s\n", msg.c_str());
      EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
      EXPECT_NE(msg.find("is outside [0, "), std::string::npos) << msg;
    }
  }
  for (const char *ok :
       {"attention dk { head_dim = 64; tensor doc_id : i32[batch, seq_k]; "
        "mask = causal && doc_id[b, q] == doc_id[b, k]; }",
        "attention rk { head_dim = 64; heads = 2; sparsity = runtime(block_size = 128); }"}) {
    JitOptions o;
    o.checkLookups = true;
    llvm::Expected<std::unique_ptr<Kernel>> k = Kernel::fromSpec(ok, "ok.attn", o);
    ASSERT_TRUE(bool(k)) << llvm::toString(k.takeError());
    for (int n : {17, 1000}) {
      runtime::CheckOptions opt;
      opt.seqQ = opt.seqK = n;
      opt.seed = rng();
      llvm::Expected<runtime::CheckReport> r = runtime::checkForward(**k, ok, opt);
      ASSERT_TRUE(bool(r)) << ok << ": " << llvm::toString(r.takeError());
      EXPECT_TRUE(r->passed()) << ok << ": " << r->summary();
      // The backward evaluates the mask too, with the same checks.
      llvm::Expected<runtime::BwdCheckReport> b = runtime::checkBackward(**k, ok, opt);
      ASSERT_TRUE(bool(b)) << ok << ": " << llvm::toString(b.takeError());
      EXPECT_TRUE(b->passed()) << ok << ": " << b->summary();
    }
  }
}

TEST_F(GpuForward, RuntimeBlockMasks) {
  // sparsity = runtime: random block maps (the named tensor block_mask) at
  // several densities, alone and under other masks; blocks larger than,
  // equal to and smaller than the kernel's tiles (16: every tile spans
  // several blocks, the map is read per element); GQA, varlen, odd sizes.
  std::mt19937_64 rng(std::random_device{}());
  const char *variants[] = {
      "head_dim = 64; heads = 4; kv_heads = 2; sparsity = runtime(block_size = 128);",
      "head_dim = 128; heads = 2; sparsity = runtime(block_size = 64); mask = causal;",
      "head_dim = 128; heads = 2; sparsity = runtime(block_size = 256);",
      "head_dim = 64; heads = 2; sparsity = runtime(block_size = 16); "
      "mask = sliding_window(left = 300);",
      "head_dim = 64; heads = 2; varlen = true; sparsity = runtime(block_size = 128); "
      "mask = causal;",
      "head_dim = 96; heads = 2; mma = sync; sparsity = runtime(block_size = 128);",
  };
  for (const char *v : variants)
    for (double density : {0.05, 0.2, 0.5, 1.0})
      for (auto [nq, nk] : {std::pair{1000, 1000}, std::pair{17, 1000}, std::pair{4097, 4097}})
        runCase({"runtime blocks " + std::to_string(density).substr(0, 4) + " " + v,
                 std::string("attention rb { ") + v + " }", nq, nk, density},
                rng);
}

TEST_F(GpuForward, BuiltTileClassesMatchTheMask) {
  // The run-time tile classes the forward's builder writes on the GPU
  // (TileClasses.cuh), held against the mask element by element on the CPU
  // (runtime::referenceTileClasses): a tile built Empty keeps no element, a
  // tile built Full masks none; for a block map alone the builder is exact
  // (each tile reads whole blocks), so no tile is left Partial that the map
  // makes Empty or Full. 4097 rows: more than 32 tiles, so the row bounds
  // and next-kept links are built too (Runtime.cpp). `reach[h]` is a length
  // in the check's inputs (1..seq_k); until session 35 it was an id, 0 for
  // every head, and that case kept no key at all.
  std::mt19937_64 rng(std::random_device{}());
  struct TileCase {
    const char *spec;
    bool exact; // the builder must equal the element-wise classes
  };
  const TileCase cases[] = {
      {"head_dim = 128; heads = 2; tensor doc_id : i32[batch, seq_k]; "
       "mask = causal && doc_id[b, q] == doc_id[b, k];", false},
      {"head_dim = 64; heads = 4; kv_heads = 2; tensor prefix_len : i32[batch]; "
       "mask = k < prefix_len[b] || k <= q;", false},
      {"head_dim = 64; heads = 3; tensor reach : i32[heads]; mask = k <= q && q - k < reach[h];",
       false},
      {"head_dim = 64; heads = 2; mask = causal && q / 300 == k / 300;", false},
      {"head_dim = 128; heads = 2; sparsity = runtime(block_size = 128);", true},
      {"head_dim = 64; heads = 2; sparsity = runtime(block_size = 64); mask = causal;", false},
  };
  for (const TileCase &tc : cases) {
    const std::string spec = std::string("attention tc { ") + tc.spec + " }";
    llvm::Expected<std::unique_ptr<Kernel>> kernel = Kernel::fromSpec(spec, "tc.attn", {});
    if (!kernel) {
      ADD_FAILURE() << tc.spec << ": " << llvm::toString(kernel.takeError());
      continue;
    }
    for (auto [nq, nk] : {std::pair{1000, 1000}, std::pair{17, 1000}, std::pair{4097, 4097}}) {
      runtime::CheckOptions opt;
      opt.seqQ = nq;
      opt.seqK = nk;
      opt.seed = rng();
      opt.blockDensity = 0.3;
      opt.checkTileClasses = true;
      llvm::Expected<runtime::CheckReport> r = runtime::checkForward(**kernel, spec, opt);
      if (!r) {
        ADD_FAILURE() << tc.spec << ": " << llvm::toString(r.takeError());
        continue;
      }
      const std::string what = std::string(tc.spec) + " " + r->summary();
      std::printf("%s\n", what.c_str());
      EXPECT_TRUE(r->passed()) << what;
      ASSERT_TRUE(r->tileClassesBuilt) << what << ": no run-time tile classes were built";
      // GQA-packed launches lay their rows out by packed query heads: not
      // compared (the check says so), every other launch is.
      if (r->packedGroup == 1)
        EXPECT_TRUE(r->tileClassesChecked) << what << ": the classes' layout is not the mask's";
      EXPECT_EQ(r->tileClassesWrong, 0) << what << ": tiles whose built class the mask contradicts";
      if (tc.exact)
        EXPECT_EQ(r->tileClassesLoose, 0) << what << ": tiles built partial the map decides";
      // Something to skip and something to compute, or the case tests little.
      EXPECT_GT(r->tileClasses[0] + r->tileClasses[1], 0) << what;
    }
  }
}

} // namespace
