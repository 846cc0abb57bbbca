//===- Tune.cpp - the `flashgen tune` subcommand ----------------*- C++ -*-===//
#include "flashgen/Driver/Tune.h"
#include "flashgen/Driver/Explain.h"

#include "flashgen/Dialect/Attn/Analysis/TargetInfo.h"
#include "flashgen/Runtime/Calibration.h"
#include "flashgen/Runtime/Tuner.h"
#include "flashgen/Runtime/TuningDb.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"

#include <ctime>

using namespace flashgen;
using namespace flashgen::tuning;

namespace {
enum { kOk = 0, kInputError = 1, kUsageError = 2 };

int report(llvm::raw_ostream &err, llvm::Error e, int code = kInputError) {
  llvm::WithColor::error(err, "flashgen tune") << llvm::toString(std::move(e)) << "\n";
  return code;
}

int usage(llvm::raw_ostream &err, const llvm::Twine &msg) {
  llvm::WithColor::error(err, "flashgen tune") << msg << "\n";
  return kUsageError;
}

/// --shapes "B,H,N[;B,H,Nq,Nk...]": each entry read as run's and explain's
/// --shape (parseShape); "" with the shapes, else the error.
std::string parseShapeList(llvm::StringRef list, std::vector<Shape> &out) {
  llvm::SmallVector<llvm::StringRef> items;
  list.split(items, ';', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef item : items) {
    ExplainOptions o;
    std::string err = parseShape(item.trim(), o, "--shapes");
    if (!err.empty())
      return err;
    out.push_back({int(o.batch), int(o.heads), int(o.seqQ), int(o.seqK)});
  }
  return out.empty() ? "--shapes holds no shape (B,H,Nq,Nk[;...])" : "";
}

std::string dbPath(const TuneCommand &c) {
  return c.db.empty() ? TuningDb::defaultPath() : c.db;
}

/// --list, --export, --import, --clear: the database alone.
int manage(const TuneCommand &c, llvm::raw_ostream &out, llvm::raw_ostream &err) {
  llvm::Expected<std::unique_ptr<TuningDb>> db = TuningDb::open(dbPath(c));
  if (!db)
    return report(err, db.takeError());
  if (!c.importFile.empty()) {
    auto buf = llvm::MemoryBuffer::getFile(c.importFile);
    if (!buf)
      return usage(err, "cannot read '" + c.importFile + "': " + buf.getError().message());
    llvm::Expected<int> n = (*db)->importJson((*buf)->getBuffer());
    if (!n)
      return report(err, n.takeError());
    out << "imported " << *n << " entries into " << (*db)->path() << "\n";
  }
  if (c.clear) {
    if (llvm::Error e = (*db)->clear())
      return report(err, std::move(e));
    out << "cleared " << (*db)->path() << "\n";
  }
  if (!c.exportFile.empty()) {
    llvm::Expected<std::string> json = (*db)->exportJson();
    if (!json)
      return report(err, json.takeError());
    std::error_code ec;
    llvm::raw_fd_ostream f(c.exportFile, ec);
    if (ec)
      return usage(err, "cannot write '" + c.exportFile + "': " + ec.message());
    f << *json << "\n";
    out << "exported to " << c.exportFile << "\n";
  }
  if (c.list) {
    llvm::Expected<std::vector<std::pair<DeviceKey, Calibration>>> cal = (*db)->calibrations();
    if (!cal)
      return report(err, cal.takeError());
    for (const auto &[k, m] : *cal)
      out << llvm::format("calibration: %s sm_%d%d %d SMs: copy %.2f TB/s, tensor cores %.0f "
                          "TFLOP/s\n",
                          k.gpu.c_str(), k.ccMajor, k.ccMinor, k.numSMs, m.hbmBytesPerSec / 1e12,
                          m.mmaFlopsPerSec / 1e12);
    llvm::Expected<std::vector<Entry>> all = (*db)->list();
    if (!all)
      return report(err, all.takeError());
    out << (*db)->path() << ": " << all->size() << " entries\n";
    for (const Entry &e : *all)
      out << llvm::format("%-24s sm_%d%d %3d SMs drv %d v%s %.12s %s %-22s %-72s %7.1f (planner "
                          "%.1f) TFLOP/s at %s\n",
                          e.key.device.gpu.c_str(), e.key.device.ccMajor, e.key.device.ccMinor,
                          e.key.device.numSMs, e.key.device.driver,
                          e.key.device.version.c_str(), e.key.variantHash.c_str(),
                          e.key.pass.c_str(), e.key.bucket.c_str(), e.config.c_str(), e.tflops,
                          e.plannerTflops, e.shape.c_str());
  }
  return kOk;
}
} // namespace

namespace {
/// --calibrate: measures the GPU and stores the rates for targetFor.
int calibrate(const TuneCommand &c, llvm::raw_ostream &out, llvm::raw_ostream &err) {
  llvm::Expected<Calibration> m = calibrateDevice(-1, err);
  if (!m)
    return report(err, m.takeError());
  llvm::Expected<runtime::CudaDriver &> driver = runtime::CudaDriver::get(-1);
  if (!driver)
    return report(err, driver.takeError());
  llvm::Expected<std::unique_ptr<TuningDb>> db = TuningDb::open(dbPath(c));
  if (!db)
    return report(err, db.takeError());
  if (llvm::Error e = (*db)->putCalibration(calibrationKey(driver->device()), *m))
    return report(err, std::move(e));
  forgetCalibrations();
  out << llvm::format("calibrated %s: copy %.2f TB/s, tensor cores %.0f TFLOP/s; stored in %s\n",
                      driver->device().name.c_str(), m->hbmBytesPerSec / 1e12,
                      m->mmaFlopsPerSec / 1e12, (*db)->path().c_str());
  return kOk;
}

llvm::json::Object toJson(const TuneReport &r, bool backward) {
  llvm::json::Array shapes, rejected;
  for (const ShapeResult &s : r.shapes)
    shapes.push_back(llvm::json::Object{
        {"shape", llvm::json::Array{s.shape[0], s.shape[1], s.shape[2], s.shape[3]}},
        {"bucket", s.bucket},
        {"best", s.best.properties},
        {"best_is_planner", s.best.properties == s.planner.properties},
        {"best_ms", s.bestMs},
        {"best_tflops_dense", s.bestTflops},
        {"planner", s.planner.properties},
        {"planner_by_shape", s.planner.properties != r.planner},
        {"planner_ms", s.plannerMs},
        {"planner_tflops_dense", s.plannerTflops},
        {"cut_by_budget", s.cutByBudget}});
  for (const std::string &why : r.rejected)
    rejected.push_back(why);
  return llvm::json::Object{{"pass", backward ? "bwd" : "fwd"},
                            {"seconds", r.seconds},
                            {"candidates", r.candidates},
                            {"compiled", r.compiled},
                            {"wrong", r.wrong},
                            {"rejected", std::move(rejected)},
                            {"shapes", std::move(shapes)}};
}
} // namespace

int flashgen::runTune(const TuneCommand &c, llvm::raw_ostream &out, llvm::raw_ostream &err) {
  const bool managing = c.list || c.clear || !c.exportFile.empty() || !c.importFile.empty();
  if (managing) {
    if (!c.file.empty() || !c.shapes.empty() || c.calibrate)
      return usage(err, "--list, --export, --import and --clear take no spec, --shapes or "
                        "--calibrate");
    return manage(c, out, err);
  }
  if (c.calibrate && !c.dryRun) {
    if (int rc = calibrate(c, out, err))
      return rc;
    if (c.file.empty())
      return kOk;
  }
  if (c.file.empty())
    return usage(err, "give a spec to tune (flashgen tune FILE --shapes B,H,Nq,Nk[;...]) or "
                      "one of --list, --export, --import, --clear");
  if (!(c.blockDensity > 0 && c.blockDensity <= 1))
    return usage(err, llvm::formatv("--block-density must be in (0, 1], got {0}",
                                    llvm::format("%g", c.blockDensity))
                          .str());
  if (c.pass != "fwd" && c.pass != "bwd" && c.pass != "both")
    return usage(err, "--pass must be fwd, bwd or both, not '" + c.pass + "'");
  std::vector<bool> passes;
  if (c.pass != "bwd")
    passes.push_back(false);
  if (c.pass != "fwd")
    passes.push_back(true);
  auto buf = llvm::MemoryBuffer::getFile(c.file);
  if (!buf)
    return usage(err, "cannot read '" + c.file + "': " + buf.getError().message());
  llvm::StringRef text = (*buf)->getBuffer();
  std::vector<Shape> shapes;
  if (!c.shapes.empty())
    if (std::string bad = parseShapeList(c.shapes, shapes); !bad.empty())
      return usage(err, bad);
  if (c.dryRun) {
    std::optional<attn::GpuTarget> t = attn::lookupTarget(c.arch.empty() ? "sm_90a" : c.arch);
    if (!t)
      return usage(err, "unknown architecture '" + c.arch + "'");
    // Each shape's bucket, and the forward tiling the planner launches
    // there where one of its by-shape rules applies (the tuner's bar).
    for (const Shape &s : shapes) {
      out << llvm::format("shape %d,%d,%d,%d: bucket %s", s[0], s[1], s[2], s[3],
                          shapeBucket(s[0], s[1], s[2], s[3]).c_str());
      std::string rule;
      if (std::optional<attn::TileConfig> alt = plannerForShape(text, *t, s[2], s[3], &rule))
        out << "; forward: the planner's " << tilingProperties(*alt) << " (" << rule << ")";
      out << "\n";
    }
    for (bool backward : passes) {
      llvm::Expected<std::vector<Candidate>> cands =
          tuningCandidates(text, c.file, *t, backward);
      if (!cands)
        return report(err, cands.takeError());
      out << cands->size() << (backward ? " backward" : " forward") << " candidates for "
          << t->arch << ":\n";
      for (const Candidate &k : *cands)
        out << llvm::format("  %-72s smem %6lld B, %3lld regs, %lld CTA/SM%s\n",
                            k.properties.c_str(), (long long)k.tiles.smemBytes,
                            (long long)k.tiles.regsPerThread, (long long)k.tiles.ctasPerSM,
                            k.planner ? "  <- planner" : "");
    }
    return kOk;
  }
  if (c.shapes.empty())
    return usage(err, "--shapes B,H,Nq,Nk[;...] is required to tune");
  TuneOptions opt;
  opt.shapes = shapes;
  opt.dbPath = dbPath(c);
  opt.budgetSeconds = c.budgetSeconds;
  opt.blockDensity = c.blockDensity;
  opt.reps = c.reps;
  opt.threads = c.threads;
  opt.progress = &err;
  llvm::json::Array jsonPasses;
  for (bool backward : passes) {
    llvm::Expected<TuneReport> r = tune(text, c.file, backward, opt);
    if (!r)
      return report(err, r.takeError());
    jsonPasses.push_back(toJson(*r, backward));
    out << "tuned the " << (backward ? "backward" : "forward") << " of " << c.file << " in "
        << llvm::format("%.1f", r->seconds) << " s: " << r->candidates << " candidates, "
        << r->compiled << " compiled, " << r->wrong << " discarded as wrong\n";
    for (const std::string &why : r->rejected)
      out << "  rejected: " << why << "\n";
    for (const ShapeResult &s : r->shapes)
      out << llvm::format("  %d,%d,%d,%d (%s): %.1f TFLOP/s vs the planner's %.1f (%.2fx): "
                          "%s%s%s%s\n",
                          s.shape[0], s.shape[1], s.shape[2], s.shape[3], s.bucket.c_str(),
                          s.bestTflops, s.plannerTflops,
                          s.plannerTflops > 0 ? s.bestTflops / s.plannerTflops : 0.0,
                          s.best.properties.c_str(),
                          s.best.kernelNote.empty() ? ""
                                                    : (" (" + s.best.kernelNote + ")").c_str(),
                          s.planner.properties != r->planner
                              ? (" [the planner's tiling at this shape, by rule: " +
                                 s.planner.properties + "]").c_str()
                              : "",
                          s.cutByBudget ? " [budget share spent before every candidate ran]"
                                        : "");
  }
  out << "stored in " << opt.dbPath << "\n";
  if (!c.jsonFile.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream f(c.jsonFile, ec);
    if (ec)
      return usage(err, "cannot write '" + c.jsonFile + "': " + ec.message());
    f << llvm::formatv("{0:2}", llvm::json::Value(llvm::json::Object{
                                    {"spec", c.file}, {"passes", std::move(jsonPasses)}}))
      << "\n";
  }
  return kOk;
}
