//===- KernelCacheTest.cpp - hits, misses, corruption, concurrency --------===//
#include "flashgen/Runtime/KernelCache.h"
#include "flashgen/Runtime/CompilerSourceHash.h"
#include "flashgen/Runtime/EmbeddedTemplates.h"
#include "llvm/ADT/StringExtras.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cstring>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

using namespace flashgen::runtime;

namespace {

struct TempDir {
  TempDir() { llvm::sys::fs::createUniqueDirectory("flashgen-cache-test", path); }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
  llvm::SmallString<128> path;
};

/// A looked-up payload's bytes; empty for a miss.
std::vector<char> bytesOf(const std::unique_ptr<llvm::MemoryBuffer> &b) {
  if (!b)
    return {};
  llvm::ArrayRef<char> a = KernelCache::bytes(*b);
  return std::vector<char>(a.begin(), a.end());
}

std::vector<char> payload(size_t n, char seed) {
  std::vector<char> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = char(seed + i * 7);
  return v;
}

TEST(KernelCache, KeyChangesWithEveryInput) {
  std::string base = KernelCache::makeKey("src", "sm_90a", {"-O3"}, "13.0");
  EXPECT_EQ(base, KernelCache::makeKey("src", "sm_90a", {"-O3"}, "13.0"));
  EXPECT_NE(base, KernelCache::makeKey("src2", "sm_90a", {"-O3"}, "13.0"));
  EXPECT_NE(base, KernelCache::makeKey("src", "sm_80", {"-O3"}, "13.0"));
  EXPECT_NE(base, KernelCache::makeKey("src", "sm_90a", {"-O2"}, "13.0"));
  EXPECT_NE(base, KernelCache::makeKey("src", "sm_90a", {"-O3"}, "13.1"));
  // Field boundaries matter: ("ab","c") is not ("a","bc").
  EXPECT_NE(KernelCache::makeKey("x", "ab", {"c"}, "v"),
            KernelCache::makeKey("x", "a", {"bc"}, "v"));
  EXPECT_EQ(base.size(), 64u);
}

TEST(KernelCache, MissThenMemoryHitThenDiskHit) {
  TempDir dir;
  KernelCache cache(std::string(dir.path));
  std::string key = KernelCache::makeKey("k", "sm_90a", {}, "1");
  EXPECT_FALSE(cache.lookup(key));
  EXPECT_EQ(cache.misses, 1u);
  ASSERT_FALSE(bool(cache.store(key, payload(1000, 3))));
  EXPECT_EQ(bytesOf(cache.lookup(key)), payload(1000, 3));
  EXPECT_EQ(cache.memoryHits, 1u);
  // A new process (a fresh cache object) finds it on disk.
  KernelCache again(std::string(dir.path));
  EXPECT_EQ(bytesOf(again.lookup(key)), payload(1000, 3));
  EXPECT_EQ(again.diskHits, 1u);
}

TEST(KernelCache, CorruptOrTruncatedEntriesAreRejectedAndRemoved) {
  TempDir dir;
  std::string key = KernelCache::makeKey("k", "sm_90a", {}, "1");
  {
    KernelCache cache(std::string(dir.path));
    ASSERT_FALSE(bool(cache.store(key, payload(4096, 1))));
  }
  std::string path = KernelCache(std::string(dir.path)).entryPath(key);
  auto rewrite = [&](auto mutate) {
    auto buf = llvm::MemoryBuffer::getFile(path, false, false);
    ASSERT_TRUE(bool(buf));
    std::string data = (*buf)->getBuffer().str();
    mutate(data);
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << data;
  };
  // Flip one payload byte: the checksum catches it.
  rewrite([](std::string &d) { d[d.size() - 10] ^= 1; });
  KernelCache c1(std::string(dir.path));
  EXPECT_FALSE(c1.lookup(key));
  EXPECT_EQ(c1.corrupt, 1u);
  EXPECT_FALSE(llvm::sys::fs::exists(path)) << "corrupt entry must be removed";

  // Truncated entry.
  ASSERT_FALSE(bool(c1.store(key, payload(4096, 1))));
  rewrite([](std::string &d) { d.resize(d.size() / 2); });
  KernelCache c2(std::string(dir.path));
  EXPECT_FALSE(c2.lookup(key));
  EXPECT_EQ(c2.corrupt, 1u);

  // Garbage header, and an entry stored under another key.
  ASSERT_FALSE(bool(c2.store(key, payload(64, 2))));
  rewrite([](std::string &d) { d = "garbage"; });
  KernelCache c3(std::string(dir.path));
  EXPECT_FALSE(c3.lookup(key));
  std::string other = KernelCache::makeKey("other", "sm_90a", {}, "1");
  ASSERT_FALSE(bool(c3.store(other, payload(64, 2))));
  llvm::sys::fs::copy_file(c3.entryPath(other), path);
  KernelCache c4(std::string(dir.path));
  EXPECT_FALSE(c4.lookup(key)) << "an entry must carry its own key";
  // After a rejection the slot is rebuilt normally.
  ASSERT_FALSE(bool(c4.store(key, payload(64, 5))));
  EXPECT_EQ(bytesOf(KernelCache(std::string(dir.path)).lookup(key)), payload(64, 5));
}

TEST(KernelCache, ConcurrentThreadsStoreAndLoad) {
  TempDir dir;
  KernelCache cache(std::string(dir.path));
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string key = KernelCache::makeKey(std::to_string(i % 10), "sm_90a", {}, "1");
        std::vector<char> want = payload(2000 + (i % 10), char(i % 10));
        if (auto got = cache.lookup(key)) {
          wrong += bytesOf(got) != want;
        } else if (cache.store(key, want)) {
          wrong += 1;
        }
        (void)t;
      }
    });
  for (auto &th : threads)
    th.join();
  EXPECT_EQ(wrong, 0);
  // Every entry on disk is whole.
  KernelCache fresh(std::string(dir.path));
  for (int i = 0; i < 10; ++i) {
    std::string key = KernelCache::makeKey(std::to_string(i), "sm_90a", {}, "1");
    auto got = fresh.lookup(key);
    ASSERT_TRUE(got) << i;
    EXPECT_EQ(bytesOf(got), payload(2000 + i, char(i)));
  }
  EXPECT_EQ(fresh.corrupt, 0u);
}

// A directory that cannot be written (here: its parent is a file, which
// stops root too; a read-only or full disk takes the same path): every
// entry still serves from memory, and the failure is a warning printed
// once, not per compilation.
TEST(KernelCache, UnwritableDirectoryDegradesToMemoryWithOneWarning) {
  TempDir dir;
  llvm::SmallString<128> file(dir.path);
  llvm::sys::path::append(file, "not-a-directory");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    ASSERT_FALSE(ec);
    os << "x";
  }
  llvm::SmallString<128> cacheDir(file);
  llvm::sys::path::append(cacheDir, "cache");
  KernelCache cache{std::string(cacheDir)};
  testing::internal::CaptureStderr();
  for (int i = 0; i < 3; ++i) {
    std::string key = KernelCache::makeKey(std::to_string(i), "sm_90a", {}, "1");
    llvm::Error e = cache.store(key, payload(100, char(i)));
    EXPECT_TRUE(bool(e));
    llvm::consumeError(std::move(e));
    EXPECT_EQ(bytesOf(cache.lookup(key)), payload(100, char(i)));
  }
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(cache.diskFailures, 3u);
  size_t warnings = 0;
  for (size_t at = err.find("warning:"); at != std::string::npos; at = err.find("warning:", at + 1))
    ++warnings;
  EXPECT_EQ(warnings, 1u) << err;
  EXPECT_NE(err.find(std::string(cacheDir)), std::string::npos) << err;
  EXPECT_NE(err.find("stay in memory"), std::string::npos) << err;
}

// 8 processes x 8 threads storing and loading overlapping entries in one
// directory: no reader sees a partial or foreign entry, every entry ends
// whole on disk.
TEST(KernelCache, ConcurrentProcessesAndThreads) {
  TempDir dir;
  const std::string path(dir.path);
  auto keyOf = [](int i) { return KernelCache::makeKey(std::to_string(i), "sm_90a", {}, "1"); };
  auto want = [](int i) { return payload(20000 + 37 * i, char(i)); };
  std::vector<pid_t> children;
  for (int p = 0; p < 8; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      KernelCache cache(path); // a process of its own
      std::atomic<int> wrong{0};
      std::vector<std::thread> threads;
      for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
          for (int n = 0; n < 60; ++n) {
            const int i = (n * 7 + t + p) % 16;
            if (n % 5 == 0)
              cache.clearMemory(); // read from disk again
            if (std::unique_ptr<llvm::MemoryBuffer> got = cache.lookup(keyOf(i)))
              wrong += bytesOf(got) != want(i);
            else if (llvm::Error e = cache.store(keyOf(i), want(i))) {
              llvm::consumeError(std::move(e));
              ++wrong;
            }
          }
        });
      for (std::thread &th : threads)
        th.join();
      _exit(wrong + int(cache.corrupt) > 0 ? 1 : 0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a process saw a bad entry";
  }
  KernelCache fresh(path);
  for (int i = 0; i < 16; ++i) {
    std::unique_ptr<llvm::MemoryBuffer> got = fresh.lookup(keyOf(i));
    ASSERT_TRUE(got) << i;
    EXPECT_EQ(bytesOf(got), want(i));
  }
  EXPECT_EQ(fresh.corrupt, 0u);
  // No temporary file is left behind.
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(path, ec), end; it != end && !ec; it.increment(ec))
    EXPECT_EQ(llvm::StringRef(it->path()).find(".tmp-"), llvm::StringRef::npos) << it->path();
}

TEST(KernelCache, MemoryOnlyWithoutDirectory) {
  KernelCache cache("");
  std::string key = KernelCache::makeKey("m", "sm_80", {}, "1");
  ASSERT_FALSE(bool(cache.store(key, payload(10, 1))));
  EXPECT_TRUE(cache.lookup(key));
  EXPECT_EQ(cache.entryPath(key), "");
}

} // namespace

namespace {
TEST(KernelCache, SpecKeyChangesWithEveryField) {
  std::string base = KernelCache::makeSpecKey({"attention a { }", "a.attn", "fwd", "sm_90a 132"});
  EXPECT_EQ(base, KernelCache::makeSpecKey({"attention a { }", "a.attn", "fwd", "sm_90a 132"}));
  EXPECT_NE(base, KernelCache::makeSpecKey({"attention a { }", "a.attn", "bwd", "sm_90a 132"}));
  EXPECT_NE(base, KernelCache::makeSpecKey({"attention a { }", "a.attn", "fwd", "sm_90a 114"}));
  EXPECT_NE(KernelCache::makeSpecKey({"ab", "c"}), KernelCache::makeSpecKey({"a", "bc"}));
  // Never a CUBIN key of the same text.
  EXPECT_NE(KernelCache::makeSpecKey({"src"}), KernelCache::makeKey("src", "", {}, ""));
}

// The spec index names the code generator that filled it: a build-time
// SHA-256 of the frontend, dialect and codegen sources.
TEST(KernelCache, CompilerSourceHashIsGenerated) {
  llvm::StringRef h = compilerSourceHash();
  ASSERT_EQ(h.size(), 64u);
  EXPECT_TRUE(llvm::all_of(h, [](char c) { return llvm::isHexDigit(c); })) << h.str();
}

// The kernel cache's keys include the templates' hash, taken at build time
// (cmake/EmbedTemplates.cmake): it must be the hash of what is embedded,
// recomputed here the same way (a line "name sha256" per file, in order).
TEST(KernelCache, TemplatesHashIsTheEmbeddedTemplates) {
  std::string lines;
  for (const EmbeddedFile &f : embeddedTemplates()) {
    llvm::StringRef contents(f.contents);
    lines += std::string(f.name) + " " +
             llvm::toHex(llvm::SHA256::hash(llvm::arrayRefFromStringRef(contents)),
                         /*LowerCase=*/true) +
             "\n";
  }
  const std::string want = llvm::toHex(
      llvm::SHA256::hash(llvm::arrayRefFromStringRef(lines)), /*LowerCase=*/true);
  EXPECT_EQ(std::string(embeddedTemplatesHash()), want);
  EXPECT_GT(embeddedTemplates().size(), 20u);
}

// Entries of earlier formats (FGKC1: a SHA-256 checksum; FGKC2: the
// payload right after the header) are not read as this one's: they are
// removed and rebuilt like any damaged entry.
TEST(KernelCache, OldFormatEntriesAreRebuilt) {
  TempDir dir;
  KernelCache cache(std::string(dir.path));
  std::string key = KernelCache::makeKey("old", "sm_90a", {}, "1");
  for (const char *old : {"FGKC1\n", "FGKC2\n"}) {
    {
      std::error_code ec;
      llvm::raw_fd_ostream os(cache.entryPath(key), ec);
      ASSERT_FALSE(ec);
      os << old << key << "\n3\n"
         << std::string(std::strcmp(old, "FGKC1\n") ? 16 : 64, 'a') << "\n"
         << "abc";
    }
    EXPECT_FALSE(cache.lookup(key)) << old;
    EXPECT_FALSE(llvm::sys::fs::exists(cache.entryPath(key))) << old;
  }
  EXPECT_EQ(cache.corrupt, 2u);
}

// A disk hit's payload is as aligned as a CUBIN in memory (the loader reads
// the images in place, ModuleImage.cpp), small entries and mapped ones.
TEST(KernelCache, DiskHitsAreAligned) {
  TempDir dir;
  for (size_t n : {size_t(1), size_t(64), size_t(5000), size_t(300000)}) {
    std::string key = KernelCache::makeKey(std::to_string(n), "sm_90a", {}, "1");
    ASSERT_FALSE(bool(KernelCache(std::string(dir.path)).store(key, payload(n, 9))));
    KernelCache fresh(std::string(dir.path));
    std::unique_ptr<llvm::MemoryBuffer> got = fresh.lookup(key);
    ASSERT_TRUE(got) << n;
    EXPECT_EQ(fresh.diskHits, 1u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(got->getBufferStart()) % 16, 0u) << n;
    EXPECT_EQ(bytesOf(got), payload(n, 9)) << n;
  }
}
} // namespace
