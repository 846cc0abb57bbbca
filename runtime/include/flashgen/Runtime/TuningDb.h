//===- TuningDb.h - tuned kernel configurations in SQLite -------*- C++ -*-===//
//
// What `flashgen tune` found, per GPU and per shape: for each (device,
// variant, pass, shape bucket) the tiling that ran fastest there, as the
// spec properties that select it ("block_m = 64; block_n = 128; warps = 4;
// stages = 2; mma = wgmma;"), with its measured TFLOP/s and the planner's.
//
// The key spells out everything that makes a measurement valid: the GPU's
// name, compute capability and SM count, the driver version, flashgen's
// version, a hash of the variant's spec text, the pass and the shape
// bucket. An entry from another GPU, driver or flashgen version never
// matches a lookup, so it is ignored rather than misapplied.
//
// One SQLite file serves many processes at once: WAL journaling, a busy
// timeout, and every write inside one IMMEDIATE transaction. The schema
// carries its version; a file written by a newer flashgen is refused with a
// message instead of being misread. Default path: $FLASHGEN_TUNING_DB, else
// the kernel cache's directory (KernelCache::defaultDirectory) +
// "/tuning.sqlite".
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_TUNINGDB_H
#define FLASHGEN_RUNTIME_TUNINGDB_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace flashgen::tuning {

/// The GPU and software a measurement was made on.
struct DeviceKey {
  std::string gpu;          // "NVIDIA H200"
  int ccMajor = 0, ccMinor = 0;
  int numSMs = 0;
  int driver = 0;           // cuDriverGetVersion
  std::string version;      // flashgen's version
  bool operator==(const DeviceKey &o) const {
    return gpu == o.gpu && ccMajor == o.ccMajor && ccMinor == o.ccMinor &&
           numSMs == o.numSMs && driver == o.driver && version == o.version;
  }
};

struct EntryKey {
  DeviceKey device;
  std::string variantHash; // variantHash(spec text)
  std::string pass;        // "fwd" or "bwd"
  std::string bucket;      // shapeBucket(...)
};

struct Entry {
  EntryKey key;
  std::string config;        // spec properties selecting the tiling
  double tflops = 0;         // measured, the tuned configuration
  double plannerTflops = 0;  // measured, the planner's choice, same run
  std::string shape;         // the shape it was measured at, "B,H,Nq,Nk"
  int64_t createdUnix = 0;
};

/// What `flashgen tune --calibrate` measured on a GPU (Calibration.h).
struct Calibration {
  double hbmBytesPerSec = 0; // copy: bytes read + written per second
  double mmaFlopsPerSec = 0; // dense 16-bit tensor-core math, fp32 accumulate
  int64_t createdUnix = 0;
};

/// The schema this flashgen reads and writes.
constexpr int kTuningSchemaVersion = 1;

/// A hex SHA-256 of a variant's spec text (what identifies the variant).
std::string variantHash(llvm::StringRef specText);

/// The shape bucket of a launch: query and key lengths rounded up to the
/// next power of two from 512 to 16384 ("le512", ..., "le16k", "gt16k"),
/// and batch x heads in three ranges ("bh32": <= 32, "bh128": <= 128,
/// "bhmore"), e.g. "q2k.k2k.bh128". Shapes in one bucket share a tiling.
std::string shapeBucket(int64_t batch, int64_t heads, int64_t seqQ, int64_t seqK);

class TuningDb {
public:
  /// Opens (creating if absent) the database at `path`.
  static llvm::Expected<std::unique_ptr<TuningDb>> open(llvm::StringRef path);
  /// Opens an existing database for lookups: no write transaction, no
  /// tables created (a JIT's launch path; lookups of a table that is not
  /// there find nothing). The schema version is still checked.
  static llvm::Expected<std::unique_ptr<TuningDb>> openForLookup(llvm::StringRef path);
  /// $FLASHGEN_TUNING_DB, else <kernel cache directory>/tuning.sqlite; ""
  /// when neither can be named.
  static std::string defaultPath();

  ~TuningDb();
  TuningDb(const TuningDb &) = delete;
  TuningDb &operator=(const TuningDb &) = delete;

  /// Stores `e`, replacing the entry of the same key.
  llvm::Error put(const Entry &e);
  /// The entry of exactly this key, if any.
  llvm::Expected<std::optional<Entry>> lookup(const EntryKey &k);
  /// Every entry, oldest first.
  llvm::Expected<std::vector<Entry>> list();
  /// Every entry as a JSON document {"schema": N, "entries": [...]}.
  llvm::Expected<std::string> exportJson();
  /// Adds the entries of an exportJson() document (replacing equal keys);
  /// returns how many.
  llvm::Expected<int> importJson(llvm::StringRef json);
  /// Removes every entry (and calibration).
  llvm::Error clear();

  /// The measured rates of the GPU `d` names (by gpu, compute capability
  /// and SM count only), replacing earlier ones; and reading them back.
  llvm::Error putCalibration(const DeviceKey &d, const Calibration &c);
  llvm::Expected<std::optional<Calibration>> calibration(const DeviceKey &d);
  /// Every stored calibration.
  llvm::Expected<std::vector<std::pair<DeviceKey, Calibration>>> calibrations();

  const std::string &path() const { return dbPath; }

private:
  TuningDb() = default;
  llvm::Error exec(const char *sql);
  llvm::Error fail(llvm::StringRef what);
  sqlite3 *db = nullptr;
  std::string dbPath;
};

} // namespace flashgen::tuning

#endif // FLASHGEN_RUNTIME_TUNINGDB_H
