//===- TuningDbTest.cpp - the tuning database: keys, files, processes ----===//
//
// Round trips, entries of another GPU/driver/version never matching, JSON
// export/import, schema versioning, and eight processes writing one file at
// once (each in its own process, as tuning runs and JITs are).
//
//===----------------------------------------------------------------------===//
#include "flashgen/Runtime/TuningDb.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace flashgen::tuning;

namespace {

struct TempDir {
  TempDir() { llvm::sys::fs::createUniqueDirectory("flashgen-tuning-test", path); }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
  std::string file(llvm::StringRef name) const {
    llvm::SmallString<128> p(path);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  llvm::SmallString<128> path;
};

EntryKey key(llvm::StringRef bucket = "qle2k.kle2k.bh128") {
  EntryKey k;
  k.device = {"NVIDIA H200", 9, 0, 132, 13000, "0.1.0"};
  k.variantHash = variantHash("attention a { head_dim = 128; mask = causal; }");
  k.pass = "fwd";
  k.bucket = bucket.str();
  return k;
}

Entry entry(const EntryKey &k, llvm::StringRef config, double tflops) {
  Entry e;
  e.key = k;
  e.config = config.str();
  e.tflops = tflops;
  e.plannerTflops = tflops * 0.9;
  e.shape = "8,16,2048,2048";
  return e;
}

std::unique_ptr<TuningDb> openOk(const std::string &path) {
  auto db = TuningDb::open(path);
  EXPECT_TRUE(bool(db)) << (db ? "" : llvm::toString(db.takeError()));
  return db ? std::move(*db) : nullptr;
}

TEST(TuningDb, StoresLooksUpAndReplaces) {
  TempDir dir;
  auto db = openOk(dir.file("t.sqlite"));
  ASSERT_TRUE(db);
  auto none = db->lookup(key());
  ASSERT_TRUE(bool(none));
  EXPECT_FALSE(none->has_value());
  ASSERT_FALSE(bool(db->put(entry(key(), "block_m = 64; block_n = 128;", 500))));
  auto hit = db->lookup(key());
  ASSERT_TRUE(bool(hit) && hit->has_value());
  EXPECT_EQ((*hit)->config, "block_m = 64; block_n = 128;");
  EXPECT_DOUBLE_EQ((*hit)->tflops, 500);
  EXPECT_EQ((*hit)->shape, "8,16,2048,2048");
  EXPECT_GT((*hit)->createdUnix, 0);
  // Same key again: replaced, not added.
  ASSERT_FALSE(bool(db->put(entry(key(), "block_m = 128;", 510))));
  auto all = db->list();
  ASSERT_TRUE(bool(all));
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].config, "block_m = 128;");
}

TEST(TuningDb, OtherGpuDriverOrVersionNeverMatches) {
  TempDir dir;
  auto db = openOk(dir.file("t.sqlite"));
  ASSERT_TRUE(db);
  ASSERT_FALSE(bool(db->put(entry(key(), "block_m = 64;", 500))));
  std::vector<EntryKey> others(7, key());
  others[0].device.gpu = "NVIDIA H100 80GB HBM3";
  others[1].device.ccMinor = 9;
  others[2].device.numSMs = 114;
  others[3].device.driver = 12080;
  others[4].device.version = "0.2.0";
  others[5].variantHash = variantHash("attention a { head_dim = 64; }");
  others[6].pass = "bwd";
  for (const EntryKey &k : others) {
    auto r = db->lookup(k);
    ASSERT_TRUE(bool(r));
    EXPECT_FALSE(r->has_value());
  }
  auto other = db->lookup(key("qle1k.kle1k.bh128"));
  ASSERT_TRUE(bool(other));
  EXPECT_FALSE(other->has_value()) << "another shape bucket";
}

TEST(TuningDb, ExportImportRoundTrip) {
  TempDir dir;
  auto a = openOk(dir.file("a.sqlite"));
  ASSERT_TRUE(a);
  ASSERT_FALSE(bool(a->put(entry(key("qle512.kle512.bh32"), "warps = 4;", 300))));
  ASSERT_FALSE(bool(a->put(entry(key("qgt16k.kgt16k.bhmore"), "stages = 2;", 650.5))));
  auto json = a->exportJson();
  ASSERT_TRUE(bool(json));
  EXPECT_NE(json->find("\"schema\": 1"), std::string::npos) << *json;
  auto b = openOk(dir.file("b.sqlite"));
  ASSERT_TRUE(b);
  auto n = b->importJson(*json);
  ASSERT_TRUE(bool(n)) << llvm::toString(n.takeError());
  EXPECT_EQ(*n, 2);
  auto la = a->list(), lb = b->list();
  ASSERT_TRUE(bool(la) && bool(lb));
  ASSERT_EQ(la->size(), lb->size());
  for (size_t i = 0; i < la->size(); ++i) {
    EXPECT_EQ((*la)[i].key.bucket, (*lb)[i].key.bucket);
    EXPECT_TRUE((*la)[i].key.device == (*lb)[i].key.device);
    EXPECT_EQ((*la)[i].config, (*lb)[i].config);
    EXPECT_DOUBLE_EQ((*la)[i].tflops, (*lb)[i].tflops);
    EXPECT_EQ((*la)[i].createdUnix, (*lb)[i].createdUnix);
  }
  ASSERT_FALSE(bool(b->clear()));
  auto empty = b->list();
  ASSERT_TRUE(bool(empty));
  EXPECT_TRUE(empty->empty());
}

TEST(TuningDb, ImportRejectsMalformedDocumentsByName) {
  TempDir dir;
  auto db = openOk(dir.file("t.sqlite"));
  ASSERT_TRUE(db);
  struct Case {
    const char *json, *message;
  } cases[] = {
      {"not json", "not JSON"},
      {"[1]", "must be an object"},
      {"{\"schema\": 7, \"entries\": []}", "schema 7, this flashgen reads 1"},
      {"{\"schema\": 1}", "no \"entries\" array"},
      {"{\"schema\": 1, \"entries\": [{\"gpu\": \"x\"}]}", "entry 0 lacks a field"},
  };
  for (const Case &c : cases) {
    auto r = db->importJson(c.json);
    ASSERT_FALSE(bool(r)) << c.json;
    std::string msg = llvm::toString(r.takeError());
    EXPECT_NE(msg.find(c.message), std::string::npos) << msg;
  }
}

TEST(TuningDb, RefusesAFileOfAnotherSchemaVersion) {
  TempDir dir;
  std::string path = dir.file("t.sqlite");
  { ASSERT_TRUE(openOk(path)); }
  sqlite3 *raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "UPDATE meta SET value = '99' WHERE key = 'schema'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto db = TuningDb::open(path);
  ASSERT_FALSE(bool(db));
  std::string msg = llvm::toString(db.takeError());
  EXPECT_NE(msg.find("has schema version 99; this flashgen reads version 1"), std::string::npos)
      << msg;
}

TEST(TuningDb, EightProcessesWriteAtOnce) {
  TempDir dir;
  std::string path = dir.file("t.sqlite");
  { ASSERT_TRUE(openOk(path)); }
  constexpr int kProcs = 8, kEach = 40;
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto db = TuningDb::open(path);
      if (!db) {
        llvm::consumeError(db.takeError());
        _exit(2);
      }
      for (int i = 0; i < kEach; ++i) {
        Entry e = entry(key("bucket-" + std::to_string(p) + "-" + std::to_string(i)),
                        "warps = 4;", p * 100 + i);
        if (llvm::Error err = (*db)->put(e)) {
          llvm::consumeError(std::move(err));
          _exit(3);
        }
        // Readers interleave with writers.
        auto r = (*db)->lookup(e.key);
        if (!r || !r->has_value())
          _exit(4);
      }
      _exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "a writer process failed (status " << status << ")";
  }
  auto db = openOk(path);
  ASSERT_TRUE(db);
  auto all = db->list();
  ASSERT_TRUE(bool(all));
  EXPECT_EQ(all->size(), size_t(kProcs * kEach));
}

struct BucketCase {
  int64_t b, h, nq, nk;
  const char *bucket;
};

class ShapeBuckets : public ::testing::TestWithParam<BucketCase> {};

TEST_P(ShapeBuckets, RoundUpToPowersOfTwo) {
  const BucketCase &c = GetParam();
  EXPECT_EQ(shapeBucket(c.b, c.h, c.nq, c.nk), c.bucket);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ShapeBuckets,
    ::testing::Values(BucketCase{1, 1, 1, 1, "qle512.kle512.bh32"},
                      BucketCase{2, 16, 512, 512, "qle512.kle512.bh32"},
                      BucketCase{2, 16, 513, 4096, "qle1k.kle4k.bh32"},
                      BucketCase{8, 16, 2048, 2048, "qle2k.kle2k.bh128"},
                      BucketCase{4, 32, 8192, 8192, "qle8k.kle8k.bh128"},
                      BucketCase{1, 129, 16384, 16385, "qle16k.kgt16k.bhmore"},
                      BucketCase{8, 32, 1, 32768, "qle512.kgt16k.bhmore"}));

TEST(TuningDb, DefaultPathFollowsTheEnvironment) {
  setenv("FLASHGEN_TUNING_DB", "/tmp/x/tuning.sqlite", 1);
  EXPECT_EQ(TuningDb::defaultPath(), "/tmp/x/tuning.sqlite");
  unsetenv("FLASHGEN_TUNING_DB");
  setenv("FLASHGEN_CACHE_DIR", "/tmp/fgcache", 1);
  EXPECT_EQ(TuningDb::defaultPath(), "/tmp/fgcache/tuning.sqlite");
  unsetenv("FLASHGEN_CACHE_DIR");
}

TEST(TuningDb, VariantHashIsTheSpecTextsSha256) {
  EXPECT_EQ(variantHash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_NE(variantHash("a"), variantHash("b"));
}

} // namespace

namespace {
// Calibrations are keyed by the hardware alone (GPU name, compute
// capability, SM count): a new driver or flashgen keeps them.
TEST(TuningDb, CalibrationsPerGpu) {
  TempDir dir;
  auto db = openOk(dir.file("t.sqlite"));
  ASSERT_TRUE(db);
  DeviceKey h200 = key().device, other = h200;
  other.numSMs = 114;
  EXPECT_FALSE(db->calibration(h200)->has_value());
  ASSERT_FALSE(bool(db->putCalibration(h200, Calibration{3.8e12, 965e12, 100})));
  ASSERT_FALSE(bool(db->putCalibration(other, Calibration{2.0e12, 500e12, 200})));
  DeviceKey newerDriver = h200;
  newerDriver.driver = 13100;
  newerDriver.version = "0.2.0";
  llvm::Expected<std::optional<Calibration>> c = db->calibration(newerDriver);
  ASSERT_TRUE(bool(c) && c->has_value());
  EXPECT_EQ((*c)->hbmBytesPerSec, 3.8e12);
  EXPECT_EQ((*c)->mmaFlopsPerSec, 965e12);
  // A new measurement replaces the old one.
  ASSERT_FALSE(bool(db->putCalibration(h200, Calibration{3.9e12, 970e12, 300})));
  EXPECT_EQ((*db->calibration(h200))->hbmBytesPerSec, 3.9e12);
  auto all = db->calibrations();
  ASSERT_TRUE(bool(all));
  EXPECT_EQ(all->size(), 2u);
  ASSERT_FALSE(bool(db->clear()));
  EXPECT_FALSE(db->calibration(h200)->has_value());
}

// The JIT's lookups open an existing file without a write transaction and
// never create one; the schema check still applies.
TEST(TuningDb, OpenForLookupReadsWithoutCreating) {
  TempDir dir;
  const std::string path = dir.file("t.sqlite");
  auto missing = TuningDb::openForLookup(path);
  EXPECT_FALSE(bool(missing));
  llvm::consumeError(missing.takeError());
  EXPECT_FALSE(llvm::sys::fs::exists(path));
  {
    auto db = openOk(path);
    ASSERT_TRUE(db);
    ASSERT_FALSE(bool(db->put(entry(key(), "block_m = 64;", 400))));
  }
  auto reader = TuningDb::openForLookup(path);
  ASSERT_TRUE(bool(reader)) << llvm::toString(reader.takeError());
  auto e = (*reader)->lookup(key());
  ASSERT_TRUE(bool(e) && e->has_value());
  EXPECT_EQ((*e)->config, "block_m = 64;");
}
} // namespace
