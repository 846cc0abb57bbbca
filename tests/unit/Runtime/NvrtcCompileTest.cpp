//===- NvrtcCompileTest.cpp - every variant compiles, no GPU needed ------===//
//
// NVRTC runs without a GPU: every example spec and a head-dim sweep must
// generate CUDA that compiles to CUBIN for sm_80 and sm_90a. Compile errors
// print NVRTC's whole log.
//
//===----------------------------------------------------------------------===//
#include "CombineKernel.h"
#include "CompilePipeline.h"
#include "JitModule.h"
#include "NvJitLink.h"
#include "flashgen/Runtime/Nvrtc.h"
#include "flashgen/Runtime/Runtime.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

using namespace flashgen;

namespace {

struct Spec {
  std::string name, text;
};

std::vector<Spec> examples() {
  std::vector<Spec> out;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(FLASHGEN_EXAMPLES_DIR, ec), end;
       it != end && !ec; it.increment(ec)) {
    if (!llvm::StringRef(it->path()).ends_with(".attn"))
      continue;
    auto buf = llvm::MemoryBuffer::getFile(it->path());
    out.push_back({llvm::sys::path::stem(it->path()).str(), (*buf)->getBuffer().str()});
  }
  std::sort(out.begin(), out.end(), [](auto &a, auto &b) { return a.name < b.name; });
  return out;
}

void compileFor(const Spec &s, const char *arch) {
  auto gen = generateForward(s.text, s.name + ".attn", arch);
  ASSERT_TRUE(bool(gen)) << s.name << ": " << llvm::toString(gen.takeError());
  auto r = runtime::compileWithNvrtc(gen->second, s.name + ".cu", arch, /*cubin=*/true, {},
                                     /*withPtx=*/true);
  ASSERT_TRUE(bool(r)) << s.name << " for " << arch << ": " << llvm::toString(r.takeError());
  EXPECT_GT(r->cubin.size(), 1000u);
  EXPECT_NE(r->ptx.find(gen->first.entry), std::string::npos);
  EXPECT_NE(r->ptx.find("cp.async"), std::string::npos);
  if (gen->first.tiles.mma == attn::MmaKind::Wgmma) {
    // Warpgroup MMA reads shared memory through descriptors: no ldmatrix.
    // The warp-specialized kernel loads with TMA (the async proxy wgmma
    // reads through), the other after cp.async and a proxy fence.
    EXPECT_EQ(std::string(arch), "sm_90a") << s.name;
    EXPECT_NE(r->ptx.find("wgmma.mma_async.sync.aligned.m64n"), std::string::npos) << s.name;
    EXPECT_NE(r->ptx.find(gen->first.tiles.warpSpecialized ? "cp.async.bulk.tensor.4d"
                                                        : "fence.proxy.async.shared::cta"),
              std::string::npos)
        << s.name;
    if (gen->first.tiles.warpSpecialized) {
      EXPECT_NE(r->ptx.find("setmaxnreg.inc"), std::string::npos) << s.name;
    }
    EXPECT_EQ(r->ptx.find("mma.sync.aligned.m16n8k16"), std::string::npos) << s.name;
  } else {
    EXPECT_NE(r->ptx.find("mma.sync.aligned.m16n8k16"), std::string::npos) << s.name;
    EXPECT_NE(r->ptx.find("ldmatrix"), std::string::npos) << s.name;
  }
}

/// The backward module: every entry present, tensor-core code, and no
/// atomics in the separate deterministic kernels (their guarantee rests on
/// that); a warp-specialized fused kernel, which is also the deterministic
/// path, has no separate kernels and orders its dQ reductions instead.
void compileBackwardFor(const Spec &s, const char *arch) {
  auto gen = generateBackward(s.text, s.name + ".attn", arch);
  ASSERT_TRUE(bool(gen)) << s.name << ": " << llvm::toString(gen.takeError());
  const codegen::KernelSpec &ks = gen->first;
  ASSERT_TRUE(ks.bwdTiles.has_value()) << s.name;
  auto r = runtime::compileWithNvrtc(gen->second, s.name + ".bwd.cu", arch, /*cubin=*/true, {},
                                     /*withPtx=*/true);
  ASSERT_TRUE(bool(r)) << s.name << " backward for " << arch << ": "
                       << llvm::toString(r.takeError());
  const bool orderedFused = ks.fusedIsDeterministic();
  EXPECT_EQ(ks.bwdDKDVEntry.empty(), orderedFused) << s.name;
  // (The wide kernel's dQ is its own q-major wgmma kernel, in bwdDQEntry.)
  EXPECT_EQ(ks.bwdDQEntry.empty(), orderedFused && !ks.bwdWide()) << s.name;
  for (const std::string &e : ks.backwardEntries()) {
    if (!e.empty()) {
      EXPECT_NE(r->ptx.find(".entry " + e), std::string::npos) << s.name << " " << e;
    }
  }
  if (!orderedFused) {
    EXPECT_NE(r->ptx.find("mma.sync.aligned.m16n8k16"), std::string::npos) << s.name;
  }
  // The deterministic kernels' guarantee rests on having no atomics; the
  // fast path's fused kernel sums dQ with them.
  auto body = [&](const std::string &entry) {
    size_t at = r->ptx.find(".entry " + entry);
    size_t end = r->ptx.find(".entry ", at + 1);
    return at == std::string::npos ? std::string() : r->ptx.substr(at, end - at);
  };
  // Every backward module sums split heads' dK/dV planes (BwdParams::kvSplit).
  EXPECT_NE(r->ptx.find(".entry " + ks.bwdConvertDKDVEntry), std::string::npos) << s.name;
  for (const std::string &e : {ks.bwdPreEntry, ks.bwdDKDVEntry, ks.bwdDQEntry, ks.bwdDKEntry,
                               ks.bwdConvertDKDVEntry}) {
    if (e.empty())
      continue;
    std::string text = body(e);
    EXPECT_EQ(text.find("\tatom."), std::string::npos) << s.name << ": atomics in " << e;
    EXPECT_EQ(text.find("\tred."), std::string::npos) << s.name << ": reductions in " << e;
  }
  if (!ks.bwdFusedEntry.empty()) {
    // sm_90 adds pairs (red.global.add.v2.f32), sm_80 single floats; the
    // wgmma kernel hands dQ to the copy engine; the wide one (head dim 256,
    // BwdKernelSm90Wide.cuh) leaves dQ to the q-major wgmma kernel
    // (BwdDqKernelSm90.cuh, checked free of atomics above): no reduction.
    const bool wide = ks.bwdWide();
    const bool wgmma = ks.bwdTiles->mma == attn::MmaKind::Wgmma || wide;
    const char *red = wgmma                           ? "cp.reduce.async.bulk"
                      : std::string(arch) == "sm_90a" ? "red.global.add.v2.f32"
                                                      : "red.global.add.f32";
    if (wide) {
      EXPECT_EQ(body(ks.bwdFusedEntry).find("\tred."), std::string::npos) << s.name;
      EXPECT_EQ(body(ks.bwdFusedEntry).find("\tatom."), std::string::npos) << s.name;
      EXPECT_NE(body(ks.bwdDQEntry).find("wgmma.mma_async"), std::string::npos) << s.name;
      EXPECT_TRUE(ks.bwdConvertDQEntry.empty()) << s.name;
    } else {
      EXPECT_NE(body(ks.bwdFusedEntry).find(red), std::string::npos) << s.name << " " << arch;
      EXPECT_NE(r->ptx.find(".entry " + ks.bwdConvertDQEntry), std::string::npos) << s.name;
    }
    // The wgmma fast path really runs on warpgroup MMA; the deterministic
    // kernels beside it stay on mma.sync.
    EXPECT_EQ(body(ks.bwdFusedEntry).find("wgmma.mma_async") != std::string::npos, wgmma)
        << s.name << " " << arch;
    EXPECT_EQ(body(ks.bwdDKDVEntry).find("wgmma.mma_async"), std::string::npos) << s.name;
    // The warp-specialized one loads by TMA and moves registers to its
    // consumers; the plain one does neither.
    const std::string fused = body(ks.bwdFusedEntry);
    const bool ws = ks.bwdTiles->warpSpecialized || wide;
    EXPECT_EQ(fused.find("cp.async.bulk.tensor.4d") != std::string::npos, ws) << s.name;
    EXPECT_EQ(fused.find("setmaxnreg.inc.sync.aligned.u32 240") != std::string::npos, ws)
        << s.name;
    // Its deterministic mode waits for the key blocks before it (acquire)
    // and lets the next one go (release) around each dQ reduction (the
    // wide kernel has no reduction to order: deterministic as it is).
    const bool ordered = ks.fusedIsDeterministic() && !wide;
    EXPECT_EQ(fused.find("ld.acquire.gpu") != std::string::npos, ordered) << s.name;
    EXPECT_EQ(fused.find("red.release.gpu") != std::string::npos, ordered) << s.name;
  }
}

// The fast path exists for the common head dims (one dK/dV pass) and not
// where dK and dV are split.
TEST(Nvrtc, BackwardFastPathWhereTheTilingAllows) {
  for (int d : {64, 128})
    for (const char *arch : {"sm_80", "sm_90a"}) {
      auto gen = generateBackward("attention a { head_dim = " + std::to_string(d) + "; }",
                                  "a.attn", arch);
      ASSERT_TRUE(bool(gen)) << llvm::toString(gen.takeError());
      EXPECT_FALSE(gen->first.bwdFusedEntry.empty()) << d;
      // sm_90a: the wgmma kernel; before it, the mma.sync kernel's fused form.
      const bool hopper = std::string(arch) == "sm_90a";
      EXPECT_EQ(gen->second.find("attentionBackwardFusedSm90Ws<") != std::string::npos, hopper)
          << d << " " << arch;
      EXPECT_EQ(gen->first.bwdTiles->warpSpecialized, hopper) << d << " " << arch;
      EXPECT_EQ(gen->second.find("AtomicDQ=*/true") != std::string::npos, !hopper)
          << d << " " << arch;
    }
  // Head dims that do not pad to 64 or 128 keep the mma.sync fast path.
  auto odd = generateBackward("attention a { head_dim = 96; }", "a.attn", "sm_90a");
  ASSERT_TRUE(bool(odd)) << llvm::toString(odd.takeError());
  EXPECT_NE(odd->second.find("AtomicDQ=*/true"), std::string::npos);
  // Head dim 256: before sm_90a dK and dV split in the separate
  // (deterministic) kernels, with no fast path; on sm_90a the wide wgmma
  // kernel and the q-major wgmma dQ kernel are both paths (no atomics).
  for (const char *arch : {"sm_80", "sm_90a"}) {
    auto big = generateBackward("attention a { head_dim = 256; }", "a.attn", arch);
    ASSERT_TRUE(bool(big)) << llvm::toString(big.takeError());
    const bool hopper = std::string(arch) == "sm_90a";
    EXPECT_EQ(big->first.bwdDKEntry.empty(), hopper) << arch;
    EXPECT_EQ(big->first.bwdDKDVEntry.empty(), hopper) << arch;
    EXPECT_FALSE(big->first.bwdDQEntry.empty()) << arch;
    EXPECT_EQ(big->first.bwdFusedEntry.empty(), !hopper) << arch;
    EXPECT_EQ(big->first.bwdWide(), hopper) << arch;
    EXPECT_EQ(big->first.fusedIsDeterministic(), hopper) << arch;
    EXPECT_EQ(big->second.find("attentionBackwardFusedSm90Wide<") != std::string::npos, hopper)
        << arch;
    EXPECT_EQ(big->second.find("attentionBackwardDQSm90<") != std::string::npos, hopper)
        << arch;
  }
  // 192 (three atoms: no even split of whole atoms) and unequal dims past
  // 128: the wide kernel's warpgroups split by gradient (one dK, one dV).
  for (const char *dims : {"head_dim = 192;", "qk_head_dim = 192; v_head_dim = 128;",
                           "qk_head_dim = 64; v_head_dim = 256;"}) {
    auto wide = generateBackward(std::string("attention a { ") + dims + " }", "a.attn", "sm_90a");
    ASSERT_TRUE(bool(wide)) << llvm::toString(wide.takeError());
    EXPECT_TRUE(wide->first.bwdWide()) << dims;
    EXPECT_TRUE(bwdWideByGradient(wide->first.paddedQK, wide->first.paddedV)) << dims;
    EXPECT_NE(wide->second.find("one warpgroup dK, one dV"), std::string::npos) << dims;
  }
  // 160 pads to 160 (not whole atoms): the separate kernels.
  auto d160 = generateBackward("attention a { head_dim = 160; }", "a.attn", "sm_90a");
  ASSERT_TRUE(bool(d160)) << llvm::toString(d160.takeError());
  EXPECT_TRUE(d160->first.bwdFusedEntry.empty());
}

// Both wgmma backward families compile (the warp-specialized one is the
// planner's; the plain one on request) and agree with the planner's budget.
TEST(Nvrtc, BothWgmmaBackwardFamilies) {
  for (const char *family : {"true", "false"})
    for (const char *body : {"head_dim = 128; mask = causal;", "head_dim = 64; dropout = 0.1;",
                             "qk_head_dim = 64; v_head_dim = 128; varlen = true;"}) {
      const std::string text = std::string("attention a { bwd_warp_specialized = ") + family +
                               "; " + body + " }";
      compileBackwardFor({"a", text}, "sm_90a");
      auto gen = generateBackward(text, "a.attn", "sm_90a");
      ASSERT_TRUE(bool(gen)) << llvm::toString(gen.takeError());
      EXPECT_EQ(gen->first.bwdTiles->warpSpecialized, std::string(family) == "true") << text;
    }
}

TEST(Nvrtc, EveryExampleBackwardForSm80AndSm90a) {
  for (const Spec &s : examples()) {
    compileBackwardFor(s, "sm_80");
    compileBackwardFor(s, "sm_90a");
  }
}

// Every head dim in backward (large ones split dK and dV into two passes).
TEST(Nvrtc, BackwardCompileUnitsPartitionTheEntries) {
  // The runtime compiles the backward as one program per compile unit
  // (KernelSpec::backwardCompileUnits), side by side: each unit's PTX has
  // exactly its own entries, and every entry is in one unit. Separate
  // kernels (d256: dV, dK, dQ) and the warp-specialized fused one.
  for (const char *text : {"attention u256 { head_dim = 256; mask = causal; }",
                           "attention u64 { head_dim = 64; mask = q - k < 100; }"}) {
    auto gen = generateBackward(text, "units.attn", "sm_90a");
    ASSERT_TRUE(bool(gen)) << llvm::toString(gen.takeError());
    const codegen::KernelSpec &ks = gen->first;
    const std::vector<std::string> names = ks.backwardEntries();
    const std::vector<int> units = ks.backwardCompileUnits();
    const int count = ks.backwardCompileUnitCount();
    EXPECT_GE(count, 2) << text; // the light entries and at least one kernel
    std::vector<int> seen(names.size(), 0);
    for (int u = 0; u < count; ++u) {
      auto r = runtime::compileWithNvrtc(gen->second, "units.bwd.cu", "sm_90a", /*cubin=*/false,
                                         {"-DFLASHGEN_COMPILE_UNIT=" + std::to_string(u)});
      ASSERT_TRUE(bool(r)) << text << " unit " << u << ": " << llvm::toString(r.takeError());
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i].empty())
          continue;
        const bool has = r->ptx.find(".entry " + names[i] + "(") != std::string::npos;
        EXPECT_EQ(has, units[i] == u) << text << ": " << names[i] << " in unit " << u;
        seen[i] += has;
      }
    }
    for (size_t i = 0; i < names.size(); ++i)
      EXPECT_EQ(seen[i], names[i].empty() ? 0 : 1) << text << ": " << names[i];
  }
}

TEST(Nvrtc, ForwardIsOneProgram) {
  // The forward module, its tile-class builder and fp8 transposition
  // included, is one NVRTC program without unit guards: a disk hit then
  // loads one module (KernelSpec::forwardEntries). Both kernel families.
  for (auto [text, arch] :
       {std::pair{"attention f1 { head_dim = 128; tensor doc : i32[batch, seq_k]; "
                  "mask = doc[b, q] == doc[b, k]; }", "sm_90a"},
        std::pair{"attention f2 { head_dim = 64; mask = (q - k) % 4 == 0; }", "sm_80"},
        std::pair{"attention f3 { head_dim = 128; dtype = fp8_e4m3; mask = causal; }", "sm_90a"}}) {
    SCOPED_TRACE(text);
    auto gen = generateForward(text, "units.attn", arch);
    ASSERT_TRUE(bool(gen)) << llvm::toString(gen.takeError());
    const codegen::KernelSpec &ks = gen->first;
    EXPECT_EQ(gen->second.find("FLASHGEN_COMPILE_UNIT"), std::string::npos);
    auto r = runtime::compileWithNvrtc(gen->second, "units.cu", arch, /*cubin=*/false);
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    const std::vector<std::string> names = ks.forwardEntries();
    EXPECT_GE(names.size(), 2u); // f1, f2: a builder; f3: the transposition
    for (const std::string &n : names)
      EXPECT_NE(r->ptx.find(".entry " + n + "("), std::string::npos) << n;
  }
}

// The merge kernels (Merge.cuh: the split-KV combine and mergeAttention's),
// one small module per output dtype and layout, JITted on first use: they
// compile for both families of GPUs, and export their entries.
TEST(Nvrtc, SplitKvCombineCompiles) {
  for (const char *arch : {"sm_80", "sm_90a"})
    for (bool bf16 : {true, false})
      for (bool varlen : {false, true}) {
        SCOPED_TRACE(std::string(arch) + (bf16 ? " bf16" : " f16") + (varlen ? " varlen" : ""));
        auto r = runtime::compileWithNvrtc(runtime::combineSource(bf16, varlen), "combine.cu",
                                           arch);
        ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
        EXPECT_FALSE(r->cubin.empty());
        // The entries' names in the CUBIN's string table (as the JIT
        // compiles it: linked by nvJitLink where available, so no PTX).
        const llvm::StringRef image(r->cubin.data(), r->cubin.size());
        for (const char *entry : {runtime::kCombineEntry, runtime::kMergeEntry})
          EXPECT_TRUE(image.contains(entry)) << entry;
      }
}

TEST(Nvrtc, ForwardWithoutDecodingFeatures) {
  // The JIT's forward for launches that neither split the keys nor page
  // K/V (FwdDecoding.cuh): no fp32 partial results (the split-KV store),
  // no page-table reads, a smaller CUBIN; the same entry. Both kernel
  // families that share the epilogue.
  for (auto [name, arch] : {std::pair{"mha_bf16", "sm_90a"}, std::pair{"key_padding", "sm_90a"},
                            std::pair{"causal", "sm_80"}}) {
    SCOPED_TRACE(std::string(name) + " " + arch);
    auto buf = llvm::MemoryBuffer::getFile(std::string(FLASHGEN_EXAMPLES_DIR) + "/" + name +
                                           ".attn");
    ASSERT_TRUE(bool(buf));
    auto gen = generateForward((*buf)->getBuffer(), std::string(name) + ".attn", arch);
    ASSERT_TRUE(bool(gen)) << llvm::toString(gen.takeError());
    auto full = runtime::compileWithNvrtc(gen->second, "full.cu", arch, /*cubin=*/true, {},
                                          /*withPtx=*/true);
    auto lean = runtime::compileWithNvrtc(runtime::forwardSourceWithoutDecoding(gen->second),
                                          "lean.cu", arch, /*cubin=*/true, {}, /*withPtx=*/true);
    ASSERT_TRUE(bool(full)) << llvm::toString(full.takeError());
    ASSERT_TRUE(bool(lean)) << llvm::toString(lean.takeError());
    // The partials are written as float pairs, the output as 16-bit pairs.
    EXPECT_NE(full->ptx.find("st.global.v2.f32"), std::string::npos);
    EXPECT_EQ(lean->ptx.find("st.global.v2.f32"), std::string::npos);
    EXPECT_NE(lean->ptx.find(".entry " + gen->first.entry), std::string::npos);
    EXPECT_LT(lean->cubin.size(), full->cubin.size());
  }
}

TEST(Nvrtc, CheckedLookupsCompile) {
  // A checked build (JitOptions::checkLookups) of lookups the compiler
  // cannot prove in range, in the mask (run-time tile classes) and the
  // score (and its derivative in the backward): every module compiles, the
  // report's record (inline: its compare-and-swap) is there, and an
  // unchecked build has none.
  const char *text = "attention lk { head_dim = 64; tensor t : i32[4]; tensor bias : f32[8];\n"
                     "  mask = t[k] > 0; score = score + bias[q - k]; }";
  for (const char *arch : {"sm_90a", "sm_80"})
    for (bool backward : {false, true})
      for (bool checked : {true, false}) {
        SCOPED_TRACE(std::string(arch) + (backward ? " backward" : " forward") +
                     (checked ? " checked" : ""));
        std::optional<attn::GpuTarget> target = attn::lookupTarget(arch);
        ASSERT_TRUE(target.has_value());
        auto gen = runtime::generateVariant(text, "lk.attn", *target, backward, nullptr, checked);
        ASSERT_TRUE(bool(gen)) << llvm::toString(gen.takeError());
        EXPECT_EQ(gen->first.checkLookups, checked);
        auto r = runtime::compileWithNvrtc(gen->second, "lk.cu", arch, /*cubin=*/false);
        ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
        EXPECT_EQ(r->ptx.find("atom.global.cas.b32") != std::string::npos, checked);
      }
}

TEST(Nvrtc, EveryHeadDimBackward) {
  for (int d = 8; d <= 256; d += 8)
    compileBackwardFor({"hd" + std::to_string(d),
                        "attention hd { dtype = " + std::string(d % 16 ? "f16" : "bf16") +
                            "; head_dim = " + std::to_string(d) +
                            "; mask = causal; score = 30.0 * tanh(score / 30.0); }"},
                       d % 32 ? "sm_80" : "sm_90a");
}

// The wgmma backward (sm_90a) with head dims that pad to 64/128 and with
// unequal qk and v head dims: its shared-memory layout must match the
// planner's (a static_assert in the generated code).
TEST(Nvrtc, WgmmaBackwardPaddedAndUnequalHeadDims) {
  const char *specs[] = {
      "attention a { head_dim = 40; mask = causal; }",
      "attention a { head_dim = 104; }",
      "attention a { qk_head_dim = 64; v_head_dim = 128; }",
      "attention a { qk_head_dim = 128; v_head_dim = 64; dtype = f16; }",
  };
  for (const char *text : specs) {
    compileBackwardFor({"a", text}, "sm_90a");
    auto gen = generateBackward(text, "a.attn", "sm_90a");
    ASSERT_TRUE(bool(gen)) << llvm::toString(gen.takeError());
    EXPECT_NE(gen->second.find("attentionBackwardFusedSm90"), std::string::npos) << text;
  }
}

TEST(Nvrtc, EveryExampleForSm80) {
  for (const Spec &s : examples())
    compileFor(s, "sm_80");
}

// Three consumer warpgroups (192-row tiles) raise their registers to 160.
TEST(Nvrtc, ThreeConsumerWarpgroups) {
  for (const char *mask : {"", "mask = causal;", "mask = q / 300 == k / 300;"}) {
    const std::string text = std::string("attention three { head_dim = 64; block_m = 192; "
                                         "block_n = 128; warps = 12; warp_specialized = true; ") +
                             mask + " }";
    compileFor({"three", text}, "sm_90a");
    auto gen = generateForward(text, "three.attn", "sm_90a");
    ASSERT_TRUE(bool(gen)) << llvm::toString(gen.takeError());
    EXPECT_EQ(gen->first.tiles.warps, 12);
    auto r = runtime::compileWithNvrtc(gen->second, "three.cu", "sm_90a", /*cubin=*/true, {},
                                       /*withPtx=*/true);
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    EXPECT_NE(r->ptx.find("setmaxnreg.inc.sync.aligned.u32 160"), std::string::npos) << mask;
    EXPECT_NE(r->ptx.find(".maxntid 512, 1, 1"), std::string::npos) << mask;
  }
}

TEST(Nvrtc, EveryExampleForSm90a) {
  for (const Spec &s : examples())
    compileFor(s, "sm_90a");
}

// On sm_90a the planner picks wgmma where it can; `mma = sync` keeps the
// mma.sync kernel, which must compile there too.
TEST(Nvrtc, EveryExampleForSm90aWithMmaSync) {
  for (Spec s : examples()) {
    s.text.insert(s.text.find('{') + 1, " mma = sync;");
    compileFor(s, "sm_90a");
  }
}

TEST(Nvrtc, PicksWgmmaOnlyWhereItRuns) {
  auto pick = [](const std::string &body, const char *arch) {
    return generateForward("attention a { " + body + " }", "a.attn", arch);
  };
  auto d128 = pick("head_dim = 128;", "sm_90a");
  ASSERT_TRUE(bool(d128)) << llvm::toString(d128.takeError());
  EXPECT_EQ(d128->first.tiles.mma, attn::MmaKind::Wgmma);
  EXPECT_NE(d128->second.find("attentionForwardSm90"), std::string::npos);
  auto d96 = pick("head_dim = 96;", "sm_90a");
  ASSERT_TRUE(bool(d96)) << llvm::toString(d96.takeError());
  EXPECT_EQ(d96->first.tiles.mma, attn::MmaKind::Sync);
  auto onAmpere = pick("head_dim = 64;", "sm_80");
  ASSERT_TRUE(bool(onAmpere)) << llvm::toString(onAmpere.takeError());
  EXPECT_EQ(onAmpere->first.tiles.mma, attn::MmaKind::Sync);
  // Asking for wgmma where it cannot run is an error that says why.
  auto forced = pick("head_dim = 64; mma = wgmma;", "sm_80");
  ASSERT_FALSE(bool(forced));
  EXPECT_NE(llvm::toString(forced.takeError()).find("wgmma needs sm_90a"), std::string::npos);
  auto forced96 = pick("head_dim = 96; mma = wgmma;", "sm_90a");
  ASSERT_FALSE(bool(forced96));
  EXPECT_NE(llvm::toString(forced96.takeError()).find("padded to 64, 128, 192 or 256"), std::string::npos);
}

// Every head dim, both targets, both dtypes, a mask and a score modifier.
TEST(Nvrtc, EveryHeadDimForSm80AndSm90a) {
  for (int d = 8; d <= 256; d += 8) {
    compileFor({"hd" + std::to_string(d),
                "attention hd { dtype = f16; head_dim = " + std::to_string(d) +
                    "; mask = sliding_window(left = 100); }"},
               "sm_90a");
    compileFor({"hd" + std::to_string(d),
                "attention hd { dtype = bf16; head_dim = " + std::to_string(d) +
                    "; mask = causal; score = 30.0 * tanh(score / 30.0); }"},
               "sm_80");
  }
}

// NVRTC emits every namespace-scope and static constexpr constant of the
// templates as a .global variable, which the driver allocates and relocates
// at each module load (NvJitLink.h); the CUBINs the JIT loads are linked
// from LTO-IR without those no code reads.
TEST(Nvrtc, LinkedCubinsHoldNoUnusedConstants) {
  if (!runtime::linksWithNvJitLink())
    GTEST_SKIP() << "no nvJitLink beside this NVRTC: the JIT loads NVRTC's CUBINs";
  for (const char *name : {"causal", "document_mask"}) {
    SCOPED_TRACE(name);
    auto buf = llvm::MemoryBuffer::getFile(std::string(FLASHGEN_EXAMPLES_DIR) + "/" + name +
                                           ".attn");
    ASSERT_TRUE(bool(buf));
    for (bool backward : {false, true}) {
      auto gen = backward ? generateBackward((*buf)->getBuffer(), name, "sm_90a")
                          : generateForward((*buf)->getBuffer(), name, "sm_90a");
      ASSERT_TRUE(bool(gen)) << llvm::toString(gen.takeError());
      auto linked = runtime::compileWithNvrtc(gen->second, "l.cu", "sm_90a");
      auto direct = runtime::compileWithNvrtc(gen->second, "d.cu", "sm_90a", /*cubin=*/true, {},
                                              /*withPtx=*/true);
      ASSERT_TRUE(bool(linked)) << llvm::toString(linked.takeError());
      ASSERT_TRUE(bool(direct)) << llvm::toString(direct.takeError());
      const llvm::StringRef l(linked->cubin.data(), linked->cubin.size()),
          d(direct->cubin.data(), direct->cubin.size());
      EXPECT_TRUE(d.contains(".nv.global")) << "NVRTC's own CUBIN";
      EXPECT_FALSE(l.contains(".nv.global")) << "the linked CUBIN";
      EXPECT_TRUE(linked->ptx.empty());
      // The link's share of the compile is reported (JitStats::linkSeconds).
      EXPECT_GT(linked->linkSeconds, 0.0);
      EXPECT_LE(linked->linkSeconds, linked->seconds);
      EXPECT_EQ(direct->linkSeconds, 0.0);
      const std::vector<std::string> entries =
          backward ? gen->first.backwardEntries() : gen->first.forwardEntries();
      for (const std::string &e : entries)
        if (!e.empty()) {
          EXPECT_TRUE(l.contains(e)) << e;
        }
    }
  }
}

// A link that fails says why, with nvJitLink's own words (compileWithNvrtc
// then falls back to NVRTC's CUBIN).
TEST(Nvrtc, LinkFailuresNameTheCause) {
  if (!runtime::linksWithNvJitLink())
    GTEST_SKIP() << "no nvJitLink beside this NVRTC";
  auto bad = runtime::linkLtoIr(llvm::ArrayRef<char>("not LTO-IR", 10), "sm_90a");
  ASSERT_FALSE(bool(bad));
  std::string msg = llvm::toString(bad.takeError());
  EXPECT_NE(msg.find("nvJitLinkAddData failed"), std::string::npos) << msg;
  auto option = runtime::linkLtoIr(llvm::ArrayRef<char>("x", 1), "sm_90a", {"-no-such-option"});
  ASSERT_FALSE(bool(option));
  msg = llvm::toString(option.takeError());
  EXPECT_NE(msg.find("nvJitLinkCreate failed"), std::string::npos) << msg;
}

// A failed link is not tried again in the process: NVRTC's CUBINs from
// then on (each failure costs NVVM's time before NVRTC compiles again).
// The program here compiles to LTO-IR and fails only at the link (a
// device function nobody defines); NVRTC's own CUBIN fails too.
TEST(Nvrtc, AFailedLinkIsNotRetried) {
  if (!runtime::linksWithNvJitLink())
    GTEST_SKIP() << "no nvJitLink beside this NVRTC";
  const char *undefined = "extern __device__ int flashgenUndefined(int);\n"
                          "extern \"C\" __global__ void k(int *p) { p[0] = flashgenUndefined(p[1]); }\n";
  auto bad = runtime::compileWithNvrtc(undefined, "undefined.cu", "sm_90a");
  ASSERT_FALSE(bool(bad));
  std::string msg = llvm::toString(bad.takeError());
  EXPECT_NE(msg.find("undefined.cu"), std::string::npos) << msg;
  EXPECT_FALSE(runtime::linksWithNvJitLink());
  auto good = runtime::compileWithNvrtc("extern \"C\" __global__ void k(int *p) { p[0] = 1; }",
                                        "good.cu", "sm_90a");
  ASSERT_TRUE(bool(good)) << llvm::toString(good.takeError());
  EXPECT_EQ(good->linkSeconds, 0.0) << "linked after a failed link";
  EXPECT_FALSE(good->ptx.empty()) << "NVRTC's CUBIN comes with its PTX";
  runtime::resetNvJitLinkFailure();
  EXPECT_TRUE(runtime::linksWithNvJitLink());
  auto linked = runtime::compileWithNvrtc("extern \"C\" __global__ void k(int *p) { p[0] = 1; }",
                                          "again.cu", "sm_90a");
  ASSERT_TRUE(bool(linked)) << llvm::toString(linked.takeError());
  EXPECT_GT(linked->linkSeconds, 0.0);
}

TEST(Nvrtc, ReportsCompileErrorsWithTheLog) {
  auto r = runtime::compileWithNvrtc("this is not CUDA", "bad.cu", "sm_90a");
  ASSERT_FALSE(bool(r));
  std::string msg = llvm::toString(r.takeError());
  EXPECT_NE(msg.find("NVRTC failed to compile bad.cu for sm_90a"), std::string::npos) << msg;
  EXPECT_NE(msg.find("error"), std::string::npos) << msg;
}

TEST(Nvrtc, RefusesUnknownArch) {
  auto gen = generateForward("attention a { head_dim = 64; }", "a.attn", "sm_99");
  ASSERT_FALSE(bool(gen));
  EXPECT_NE(llvm::toString(gen.takeError()).find("unknown architecture 'sm_99'"),
            std::string::npos);
}

} // namespace

TEST(Nvrtc, PackedQueryHeadsCompile) {
  // The variants the runtime JITs for GQA packing (PackedLaunch.h): every
  // mask and score modifier rewritten in the packed launch's terms
  // compiles, with one query row per head and with several.
  const char *texts[] = {
      "attention d { head_dim = 128; heads = 32; kv_heads = 8; mask = causal(bottom_right); }",
      "attention a { head_dim = 128; heads = 16; kv_heads = 4; tensor slopes : f32[heads];\n"
      "  mask = causal(bottom_right); score = score - slopes[h] * float(q + seq_k - seq_q - k); }",
      "attention w { head_dim = 64; tensor doc : i32[batch, seq_k];\n"
      "  mask = sliding_window(left = 300) && doc[b, k] > 0; }"};
  for (const char *text : texts)
    for (bool single : {true, false}) {
      SCOPED_TRACE(std::string(text) + (single ? " single" : " rows"));
      std::optional<attn::GpuTarget> target = attn::lookupTarget("sm_90a");
      ASSERT_TRUE(target.has_value());
      PackedQueryHeads pack;
      pack.group = 4;
      pack.heads = 8; // the launch's, where the spec leaves heads open
      pack.singleQuery = single;
      auto gen = runtime::generateVariant(text, "p.attn", *target, false, nullptr, false, pack);
      ASSERT_TRUE(bool(gen)) << llvm::toString(gen.takeError());
      auto r = runtime::compileWithNvrtc(gen->second, "p.cu", "sm_90a", /*cubin=*/false);
      ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    }
}
