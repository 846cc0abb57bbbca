//===- KernelSpecJsonTest.cpp - the spec index's KernelSpec round trip ---===//
//
// A new process that finds a spec in the kernel cache's index launches with
// the KernelSpec read back from JSON instead of the one codegen builds: for
// every example (forward and backward), every field must come back equal;
// a damaged document is refused with the field it lacks.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Codegen/KernelSpecJson.h"
#include "flashgen/Runtime/Runtime.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

using namespace flashgen;
using namespace flashgen::codegen;

namespace {

void expectSameTiles(const attn::TileConfig &a, const attn::TileConfig &b) {
  EXPECT_EQ(a.blockM, b.blockM);
  EXPECT_EQ(a.blockN, b.blockN);
  EXPECT_EQ(a.warps, b.warps);
  EXPECT_EQ(a.stages, b.stages);
  EXPECT_EQ(a.qInRegisters, b.qInRegisters);
  EXPECT_EQ(a.mma, b.mma);
  EXPECT_EQ(a.warpSpecialized, b.warpSpecialized);
  EXPECT_EQ(a.smemBytes, b.smemBytes);
  EXPECT_EQ(a.regsPerThread, b.regsPerThread);
  EXPECT_EQ(a.ctasPerSM, b.ctasPerSM);
}

void expectSame(const KernelSpec &a, const KernelSpec &b) {
  EXPECT_EQ(a.variant, b.variant);
  EXPECT_EQ(a.entry, b.entry);
  EXPECT_EQ(a.bf16, b.bf16);
  EXPECT_EQ(a.fp8, b.fp8);
  EXPECT_EQ(a.fp8TransposeEntry, b.fp8TransposeEntry);
  EXPECT_EQ(a.headDimQK, b.headDimQK);
  EXPECT_EQ(a.headDimV, b.headDimV);
  EXPECT_EQ(a.paddedQK, b.paddedQK);
  EXPECT_EQ(a.paddedV, b.paddedV);
  expectSameTiles(a.tiles, b.tiles);
  ASSERT_EQ(a.bwdTiles.has_value(), b.bwdTiles.has_value());
  if (a.bwdTiles)
    expectSameTiles(*a.bwdTiles, *b.bwdTiles);
  EXPECT_EQ(a.backwardEntries(), b.backwardEntries());
  EXPECT_EQ(a.varlen, b.varlen);
  EXPECT_EQ(a.hasMask, b.hasMask);
  EXPECT_EQ(a.hasScoreMod, b.hasScoreMod);
  EXPECT_EQ(a.hasDropout, b.hasDropout);
  EXPECT_EQ(a.scale, b.scale);
  EXPECT_EQ(a.dropout, b.dropout);
  EXPECT_EQ(a.band, b.band);
  EXPECT_EQ(a.bottomRight, b.bottomRight);
  EXPECT_EQ(a.bandLower, b.bandLower);
  EXPECT_EQ(a.bandUpper, b.bandUpper);
  EXPECT_EQ(a.kvHeadsRatio, b.kvHeadsRatio);
  EXPECT_EQ(a.tileClassEntry, b.tileClassEntry);
  EXPECT_EQ(a.maskUsesHead, b.maskUsesHead);
  EXPECT_EQ(a.forwardEntries(), b.forwardEntries());
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].name, b.tensors[i].name);
    EXPECT_EQ(a.tensors[i].isFloat, b.tensors[i].isFloat);
    EXPECT_EQ(a.tensors[i].dims, b.tensors[i].dims);
  }
  ASSERT_EQ(a.lookupSites.size(), b.lookupSites.size());
  for (size_t i = 0; i < a.lookupSites.size(); ++i) {
    EXPECT_EQ(a.lookupSites[i].text, b.lookupSites[i].text);
    EXPECT_EQ(a.lookupSites[i].tensor, b.lookupSites[i].tensor);
  }
  EXPECT_EQ(a.checkLookups, b.checkLookups);
}

/// `spec` through JSON text, as the spec index stores it, and back.
void expectRoundTrips(const KernelSpec &spec) {
  std::string text = llvm::formatv("{0}", kernelSpecToJson(spec));
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(text);
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  llvm::Expected<KernelSpec> back = kernelSpecFromJson(*parsed);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  expectSame(spec, *back);
}

// The lookups a checked build reports by number: the mask's, then the
// score's, each named with its spec location and the tensor it reads.
TEST(KernelSpecJson, LookupSitesAreNumberedAndNamed) {
  auto gen = generateForward("attention a { head_dim = 64; tensor t : i32[4];\n"
                             "  tensor bias : f32[8];\n  score = score + bias[q - k];\n"
                             "  mask = t[k] > 0 && t[q] > 0; }",
                             "sites.attn", "sm_90a");
  ASSERT_TRUE(bool(gen)) << llvm::toString(gen.takeError());
  const std::vector<LookupSite> &s = gen->first.lookupSites;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].text, "t in mask at sites.attn:4:10");
  EXPECT_EQ(s[0].tensor, 0);
  EXPECT_EQ(s[1].text, "t in mask at sites.attn:4:22");
  EXPECT_EQ(s[2].text, "bias in score at sites.attn:3:19");
  EXPECT_EQ(s[2].tensor, 1);
  EXPECT_FALSE(gen->first.checkLookups); // a build asks for it (JitOptions)
}

TEST(KernelSpecJson, EveryExampleRoundTrips) {
  std::error_code ec;
  int seen = 0;
  for (llvm::sys::fs::directory_iterator it(FLASHGEN_EXAMPLES_DIR, ec), end; it != end && !ec;
       it.increment(ec)) {
    if (llvm::sys::path::extension(it->path()) != ".attn")
      continue;
    auto buf = llvm::MemoryBuffer::getFile(it->path());
    ASSERT_TRUE(bool(buf)) << it->path();
    for (bool backward : {false, true}) {
      auto gen = backward ? generateBackward((*buf)->getBuffer(), it->path(), "sm_90a")
                          : generateForward((*buf)->getBuffer(), it->path(), "sm_90a");
      ASSERT_TRUE(bool(gen)) << it->path() << ": " << llvm::toString(gen.takeError());
      SCOPED_TRACE(it->path() + (backward ? " backward" : " forward"));
      expectRoundTrips(gen->first);
      ++seen;
    }
  }
  EXPECT_GT(seen, 30);
}

// fp8 inputs: the flag and the V transposition's entry survive the index
// (a cache hit once lost them and launched the fp8 kernel as bf16).
TEST(KernelSpecJson, Fp8RoundTrips) {
  auto gen = generateForward("attention f8 { dtype = fp8_e4m3; head_dim = 128; }", "f8.attn",
                             "sm_90a");
  ASSERT_TRUE(bool(gen)) << llvm::toString(gen.takeError());
  EXPECT_TRUE(gen->first.fp8);
  EXPECT_EQ(gen->first.forwardEntries().back(), gen->first.fp8TransposeEntry);
  expectRoundTrips(gen->first);
}

// Masks that read int tensors or have any residual beyond a band get
// run-time tile classes, per batch entry unless the mask reads the head;
// a bare band (with float lookups in the score) or no mask do not.
TEST(KernelSpecJson, RuntimeTileClassesWhereTheMaskReadsIntTensors) {
  struct Case {
    const char *spec;
    bool classes, perHead;
  } cases[] = {
      {"attention a { head_dim = 64; tensor doc_id : i32[batch, seq_k]; "
       "mask = causal && doc_id[b, q] == doc_id[b, k]; }", true, false},
      {"attention a { head_dim = 64; heads = 4; tensor win : i32[heads]; "
       "mask = q - k <= win[h]; }", true, true},
      {"attention a { head_dim = 64; tensor bias : f32[heads, 255]; mask = causal; "
       "score = score + bias[h, clamp(k - q, -127, 127) + 127]; }", false, false},
      {"attention a { head_dim = 64; mask = causal; }", false, false},
      {"attention a { head_dim = 64; mask = causal && q / 1000 == k / 1000; }", true, false},
      {"attention a { head_dim = 64; }", false, false},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.spec);
    auto gen = generateForward(c.spec, "a.attn", "sm_90a");
    ASSERT_TRUE(bool(gen)) << llvm::toString(gen.takeError());
    EXPECT_EQ(gen->first.runtimeTileClasses(), c.classes);
    EXPECT_EQ(gen->first.maskUsesHead, c.perHead);
    EXPECT_EQ(gen->first.forwardEntries().size(), c.classes ? 2u : 1u);
    EXPECT_EQ(gen->second.find("buildTileClasses") != std::string::npos, c.classes);
  }
}

TEST(KernelSpecJson, DamagedDocumentsNameTheField) {
  auto gen = generateForward("attention a { head_dim = 64; }", "a.attn", "sm_90a");
  ASSERT_TRUE(bool(gen)) << llvm::toString(gen.takeError());
  llvm::json::Value v = kernelSpecToJson(gen->first);
  v.getAsObject()->erase("entry");
  llvm::Expected<KernelSpec> noEntry = kernelSpecFromJson(v);
  ASSERT_FALSE(bool(noEntry));
  EXPECT_NE(llvm::toString(noEntry.takeError()).find("'entry'"), std::string::npos);
  llvm::json::Value w = kernelSpecToJson(gen->first);
  (*w.getAsObject()->getObject("tiles"))["warps"] = "four";
  llvm::Expected<KernelSpec> badTiles = kernelSpecFromJson(w);
  ASSERT_FALSE(bool(badTiles));
  EXPECT_NE(llvm::toString(badTiles.takeError()).find("tiles has no integer 'warps'"),
            std::string::npos);
  llvm::Expected<KernelSpec> notObject = kernelSpecFromJson(llvm::json::Value(3));
  ASSERT_FALSE(bool(notObject));
  llvm::consumeError(notObject.takeError());
}

} // namespace
