//===- Tuner.cpp - time every feasible tiling, keep the fastest -*- C++ -*-===//
#include "flashgen/Runtime/Tuner.h"
#include "flashgen/Runtime/Check.h"
#include "flashgen/Runtime/CudaDriver.h"
#include "flashgen/Runtime/Runtime.h"
#include "flashgen/Runtime/TuningDb.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Regex.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

using namespace flashgen;
using namespace flashgen::tuning;

namespace {
llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg.str());
}

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

bool sameShape(const attn::TileConfig &a, const attn::TileConfig &b) {
  return a.blockM == b.blockM && a.blockN == b.blockN && a.warps == b.warps &&
         a.stages == b.stages && a.mma == b.mma && a.warpSpecialized == b.warpSpecialized &&
         (!a.warpSpecialized || a.ctasPerSM == b.ctasPerSM);
}

/// One check or timing of a candidate: the forward's, or the backward's
/// (which runs the forward first and checks dQ, dK, dV).
struct Measured {
  bool passed = false;
  double tflops = 0, ms = 0;
  std::string summary;
};
llvm::Expected<Measured> measure(const Kernel &k, llvm::StringRef text,
                                 const runtime::CheckOptions &co, bool backward) {
  // CheckReport and BwdCheckReport name their findings alike.
  auto from = [](const auto &r) {
    return Measured{r.passed(), r.tflops, r.medianMs, r.summary()};
  };
  if (backward) {
    llvm::Expected<runtime::BwdCheckReport> r = runtime::checkBackward(k, text, co);
    if (!r)
      return r.takeError();
    return from(*r);
  }
  llvm::Expected<runtime::CheckReport> r = runtime::checkForward(k, text, co);
  if (!r)
    return r.takeError();
  return from(*r);
}
} // namespace

namespace {
const char *mmaName(const attn::TileConfig &c) {
  return c.mma == attn::MmaKind::Wgmma ? "wgmma" : "sync";
}
} // namespace

std::string flashgen::tuning::tilingProperties(const attn::TileConfig &c) {
  std::string s =
      llvm::formatv("block_m = {0}; block_n = {1}; warps = {2}; stages = {3}; mma = {4};",
                    c.blockM, c.blockN, c.warps, c.stages, mmaName(c));
  // The wgmma forward comes in two kernel families: say which.
  if (c.warpSpecialized)
    s += llvm::formatv(" warp_specialized = true; ctas_per_sm = {0};", c.ctasPerSM).str();
  else if (c.mma == attn::MmaKind::Wgmma)
    s += " warp_specialized = false;";
  return s;
}

std::string flashgen::tuning::backwardTilingProperties(const attn::TileConfig &c) {
  // The backward's Bc is 16 rows per warp: bwd_warps says it. Its wgmma
  // fused kernel comes in two families: say which.
  std::string s =
      llvm::formatv("bwd_block_m = {0}; bwd_warps = {1}; bwd_stages = {2}; bwd_mma = {3};",
                    c.blockM, c.warps, c.stages, mmaName(c));
  if (c.mma == attn::MmaKind::Wgmma)
    s += c.warpSpecialized ? " bwd_warp_specialized = true;" : " bwd_warp_specialized = false;";
  return s;
}

namespace {
/// The offset of the `}` closing the first variant of `text` (comments,
/// `#` or `//` to the end of the line, skipped), or npos.
size_t variantClosingBrace(llvm::StringRef text) {
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '#' || text.substr(i).starts_with("//")) {
      i = text.find('\n', i);
      if (i == llvm::StringRef::npos)
        return i;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && depth > 0 && --depth == 0) {
      return i;
    }
  }
  return llvm::StringRef::npos;
}
} // namespace

llvm::Expected<std::string> flashgen::tuning::withTiling(llvm::StringRef text,
                                                         llvm::StringRef properties) {
  llvm::Regex fixed("(^|[^A-Za-z0-9_])(block_m|block_n|warps|stages|mma|bwd_block_m|"
                    "bwd_warps|bwd_stages|bwd_mma|warp_specialized|ctas_per_sm|"
                    "bwd_warp_specialized)[ \t]*=");
  llvm::SmallVector<llvm::StringRef, 3> m;
  if (fixed.match(text, &m))
    return error("the spec sets `" + m[2] +
                 "` itself: its tiling is fixed, there is nothing to tune (remove "
                 "block_m, block_n, warps, stages, mma, warp_specialized, ctas_per_sm and "
                 "the bwd_ ones to let the tuner choose)");
  // The properties go just before the variant's closing brace, so that
  // every token of the user's text keeps its line and column: diagnostics
  // and lookup reports of a retiled kernel point into the user's file.
  size_t close = variantClosingBrace(text);
  if (close == llvm::StringRef::npos)
    return error("no `attention NAME { ... }` variant in the spec");
  return (text.take_front(close) + " " + properties + " " + text.drop_front(close)).str();
}

llvm::Expected<std::vector<Candidate>>
flashgen::tuning::tuningCandidates(llvm::StringRef text, llvm::StringRef name,
                                   const attn::GpuTarget &target, bool backward) {
  // A spec that fixes its tiling has no candidates; say so before planning.
  if (llvm::Expected<std::string> free = withTiling(text, ""); !free)
    return free.takeError();
  llvm::Expected<PlannedVariant> planned = planVariant(text, name, target, backward);
  if (!planned)
    return planned.takeError();
  auto properties = backward ? backwardTilingProperties : tilingProperties;
  const attn::TileConfig &chosen = backward ? *planned->spec.bwdTiles : planned->spec.tiles;
  std::vector<Candidate> out;
  out.push_back(Candidate{chosen, properties(chosen), true});
  // The backward at head dims past 128 on sm_90a is the wide wgmma kernel and
  // the q-major dQ kernel, both paths, whose shapes are fixed
  // (BwdKernelSm90Wide.cuh, BwdDqKernelSm90.cuh): the tiling shapes no
  // kernel there, so every candidate would time the same kernels. The
  // planner's alone.
  if (backward && planned->spec.bwdWide()) {
    out.front().kernelNote = "the wide wgmma kernels run (their shapes are fixed); these "
                             "properties shape none of them";
    return out;
  }
  // One per kernel shape: whether Q stays in registers is the planner's
  // call once the shape is fixed.
  for (const attn::TileConfig &c : attn::feasibleTilings(planned->problem, target))
    if (llvm::none_of(out, [&](const Candidate &o) { return sameShape(o.tiles, c); }))
      out.push_back(Candidate{c, properties(c), false});
  return out;
}

std::optional<Entry> flashgen::tuning::findTuned(llvm::StringRef text, int ordinal,
                                                 const std::string &bucket,
                                                 llvm::StringRef pass, std::string *why) {
  std::string scratch;
  std::string &w = why ? *why : scratch;
  const std::string path = TuningDb::defaultPath();
  if (path.empty() || path == "off") {
    w = "planner (tuning database off)";
    return std::nullopt;
  }
  if (!llvm::sys::fs::exists(path)) {
    w = "planner (no tuning database at " + path + ")";
    return std::nullopt;
  }
  llvm::Expected<runtime::CudaDriver &> driver = runtime::CudaDriver::get(ordinal);
  if (!driver) {
    w = "planner (" + llvm::toString(driver.takeError()) + ")";
    return std::nullopt;
  }
  llvm::Expected<std::unique_ptr<TuningDb>> db = TuningDb::openForLookup(path);
  if (!db) {
    w = "planner (tuning database unreadable: " + llvm::toString(db.takeError()) + ")";
    return std::nullopt;
  }
  const runtime::DeviceInfo &dev = driver->device();
  EntryKey key{{dev.name, dev.major, dev.minor, dev.numSMs, dev.driverVersion, FLASHGEN_VERSION},
               variantHash(text), pass.str(), bucket};
  llvm::Expected<std::optional<Entry>> e = (*db)->lookup(key);
  if (!e) {
    w = "planner (tuning lookup failed: " + llvm::toString(e.takeError()) + ")";
    return std::nullopt;
  }
  if (!e->has_value()) {
    w = "planner (no tuned entry for " + dev.name + ", " + pass.str() + ", shape bucket " +
        bucket + " in " + path + ")";
    return std::nullopt;
  }
  const Entry &entry = **e;
  w = llvm::formatv("{0} on {1}, bucket {2}: {3:F0} TFLOP/s vs the planner's {4:F0} at {5}",
                    entry.config, dev.name, bucket, entry.tflops, entry.plannerTflops,
                    entry.shape)
          .str();
  return entry;
}

std::optional<attn::TileConfig> flashgen::tuning::plannerForShape(llvm::StringRef text,
                                                                  const attn::GpuTarget &target,
                                                                  int64_t seqQ, int64_t seqK,
                                                                  std::string *rule) {
  // A spec that fixes its tiling keeps it at every shape.
  if (llvm::Expected<std::string> free = withTiling(text, ""); !free) {
    llvm::consumeError(free.takeError());
    return std::nullopt;
  }
  llvm::Expected<PlannedVariant> planned = planVariant(text, "launch", target, false);
  if (!planned) {
    llvm::consumeError(planned.takeError());
    return std::nullopt;
  }
  return attn::plannedForShape(planned->problem, target, planned->spec.tiles, seqQ, seqK, rule);
}

LaunchChoice flashgen::tuning::launchTiling(llvm::StringRef text, int ordinal, int64_t batch,
                                            int64_t heads, int64_t seqQ, int64_t seqK,
                                            bool backward) {
  LaunchChoice c;
  const std::string bucket = shapeBucket(batch, heads, seqQ, seqK);
  if (std::optional<Entry> e = findTuned(text, ordinal, bucket, backward ? "bwd" : "fwd", &c.why)) {
    c.config = e->config;
    c.tuned = true;
    return c;
  }
  // No tuned entry: the planner's own choice by shape, where it has one
  // (forward, and a spec that leaves its tiling to the planner).
  if (backward)
    return c;
  llvm::Expected<attn::GpuTarget> target = deviceTarget(ordinal);
  if (!target) {
    llvm::consumeError(target.takeError());
    return c;
  }
  std::string rule;
  if (std::optional<attn::TileConfig> alt = plannerForShape(text, *target, seqQ, seqK, &rule)) {
    c.config = tilingProperties(*alt);
    c.why = "planner, by shape: " + rule + "; " + c.why;
  }
  return c;
}

llvm::Expected<TuneReport> flashgen::tuning::tune(llvm::StringRef text, llvm::StringRef name,
                                                  bool backward, const TuneOptions &opt) {
  const auto start = std::chrono::steady_clock::now();
  llvm::raw_ostream &log = opt.progress ? *opt.progress : llvm::nulls();
  if (opt.shapes.empty())
    return error("no shapes to tune for");
  llvm::Expected<runtime::CudaDriver &> driver = runtime::CudaDriver::get(opt.device);
  if (!driver)
    return driver.takeError();
  const runtime::DeviceInfo &dev = driver->device();
  llvm::Expected<attn::GpuTarget> target = deviceTarget(dev.ordinal);
  if (!target)
    return target.takeError();
  llvm::Expected<std::vector<Candidate>> cands = tuningCandidates(text, name, *target, backward);
  if (!cands)
    return cands.takeError();
  const char *passName = backward ? "bwd" : "fwd";
  TuneReport report;
  report.candidates = int(cands->size());
  report.planner = cands->front().properties;
  log << "tune: " << cands->size() << (backward ? " backward" : " forward")
      << " candidates for " << dev.name << " ("
      << dev.arch() << ", " << dev.numSMs << " SMs)\n";

  // 1. Compile every candidate, several NVRTC runs at once.
  const size_t n = cands->size();
  std::vector<std::unique_ptr<Kernel>> kernels(n);
  std::vector<std::string> texts(n), errors(n);
  std::atomic<size_t> next{0}, done{0};
  std::mutex logMutex;
  unsigned threads = opt.threads > 0 ? unsigned(opt.threads)
                                     : std::min(8u, std::max(1u, std::thread::hardware_concurrency()));
  auto worker = [&] {
    for (size_t i; (i = next++) < n;) {
      llvm::Expected<std::string> t = withTiling(text, (*cands)[i].properties);
      if (!t) {
        errors[i] = llvm::toString(t.takeError());
      } else {
        texts[i] = *t;
        JitOptions jo;
        jo.device = dev.ordinal;
        jo.checkLookups = false; // time the kernels launches use, whatever the environment
        auto k = Kernel::fromSpec(texts[i], name, jo);
        if (k)
          kernels[i] = std::move(*k);
        else
          errors[i] = llvm::toString(k.takeError());
      }
      std::lock_guard<std::mutex> lock(logMutex);
      log << llvm::formatv("\r  compiled {0}/{1}", ++done, n);
      log.flush();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < std::min<size_t>(threads, n); ++i)
    pool.emplace_back(worker);
  for (std::thread &t : pool)
    t.join();
  log << "\n";

  // 2. Check each against the float64 reference on a small problem.
  std::vector<bool> good(n, false);
  const Shape &first = opt.shapes.front();
  for (size_t i = 0; i < n; ++i) {
    if (!kernels[i]) {
      report.rejected.push_back((*cands)[i].properties + " did not compile: " + errors[i]);
      continue;
    }
    ++report.compiled;
    runtime::CheckOptions co;
    co.batch = 1;
    co.heads = first[1];
    co.seqQ = std::min(first[2], 257);
    co.seqK = std::min(first[3], 263);
    co.blockDensity = opt.blockDensity;
    llvm::Expected<Measured> r = measure(*kernels[i], texts[i], co, backward);
    if (!r) {
      report.rejected.push_back((*cands)[i].properties + " failed to run: " +
                                llvm::toString(r.takeError()));
      ++report.wrong;
    } else if (!r->passed) {
      report.rejected.push_back((*cands)[i].properties + " is wrong: " + r->summary);
      ++report.wrong;
    } else {
      good[i] = true;
    }
  }
  if (!good[0])
    return error("the planner's own tiling failed its check: " +
                 (report.rejected.empty() ? std::string("?") : report.rejected.front()));

  // 3. Time the good ones at every shape; the planner's first, as the bar.
  // With many candidates, a screening round (2 launches each) keeps the
  // fastest opt.finalists (and the planner's) for the full repeats:
  // mma.sync kernels at a third of wgmma's speed need no 20 launches to
  // lose.
  // Timing at a shape: no reference, a cold L2 before each launch.
  auto timingAt = [&opt](const Shape &s, int reps) {
    runtime::CheckOptions co;
    co.blockDensity = opt.blockDensity;
    co.batch = s[0];
    co.heads = s[1];
    co.seqQ = s[2];
    co.seqK = s[3];
    co.reference = false;
    co.timingReps = reps;
    co.flushL2 = true;
    return co;
  };
  // The forward's bar at a shape is the planner's by-shape tiling there
  // (plannerForShape); its variant is planned once for every shape.
  std::optional<PlannedVariant> forwardPlan;
  if (!backward) {
    llvm::Expected<PlannedVariant> planned = planVariant(text, name, *target, false);
    if (!planned)
      return planned.takeError();
    forwardPlan = std::move(*planned);
  }
  // Each shape gets an equal share of what is left of the budget, so the
  // last shapes are not left untuned when the first ones run long.
  for (size_t si = 0; si < opt.shapes.size(); ++si) {
    const Shape &s = opt.shapes[si];
    const double deadline =
        since(start) + std::max(0.0, opt.budgetSeconds - since(start)) /
                           double(opt.shapes.size() - si);
    ShapeResult res;
    res.shape = s;
    res.bucket = shapeBucket(s[0], s[1], s[2], s[3]);
    // The bar: what the JIT launches here without a tuned entry (the
    // planner's rule for this shape where one applies and its kernel
    // passed the check, else its shape-free choice).
    size_t base = 0;
    if (forwardPlan)
      if (std::optional<attn::TileConfig> alt = attn::plannedForShape(
              forwardPlan->problem, *target, forwardPlan->spec.tiles, s[2], s[3]))
        for (size_t i = 0; i < n; ++i)
          if (good[i] && sameShape((*cands)[i].tiles, *alt))
            base = i;
    res.planner = (*cands)[base];
    std::vector<bool> finalist = good;
    size_t bestScreened = base; // the screening round's fastest, always timed
    if (opt.finalists > 0 && llvm::count(good, true) > opt.finalists + 1) {
      std::vector<std::pair<double, size_t>> screened;
      for (size_t i = 0; i < n; ++i) {
        if (!good[i] || i == base)
          continue;
        if (!screened.empty() && since(start) > deadline) {
          res.cutByBudget = true;
          break;
        }
        llvm::Expected<Measured> r =
            measure(*kernels[i], texts[i], timingAt(s, 2), backward);
        if (!r) {
          llvm::consumeError(r.takeError()); // the full round reports it
          continue;
        }
        screened.push_back({r->ms, i});
      }
      std::sort(screened.begin(), screened.end());
      if (!screened.empty())
        bestScreened = screened.front().second;
      std::fill(finalist.begin(), finalist.end(), false);
      finalist[base] = true;
      for (size_t j = 0; j < screened.size() && j < size_t(opt.finalists); ++j)
        finalist[screened[j].second] = true;
      log << llvm::formatv("  {0},{1},{2},{3}: screened {4}, {5} finalists\n", s[0], s[1], s[2],
                           s[3], screened.size(), llvm::count(finalist, true));
    }
    int timed = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!finalist[i])
        continue;
      if (i != base && i != bestScreened && since(start) > deadline) {
        res.cutByBudget = true;
        continue; // the planner and the screening's fastest are always timed
      }
      llvm::Expected<Measured> r =
          measure(*kernels[i], texts[i], timingAt(s, opt.reps), backward);
      if (!r) {
        report.rejected.push_back((*cands)[i].properties + " failed at " + res.bucket + ": " +
                                  llvm::toString(r.takeError()));
        continue;
      }
      ++timed;
      if (i == base) {
        res.plannerTflops = r->tflops;
        res.plannerMs = r->ms;
      }
      if (r->tflops > res.bestTflops) {
        res.bestTflops = r->tflops;
        res.bestMs = r->ms;
        res.best = (*cands)[i];
      }
      log << llvm::formatv("\r  {0},{1},{2},{3}: {4}/{5} timed, best {6:F1} TFLOP/s ({7:F2}x "
                           "the planner)",
                           s[0], s[1], s[2], s[3], timed, report.compiled, res.bestTflops,
                           res.plannerTflops > 0 ? res.bestTflops / res.plannerTflops : 0.0);
      log.flush();
    }
    log << "\n  best: " << res.best.properties
        << (res.best.kernelNote.empty() ? "" : " (" + res.best.kernelNote + ")")
        << (res.cutByBudget ? " (budget share spent: not every candidate timed)" : "") << "\n";
    report.shapes.push_back(res);
  }

  // 4. The winners into the database.
  if (opt.store) {
    llvm::Expected<std::unique_ptr<TuningDb>> db =
        TuningDb::open(opt.dbPath.empty() ? TuningDb::defaultPath() : opt.dbPath);
    if (!db)
      return db.takeError();
    for (const ShapeResult &r : report.shapes) {
      Entry e;
      e.key.device = {dev.name, dev.major, dev.minor, dev.numSMs, dev.driverVersion,
                      FLASHGEN_VERSION};
      e.key.variantHash = variantHash(text);
      e.key.pass = passName;
      e.key.bucket = r.bucket;
      e.config = r.best.properties;
      e.tflops = r.bestTflops;
      e.plannerTflops = r.plannerTflops;
      e.shape = llvm::formatv("{0},{1},{2},{3}", r.shape[0], r.shape[1], r.shape[2], r.shape[3]);
      if (llvm::Error err = (*db)->put(e))
        return std::move(err);
    }
  }
  report.seconds = since(start);
  return report;
}
