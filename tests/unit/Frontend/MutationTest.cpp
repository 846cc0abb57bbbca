//===- MutationTest.cpp - no input crashes or hangs the frontend ----------===//
//
// Thousands of mutated and truncated versions of the example specs go
// through the whole frontend (parse, Sema, lowering, verification). Every
// one must end either in verified IR with no errors, or in at least one
// located diagnostic — never a crash, a hang (ctest's timeout), or errors
// counted without being printed. Clean results must also round-trip through
// MLIR's parser.
//
// The seed is fixed so CI is reproducible; set FLASHGEN_MUTATION_SEED and
// FLASHGEN_MUTATION_COUNT to explore more.
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <random>

using namespace flashgen;

namespace {

std::vector<std::string> loadExamples() {
  std::vector<std::string> out;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(FLASHGEN_EXAMPLES_DIR, ec), end;
       it != end && !ec; it.increment(ec)) {
    if (!llvm::StringRef(it->path()).ends_with(".attn"))
      continue;
    if (auto buf = llvm::MemoryBuffer::getFile(it->path()))
      out.push_back((*buf)->getBuffer().str());
  }
  std::sort(out.begin(), out.end()); // directory order is not stable
  return out;
}

/// Fragments that are likely to produce interesting near-valid programs.
const char *const kFragments[] = {
    "(", ")", "[", "]", "{", "}", ";", ",", "=", "==", "&&", "||", "!", "?",
    ":", "-", "+", "*", "/", "%", "<", "<=", "q", "k", "b", "h", "score",
    "causal", "causal(bottom_right)", "sliding_window(left = 4)", "none",
    "key_padding", "tensor t : f32[heads];", "t[h]", "mask = ", "score = ",
    "head_dim = 64;", "dtype = f16;", "heads = 4;", "kv_heads = 3;",
    "attention x {", "0", "-1", "2147483647", "99999999999", "1e400", "0.5",
    "true", "false", "tanh(", "clamp(q, 0)", "float(", "layout([[1]])",
    "sparsity = ", "passes = ", "target = ", "varlen = ", "\xff", "\0", "#",
    "//", "\n", " ", "$", "&", "|", "sm_90a", "bf16", "fp8_e4m3"};

std::string mutate(const std::string &in, std::mt19937_64 &rng) {
  std::string s = in;
  auto pick = [&](size_t n) { return n ? std::uniform_int_distribution<size_t>(0, n - 1)(rng) : 0; };
  unsigned edits = 1 + pick(4);
  for (unsigned e = 0; e < edits; ++e) {
    size_t pos = pick(s.size() + 1);
    switch (pick(6)) {
    case 0: // truncate
      s.resize(pos);
      break;
    case 1: { // delete a span
      size_t len = 1 + pick(12);
      s.erase(pos, std::min(len, s.size() - std::min(pos, s.size())));
      break;
    }
    case 2: { // insert a fragment
      const char *f = kFragments[pick(std::size(kFragments))];
      s.insert(pos, f[0] ? std::string(f) : std::string(1, '\0'));
      break;
    }
    case 3: // replace one byte with a random byte
      if (!s.empty())
        s[pick(s.size())] = static_cast<char>(pick(256));
      break;
    case 4: { // duplicate a span
      size_t len = 1 + pick(40);
      if (pos < s.size())
        s.insert(pos, s.substr(pos, len));
      break;
    }
    default: { // swap two spans (reorders tokens and lines)
      if (s.size() > 8) {
        size_t a = pick(s.size() - 4), b = pick(s.size() - 4), len = 1 + pick(4);
        for (size_t i = 0; i < len && a + i < s.size() && b + i < s.size(); ++i)
          std::swap(s[a + i], s[b + i]);
      }
      break;
    }
    }
  }
  return s;
}

size_t envOr(const char *name, size_t fallback) {
  const char *v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

TEST(Mutation, EveryMutantEndsInIROrDiagnostics) {
  std::vector<std::string> examples = loadExamples();
  ASSERT_GE(examples.size(), 18u);
  uint64_t seed = envOr("FLASHGEN_MUTATION_SEED", 20261124);
  size_t count = envOr("FLASHGEN_MUTATION_COUNT", 20000);
  std::mt19937_64 rng(seed);
  auto ctx = test::makeContext();

  size_t clean = 0, rejected = 0;
  for (size_t i = 0; i < count; ++i) {
    const std::string &base = examples[i % examples.size()];
    std::string input = mutate(base, rng);
    test::Source src(input, "mutant.attn");
    FrontendResult r = test::compile(src, *ctx);
    if (r.numErrors == 0) {
      ASSERT_TRUE(r.module) << "seed " << seed << " case " << i << ":\n" << input;
      std::string printed;
      llvm::raw_string_ostream os(printed);
      r.module->print(os);
      ASSERT_TRUE(mlir::parseSourceString<mlir::ModuleOp>(printed, ctx.get()))
          << "printed IR does not re-parse, seed " << seed << " case " << i
          << ":\n" << input << "\n---\n" << printed;
      ++clean;
    } else {
      ASSERT_FALSE(r.module);
      // Every counted error was printed with a location.
      ASSERT_NE(src.diagText.find("error: "), std::string::npos)
          << "errors counted but none printed, seed " << seed << " case " << i
          << ":\n" << input;
      ++rejected;
    }
  }
  // Both outcomes must be exercised, or the mutator is too weak (or too
  // strong) to test anything.
  EXPECT_GT(clean, count / 50) << "too few mutants stayed valid";
  EXPECT_GT(rejected, count / 2) << "too few mutants were rejected";
  std::printf("mutation: %zu cases (seed %llu): %zu valid, %zu rejected\n", count,
              static_cast<unsigned long long>(seed), clean, rejected);
}

/// Every prefix of every example: truncation at each byte.
TEST(Mutation, EveryTruncationOfEveryExample) {
  auto ctx = test::makeContext();
  size_t cases = 0;
  for (const std::string &ex : loadExamples()) {
    for (size_t n = 0; n < ex.size(); n += 3) {
      test::Source src(llvm::StringRef(ex.data(), n), "prefix.attn");
      FrontendResult r = test::compile(src, *ctx);
      ASSERT_TRUE(r.numErrors == 0 ? bool(r.module) : !src.diagText.empty())
          << llvm::StringRef(ex.data(), n).str();
      ++cases;
    }
  }
  std::printf("truncation: %zu cases\n", cases);
  EXPECT_GT(cases, 1000u);
}

} // namespace
