//===- TuningDb.cpp - tuned kernel configurations in SQLite -----*- C++ -*-===//
#include "flashgen/Runtime/TuningDb.h"
#include "flashgen/Runtime/KernelCache.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"

#include <sqlite3.h>

#include <chrono>
#include <ctime>

using namespace flashgen::tuning;

namespace {

llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg.str());
}

/// A prepared statement, finalized on scope exit.
class Statement {
public:
  Statement(sqlite3 *db, const char *sql) { rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr); }
  ~Statement() { sqlite3_finalize(stmt); }
  bool ok() const { return rc == SQLITE_OK; }
  void bind(int i, llvm::StringRef s) {
    sqlite3_bind_text(stmt, i, s.data(), int(s.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt, i, v); }
  void bind(int i, double v) { sqlite3_bind_double(stmt, i, v); }
  int step() { return sqlite3_step(stmt); }
  std::string text(int col) {
    const unsigned char *t = sqlite3_column_text(stmt, col);
    return t ? reinterpret_cast<const char *>(t) : "";
  }
  int64_t integer(int col) { return sqlite3_column_int64(stmt, col); }
  double real(int col) { return sqlite3_column_double(stmt, col); }

private:
  sqlite3_stmt *stmt = nullptr;
  int rc = SQLITE_ERROR;
};

// The columns of an entry, in the order of every statement below.
constexpr const char *kColumns =
    "gpu, cc_major, cc_minor, sms, driver, version, variant, pass, bucket, config, tflops, "
    "planner_tflops, shape, created";

void bindKey(Statement &s, const EntryKey &k) {
  s.bind(1, k.device.gpu);
  s.bind(2, int64_t(k.device.ccMajor));
  s.bind(3, int64_t(k.device.ccMinor));
  s.bind(4, int64_t(k.device.numSMs));
  s.bind(5, int64_t(k.device.driver));
  s.bind(6, k.device.version);
  s.bind(7, k.variantHash);
  s.bind(8, k.pass);
  s.bind(9, k.bucket);
}

Entry readEntry(Statement &s) {
  Entry e;
  e.key.device.gpu = s.text(0);
  e.key.device.ccMajor = int(s.integer(1));
  e.key.device.ccMinor = int(s.integer(2));
  e.key.device.numSMs = int(s.integer(3));
  e.key.device.driver = int(s.integer(4));
  e.key.device.version = s.text(5);
  e.key.variantHash = s.text(6);
  e.key.pass = s.text(7);
  e.key.bucket = s.text(8);
  e.config = s.text(9);
  e.tflops = s.real(10);
  e.plannerTflops = s.real(11);
  e.shape = s.text(12);
  e.createdUnix = s.integer(13);
  return e;
}

/// "le512", "le1k", ..., "le16k", "gt16k": the power of two at or above n.
std::string lengthBucket(int64_t n) {
  for (int64_t b = 512; b <= 16384; b *= 2)
    if (n <= b)
      return b < 1024 ? "le" + std::to_string(b) : "le" + std::to_string(b / 1024) + "k";
  return "gt16k";
}

} // namespace

std::string flashgen::tuning::variantHash(llvm::StringRef specText) {
  auto h = llvm::SHA256::hash(
      {reinterpret_cast<const uint8_t *>(specText.data()), specText.size()});
  return llvm::toHex(h, /*LowerCase=*/true);
}

std::string flashgen::tuning::shapeBucket(int64_t batch, int64_t heads, int64_t seqQ,
                                          int64_t seqK) {
  const int64_t bh = batch * heads;
  const char *bhBucket = bh <= 32 ? "bh32" : bh <= 128 ? "bh128" : "bhmore";
  return "q" + lengthBucket(seqQ) + ".k" + lengthBucket(seqK) + "." + bhBucket;
}

std::string TuningDb::defaultPath() {
  if (std::optional<std::string> p = llvm::sys::Process::GetEnv("FLASHGEN_TUNING_DB"))
    return *p;
  std::string dir = flashgen::runtime::KernelCache::defaultDirectory();
  if (dir.empty())
    return "";
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "tuning.sqlite");
  return std::string(path);
}

llvm::Error TuningDb::fail(llvm::StringRef what) {
  return error("tuning database " + dbPath + ": " + what + ": " + sqlite3_errmsg(db));
}

llvm::Error TuningDb::exec(const char *sql) {
  char *msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK)
    return llvm::Error::success();
  std::string m = msg ? msg : "unknown error";
  sqlite3_free(msg);
  return error("tuning database " + dbPath + ": " + m + " (in: " + sql + ")");
}

llvm::Expected<std::unique_ptr<TuningDb>> TuningDb::open(llvm::StringRef path) {
  if (path.empty())
    return error("tuning database: no path (set FLASHGEN_TUNING_DB or pass --db)");
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  if (!dir.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(dir))
      return error("tuning database " + path + ": cannot create " + dir + ": " + ec.message());
  std::unique_ptr<TuningDb> t(new TuningDb());
  t->dbPath = path.str();
  if (sqlite3_open_v2(t->dbPath.c_str(), &t->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK)
    return t->fail("cannot open");
  // Many processes (a tuning run, the JITs of running programs) share the
  // file: readers never block the writer under WAL, and a writer waits its
  // turn for up to 10 s instead of failing with SQLITE_BUSY.
  sqlite3_busy_timeout(t->db, 10000);
  if (llvm::Error e = t->exec("PRAGMA journal_mode=WAL"))
    return std::move(e);
  if (llvm::Error e = t->exec("BEGIN IMMEDIATE"))
    return std::move(e);
  auto schema = [&]() -> llvm::Error {
    if (llvm::Error e = t->exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, "
                                "value TEXT NOT NULL)"))
      return e;
    // Added after schema 1 shipped; a table schema-1 readers never look at.
    if (llvm::Error e = t->exec(
            "CREATE TABLE IF NOT EXISTS calibration (gpu TEXT NOT NULL, "
            "cc_major INTEGER NOT NULL, cc_minor INTEGER NOT NULL, sms INTEGER NOT NULL, "
            "hbm_bytes_per_s REAL NOT NULL, mma_flops_per_s REAL NOT NULL, "
            "created INTEGER NOT NULL, PRIMARY KEY (gpu, cc_major, cc_minor, sms))"))
      return e;
    Statement get(t->db, "SELECT value FROM meta WHERE key = 'schema'");
    if (!get.ok())
      return t->fail("reading the schema version");
    if (get.step() == SQLITE_ROW) {
      int version = 0;
      llvm::StringRef(get.text(0)).getAsInteger(10, version);
      if (version != kTuningSchemaVersion)
        return error("tuning database " + t->dbPath + " has schema version " +
                     llvm::Twine(version) + "; this flashgen reads version " +
                     llvm::Twine(kTuningSchemaVersion) +
                     " (use the flashgen that wrote it, or `flashgen tune --clear --db` "
                     "another file)");
      return llvm::Error::success();
    }
    if (llvm::Error e = t->exec(
            "CREATE TABLE entries (gpu TEXT NOT NULL, cc_major INTEGER NOT NULL, "
            "cc_minor INTEGER NOT NULL, sms INTEGER NOT NULL, driver INTEGER NOT NULL, "
            "version TEXT NOT NULL, variant TEXT NOT NULL, pass TEXT NOT NULL, "
            "bucket TEXT NOT NULL, config TEXT NOT NULL, tflops REAL NOT NULL, "
            "planner_tflops REAL NOT NULL, shape TEXT NOT NULL, created INTEGER NOT NULL, "
            "PRIMARY KEY (gpu, cc_major, cc_minor, sms, driver, version, variant, pass, "
            "bucket))"))
      return e;
    Statement put(t->db, "INSERT INTO meta (key, value) VALUES ('schema', ?1)");
    put.bind(1, std::to_string(kTuningSchemaVersion));
    if (!put.ok() || put.step() != SQLITE_DONE)
      return t->fail("writing the schema version");
    return llvm::Error::success();
  };
  if (llvm::Error e = schema()) {
    llvm::consumeError(t->exec("ROLLBACK"));
    return std::move(e);
  }
  if (llvm::Error e = t->exec("COMMIT"))
    return std::move(e);
  return t;
}

llvm::Expected<std::unique_ptr<TuningDb>> TuningDb::openForLookup(llvm::StringRef path) {
  std::unique_ptr<TuningDb> t(new TuningDb());
  t->dbPath = path.str();
  if (sqlite3_open_v2(t->dbPath.c_str(), &t->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK)
    return t->fail("cannot open");
  sqlite3_busy_timeout(t->db, 10000);
  Statement get(t->db, "SELECT value FROM meta WHERE key = 'schema'");
  if (get.ok() && get.step() == SQLITE_ROW) {
    int version = 0;
    llvm::StringRef(get.text(0)).getAsInteger(10, version);
    if (version != kTuningSchemaVersion)
      return error("tuning database " + t->dbPath + " has schema version " +
                   llvm::Twine(version) + "; this flashgen reads version " +
                   llvm::Twine(kTuningSchemaVersion));
  }
  return t;
}

TuningDb::~TuningDb() { sqlite3_close(db); }

llvm::Error TuningDb::put(const Entry &e) {
  std::string sql = std::string("INSERT OR REPLACE INTO entries (") + kColumns +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
  if (llvm::Error err = exec("BEGIN IMMEDIATE"))
    return err;
  Statement s(db, sql.c_str());
  if (!s.ok()) {
    llvm::Error err = fail("preparing an insert");
    llvm::consumeError(exec("ROLLBACK"));
    return err;
  }
  bindKey(s, e.key);
  s.bind(10, e.config);
  s.bind(11, e.tflops);
  s.bind(12, e.plannerTflops);
  s.bind(13, e.shape);
  int64_t created = e.createdUnix
                        ? e.createdUnix
                        : std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  s.bind(14, created);
  if (s.step() != SQLITE_DONE) {
    llvm::Error err = fail("writing an entry");
    llvm::consumeError(exec("ROLLBACK"));
    return err;
  }
  return exec("COMMIT");
}

llvm::Expected<std::optional<Entry>> TuningDb::lookup(const EntryKey &k) {
  std::string sql = std::string("SELECT ") + kColumns +
                    " FROM entries WHERE gpu = ?1 AND cc_major = ?2 AND cc_minor = ?3 AND "
                    "sms = ?4 AND driver = ?5 AND version = ?6 AND variant = ?7 AND pass = ?8 "
                    "AND bucket = ?9";
  Statement s(db, sql.c_str());
  if (!s.ok())
    return fail("preparing a lookup");
  bindKey(s, k);
  int rc = s.step();
  if (rc == SQLITE_ROW)
    return std::optional<Entry>(readEntry(s));
  if (rc == SQLITE_DONE)
    return std::optional<Entry>();
  return fail("reading an entry");
}

llvm::Expected<std::vector<Entry>> TuningDb::list() {
  std::string sql = std::string("SELECT ") + kColumns + " FROM entries ORDER BY created, rowid";
  Statement s(db, sql.c_str());
  if (!s.ok())
    return fail("preparing a listing");
  std::vector<Entry> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    out.push_back(readEntry(s));
  if (rc != SQLITE_DONE)
    return fail("listing entries");
  return out;
}

llvm::Error TuningDb::clear() {
  if (llvm::Error e = exec("DELETE FROM entries"))
    return e;
  return exec("DELETE FROM calibration");
}

llvm::Error TuningDb::putCalibration(const DeviceKey &d, const Calibration &c) {
  Statement put(db, "INSERT OR REPLACE INTO calibration (gpu, cc_major, cc_minor, sms, "
                    "hbm_bytes_per_s, mma_flops_per_s, created) VALUES (?1, ?2, ?3, ?4, ?5, "
                    "?6, ?7)");
  put.bind(1, d.gpu);
  put.bind(2, int64_t(d.ccMajor));
  put.bind(3, int64_t(d.ccMinor));
  put.bind(4, int64_t(d.numSMs));
  put.bind(5, c.hbmBytesPerSec);
  put.bind(6, c.mmaFlopsPerSec);
  put.bind(7, c.createdUnix ? c.createdUnix : int64_t(std::time(nullptr)));
  if (!put.ok() || put.step() != SQLITE_DONE)
    return fail("storing the calibration");
  return llvm::Error::success();
}

llvm::Expected<std::optional<Calibration>> TuningDb::calibration(const DeviceKey &d) {
  Statement get(db, "SELECT hbm_bytes_per_s, mma_flops_per_s, created FROM calibration "
                    "WHERE gpu = ?1 AND cc_major = ?2 AND cc_minor = ?3 AND sms = ?4");
  get.bind(1, d.gpu);
  get.bind(2, int64_t(d.ccMajor));
  get.bind(3, int64_t(d.ccMinor));
  get.bind(4, int64_t(d.numSMs));
  if (!get.ok())
    return fail("reading the calibration");
  int rc = get.step();
  if (rc == SQLITE_DONE)
    return std::nullopt;
  if (rc != SQLITE_ROW)
    return fail("reading the calibration");
  return Calibration{get.real(0), get.real(1), get.integer(2)};
}

llvm::Expected<std::vector<std::pair<DeviceKey, Calibration>>> TuningDb::calibrations() {
  Statement all(db, "SELECT gpu, cc_major, cc_minor, sms, hbm_bytes_per_s, mma_flops_per_s, "
                    "created FROM calibration ORDER BY created");
  if (!all.ok())
    return fail("listing calibrations");
  std::vector<std::pair<DeviceKey, Calibration>> out;
  int rc;
  while ((rc = all.step()) == SQLITE_ROW) {
    DeviceKey k;
    k.gpu = all.text(0);
    k.ccMajor = int(all.integer(1));
    k.ccMinor = int(all.integer(2));
    k.numSMs = int(all.integer(3));
    out.push_back({k, Calibration{all.real(4), all.real(5), all.integer(6)}});
  }
  if (rc != SQLITE_DONE)
    return fail("listing calibrations");
  return out;
}

llvm::Expected<std::string> TuningDb::exportJson() {
  llvm::Expected<std::vector<Entry>> all = list();
  if (!all)
    return all.takeError();
  llvm::json::Array entries;
  for (const Entry &e : *all)
    entries.push_back(llvm::json::Object{
        {"gpu", e.key.device.gpu},
        {"cc", llvm::json::Array{e.key.device.ccMajor, e.key.device.ccMinor}},
        {"sms", e.key.device.numSMs},
        {"driver", e.key.device.driver},
        {"version", e.key.device.version},
        {"variant", e.key.variantHash},
        {"pass", e.key.pass},
        {"bucket", e.key.bucket},
        {"config", e.config},
        {"tflops", e.tflops},
        {"planner_tflops", e.plannerTflops},
        {"shape", e.shape},
        {"created", e.createdUnix},
    });
  llvm::json::Object doc{{"schema", kTuningSchemaVersion}, {"entries", std::move(entries)}};
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(doc)));
  return out;
}

llvm::Expected<int> TuningDb::importJson(llvm::StringRef json) {
  llvm::Expected<llvm::json::Value> doc = llvm::json::parse(json);
  if (!doc)
    return error("tuning import: not JSON: " + llvm::toString(doc.takeError()));
  const llvm::json::Object *root = doc->getAsObject();
  if (!root)
    return error("tuning import: the document must be an object");
  std::optional<int64_t> schema = root->getInteger("schema");
  if (!schema || *schema != kTuningSchemaVersion)
    return error("tuning import: schema " + llvm::Twine(schema.value_or(-1)) +
                 ", this flashgen reads " + llvm::Twine(kTuningSchemaVersion));
  const llvm::json::Array *entries = root->getArray("entries");
  if (!entries)
    return error("tuning import: no \"entries\" array");
  int n = 0;
  for (const llvm::json::Value &v : *entries) {
    const llvm::json::Object *o = v.getAsObject();
    auto str = [&](const char *k) -> std::optional<std::string> {
      if (!o)
        return std::nullopt;
      if (std::optional<llvm::StringRef> s = o->getString(k))
        return s->str();
      return std::nullopt;
    };
    const llvm::json::Array *cc = o ? o->getArray("cc") : nullptr;
    std::optional<int64_t> sms = o ? o->getInteger("sms") : std::nullopt;
    std::optional<int64_t> driver = o ? o->getInteger("driver") : std::nullopt;
    std::optional<double> tflops = o ? o->getNumber("tflops") : std::nullopt;
    auto gpu = str("gpu"), version = str("version"), variant = str("variant"),
         pass = str("pass"), bucket = str("bucket"), config = str("config");
    if (!gpu || !version || !variant || !pass || !bucket || !config || !cc ||
        cc->size() != 2 || !(*cc)[0].getAsInteger() || !(*cc)[1].getAsInteger() || !sms ||
        !driver || !tflops)
      return error("tuning import: entry " + llvm::Twine(n) +
                   " lacks a field (gpu, cc [major, minor], sms, driver, version, variant, "
                   "pass, bucket, config, tflops)");
    Entry e;
    e.key.device = {*gpu, int(*(*cc)[0].getAsInteger()), int(*(*cc)[1].getAsInteger()),
                    int(*sms), int(*driver), *version};
    e.key.variantHash = *variant;
    e.key.pass = *pass;
    e.key.bucket = *bucket;
    e.config = *config;
    e.tflops = *tflops;
    e.plannerTflops = o->getNumber("planner_tflops").value_or(0);
    e.shape = str("shape").value_or("");
    e.createdUnix = o->getInteger("created").value_or(0);
    if (llvm::Error err = put(e))
      return std::move(err);
    ++n;
  }
  return n;
}
