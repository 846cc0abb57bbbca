//===- Explain.cpp - `flashgen explain` -------------------------*- C++ -*-===//
#include "flashgen/Driver/Explain.h"
#include "flashgen/Dialect/Attn/Analysis/LookupRanges.h"
#include "flashgen/Dialect/Attn/Analysis/StagedColumns.h"

#include "flashgen/Dialect/Attn/Transforms/Transforms.h"
#include "flashgen/Runtime/ForwardGrid.h"
#include "flashgen/Runtime/LaunchArgs.h"
#include "flashgen/Runtime/PackedLaunch.h"
#include "flashgen/attention/Params.cuh"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"

#include <fmt/format.h>

#include <cmath>

using namespace flashgen;
using namespace flashgen::attn;
namespace json = llvm::json;

std::string flashgen::parseShape(llvm::StringRef text, ExplainOptions &opts,
                                llvm::StringRef option) {
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, ',');
  if (parts.size() != 3 && parts.size() != 4)
    return option.str() + " must be B,H,N or B,H,Nq,Nk, got '" + text.str() + "'";
  int64_t v[4];
  for (size_t i = 0; i < parts.size(); ++i)
    if (parts[i].trim().getAsInteger(10, v[i]) || v[i] < 1 || v[i] >= (1ll << 31))
      return option.str() + " entry '" + parts[i].str() +
             "' is not a positive integer below 2^31";
  opts.batch = v[0];
  opts.heads = v[1];
  opts.seqQ = v[2];
  opts.seqK = parts.size() == 4 ? v[3] : v[2];
  return "";
}

namespace {

std::string bytes(double b) {
  const char *units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", b) : fmt::format("{:.2f} {}", b, units[u]);
}

std::string seconds(double s) {
  if (s >= 1e-3)
    return fmt::format("{:.3f} ms", s * 1e3);
  return fmt::format("{:.1f} us", s * 1e6);
}

std::string maskText(MaskShapeAttr m) {
  if (!m)
    return "?";
  std::string q = m.getBottomRight() ? "q + (seq_k - seq_q)" : "q";
  auto bound = [&] {
    std::string s;
    if (m.getLower())
      s += fmt::format("{} <= ", *m.getLower());
    s += "k - " + (m.getBottomRight() ? "(" + q + ")" : q);
    if (m.getUpper())
      s += fmt::format(" <= {}", *m.getUpper());
    return s;
  };
  switch (m.getKind()) {
  case MaskShapeKind::none: return "none (every key)";
  case MaskShapeKind::band: return "band: " + bound();
  case MaskShapeKind::band_and: return "band: " + bound() + ", AND other conditions";
  case MaskShapeKind::generic: return "generic expression";
  }
  return "?";
}

std::string scoreText(ScoreShapeAttr s) {
  if (!s)
    return "?";
  switch (s.getKind()) {
  case ScoreShapeKind::identity: return "identity";
  case ScoreShapeKind::softcap:
    return fmt::format("softcap: {0} * tanh(score / {0})", s.getCap().convertToDouble());
  case ScoreShapeKind::alibi:
    return fmt::format("ALiBi: score {} {}[h] * (k - q)", s.getSign() > 0 ? "+" : "-",
                       s.getTensor().str());
  case ScoreShapeKind::additive: return "additive bias (d/dscore = 1)";
  case ScoreShapeKind::generic: return "generic expression";
  }
  return "?";
}

/// The closed-form kv-loop bounds a band gives row block i.
std::string kvLoopText(MaskShapeAttr m, int64_t Br, int64_t Bc) {
  if (!m || (m.getKind() != MaskShapeKind::band && m.getKind() != MaskShapeKind::band_and))
    return "all kv tiles (no band to bound the loop); empty tiles skipped by "
           "classification";
  std::string off = m.getBottomRight() ? " + (Nk - Nq)" : "";
  std::string lo = m.getLower()
                       ? fmt::format("max(0, (i*{}{} + {})) / {}", Br, off, *m.getLower(), Bc)
                       : "0";
  std::string hi = m.getUpper()
                       ? fmt::format("min(Nk - 1, (i+1)*{} - 1{} + {}) / {}", Br, off,
                                     *m.getUpper(), Bc)
                       : "(Nk - 1) / " + std::to_string(Bc);
  return "row block i visits kv tiles [" + lo + ", " + hi + "]";
}

json::Object tilingJson(TilingAttr t) {
  if (!t)
    return {};
  return json::Object{{"block_m", t.getBlockM()},
                      {"block_n", t.getBlockN()},
                      {"warps", t.getWarps()},
                      {"stages", t.getStages()},
                      {"q_in_registers", t.getQInRegisters()},
                      {"mma", t.getMma() == int64_t(MmaKind::Wgmma) ? "wgmma" : "sync"},
                      {"smem_bytes", t.getSmemBytes()},
                      {"regs_per_thread", t.getRegsPerThread()},
                      {"ctas_per_sm", t.getCtasPerSM()}};
}

json::Object estimateJson(const IOEstimate &e) {
  json::Object terms;
  for (const IOTerm &t : e.terms)
    terms[t.name] = json::Object{{"bytes", t.bytes}, {"write", t.write}, {"hbm", t.hbm}};
  return json::Object{{"read_bytes", e.readBytes},
                      {"write_bytes", e.writeBytes},
                      {"total_bytes", e.totalBytes()},
                      {"useful_flops", e.usefulFlops},
                      {"executed_flops", e.executedFlops},
                      {"intensity_flops_per_byte", e.intensity()},
                      {"memory_seconds", e.memSeconds},
                      {"math_seconds", e.mathSeconds},
                      {"predicted_seconds", e.seconds()},
                      {"extra_memory_bytes", e.extraMemoryBytes},
                      {"terms", std::move(terms)}};
}

/// One line per lookup of the mask and score regions: where it is, per
/// index whether it is proven inside the tensor's extent or clamped to it
/// when the kernel runs (lookupIndicesInRange, as codegen emits it), and
/// whether the warp-specialized forward stages it per key in shared memory
/// (StagedColumns.h).
std::vector<std::string> lookupLines(VariantOp v) {
  std::vector<std::string> lines;
  TilingAttr fwd = v.getFwdTilingAttr();
  const llvm::SmallVector<LookupOp> staged =
      fwd && fwd.getWarpSpecialized() > 0 ? stagedColumnLookups(v) : llvm::SmallVector<LookupOp>{};
  for (mlir::Region *region : {&v.getMask(), &v.getScore()}) {
    auto inRange = lookupIndicesInRange(v, *region);
    region->walk([&](LookupOp l) {
      TensorAttr t = v.lookupTensor(l.getName());
      std::string indices;
      for (auto [d, proven] : llvm::enumerate(inRange.lookup(l.getOperation()))) {
        std::string extent = "?";
        if (t && d < t.getShape().size()) {
          mlir::Attribute e = t.getShape()[d];
          if (auto n = mlir::dyn_cast<mlir::IntegerAttr>(e))
            extent = std::to_string(n.getInt());
          else if (auto sym = mlir::dyn_cast<mlir::StringAttr>(e))
            extent = sym.str();
        }
        indices += fmt::format("{}index {} ({}) {}", d ? ", " : "", d, extent,
                               proven ? "in range" : "clamped at run time");
      }
      if (llvm::is_contained(staged, l))
        indices += "; staged per key of each kv tile in shared memory (forward)";
      lines.push_back(fmt::format("{}: {}", lookupSiteText(v, l), indices));
    });
  }
  return lines;
}

/// GQA packing of the forward for a shape (PackedLaunch.h, the launch's
/// rule): taken, its grid, or why not.
struct ExplainedPacking {
  int64_t group = 1, rowBlocks = 0;
  int splits = 1;
  bool taken = false;
  std::string text;
};
ExplainedPacking explainPacking(VariantOp v, const AttnShape &shape, const TileConfig &fwd,
                                int64_t unpackedCtas, int64_t numSMs, bool bhsd) {
  ExplainedPacking p;
  if (shape.kvHeads >= shape.heads || shape.heads % shape.kvHeads) {
    p.text = "no (no GQA group)";
    return p;
  }
  p.group = shape.heads / shape.kvHeads;
  const int64_t rows = p.group * shape.seqQ;
  const std::string why =
      runtime::whyNotPackable(v.getDropout().convertToDouble() > 0, v.getVarlen(),
                              bool(v.getSparsityAttr()), p.group, shape.seqQ);
  if (!why.empty()) {
    p.text = "no (" + why + ")";
    return p;
  }
  p.rowBlocks = (rows + fwd.blockM - 1) / fwd.blockM;
  p.splits = runtime::forwardKvSplitsOf(fwd.blockM, fwd.blockN, fwd.ctasPerSM,
                                        int(shape.kvHeads), int(shape.batch), int(rows),
                                        int(shape.seqK), int(numSMs), kMaxKvSplits);
  const int64_t packedCtas =
      runtime::forwardGridCtas(fwd.blockM, shape.kvHeads, shape.batch, rows, p.splits);
  p.taken = runtime::packingIsFaster(packedCtas, unpackedCtas, int(p.group),
                                     numSMs * std::max<int64_t>(1, fwd.ctasPerSM));
  const std::string grid =
      fmt::format("{} x {} x {} CTAs{}", p.rowBlocks, shape.kvHeads, shape.batch,
                  p.splits > 1 ? fmt::format(" (kv tiles split {} ways)", p.splits) : "");
  if (p.taken && shape.seqQ > 1 && !bhsd) { // a head's rows together: BHSD only
    p.taken = false;
    p.text = fmt::format("with q, o in BHSD (--layout bhsd): {} query heads as rows: {}",
                         p.group, grid);
    return p;
  }
  p.text = p.taken ? fmt::format("{} query heads as rows: {}", p.group, grid)
                   : fmt::format("no ({} not expected faster: packingIsFaster)", grid);
  return p;
}

/// The forward launch `explain` models at a shape: packed (GQA packing
/// taken), its census and traffic are those of the variant rewritten by
/// attn-pack-query-heads for kv_heads heads of group x seq_q rows, as the
/// runtime compiles it; split-KV's partials and, for fp8, the decoding
/// kernel's in-kernel V transpose (a split launch is a decoding one).
struct LaunchModel {
  bool packed = false;
  mlir::OwningOpRef<VariantOp> variant;
  AttnShape shape;
  TileCensus census;
  FwdLaunchTraits traits;
};
/// Where the rewrite refuses the variant, the runtime launches it unpacked
/// (Kernel::packedKernel): `packing` then says so, with the rewrite's reason.
LaunchModel modelLaunch(VariantOp v, const AttnShape &shape, const TileConfig &fwd,
                        ExplainedPacking &packing, int unpackedKvSplits) {
  LaunchModel m;
  auto traitsFor = [&](int splits) {
    m.traits.kvSplits = splits;
    m.traits.vTransposedInKernel = elementBytes(v) == 1 && splits > 1;
  };
  traitsFor(unpackedKvSplits);
  if (!packing.taken)
    return m;
  m.variant = mlir::cast<VariantOp>(v->clone());
  std::string why;
  mlir::ScopedDiagnosticHandler capture(v.getContext(), [&](mlir::Diagnostic &d) {
    if (why.empty())
      why = d.str();
    return mlir::success();
  });
  if (mlir::failed(packQueryHeads(*m.variant, packing.group, shape.heads, shape.seqQ == 1)) ||
      mlir::failed(canonicalizeExpressions(*m.variant))) {
    packing.taken = false;
    packing.text = "no (" + why + ")";
    return m;
  }
  traitsFor(packing.splits);
  m.variant->setMaskShapeAttr(recognizeMaskShape(*m.variant));
  m.variant->setScoreShapeAttr(recognizeScoreShape(*m.variant));
  m.shape = shape;
  m.shape.heads = shape.kvHeads;
  m.shape.seqQ = packing.group * shape.seqQ;
  m.census = countTiles(*m.variant, m.shape, fwd.blockM, fwd.blockN);
  m.packed = true;
  return m;
}

} // namespace

void flashgen::explainVariant(VariantOp v, const ExplainOptions &opts,
                              llvm::raw_ostream &os) {
  // The same resolution attn-plan-tiling used (the CLI validated --arch),
  // or the GPU present, re-planned for its own numbers.
  const bool onDevice = opts.device && v.getTarget() == Target::native;
  GpuTarget target = onDevice ? *opts.device : *resolveTarget(v, opts.arch);
  if (onDevice)
    (void)planTiling(v, target); // fits wherever the table's row did, or says why
  AttnShape shape;
  shape.batch = opts.batch;
  shape.heads = opts.heads ? opts.heads
                           : (v.getHeads() ? static_cast<int64_t>(*v.getHeads()) : 16);
  shape.kvHeads = v.getKvHeads() ? static_cast<int64_t>(*v.getKvHeads()) : shape.heads;
  shape.seqQ = opts.seqQ;
  shape.seqK = opts.seqK;
  TileConfig fwd = fromAttr(v.getFwdTilingAttr());
  // The backward's fast path is the wide wgmma kernel (64 keys per CTA).
  const bool bwdWide =
      v.getBwdTilingAttr() && backwardHasWideWgmma(tilingProblemOf(v, /*backward=*/true), fwd.mma);
  TilingProblem prob;
  prob.qkHeadDim = int64_t(v.getQkHeadDim());
  prob.vHeadDim = int64_t(v.getVHeadDim());
  const bool ws = fwd.warpSpecialized;
  TileCensus census = countTiles(v, shape, fwd.blockM, fwd.blockN);
  IOEstimate st = estimateStandard(v, shape, census, target);
  std::string passes = stringifyPasses(v.getPasses());
  // The census counts a tile these tensors decide as partial.
  llvm::SmallVector<llvm::StringRef> classTensors = tileDecidingTensors(v);

  // The backward's grid for this shape: key blocks x kv heads x batch, a
  // kv head's query heads split over CTAs where the key blocks alone leave
  // SMs idle (BwdParams::kvSplit, the launch's own rule).
  // The forward's split of each row block's kv tiles where its CTAs leave
  // SMs idle (FwdParams::kvSplits, decoding shapes; the launch's rule when
  // split-KV is on, JitOptions::splitKv).
  const int64_t fwdRowBlocks = (shape.seqQ + fwd.blockM - 1) / fwd.blockM;
  const int fwdKvSplits = runtime::forwardKvSplitsOf(
      fwd.blockM, fwd.blockN, fwd.ctasPerSM, int(shape.heads), int(shape.batch), int(shape.seqQ),
      int(shape.seqK), int(target.numSMs), kMaxKvSplits);
  // GQA packing of the forward (PackedLaunch.h; the packed variant is
  // planned on its own, taken here to tile alike).
  ExplainedPacking packing =
      explainPacking(v, shape, fwd,
                     runtime::forwardGridCtas(fwd.blockM, shape.heads, shape.batch,
                                              shape.seqQ, fwdKvSplits),
                     target.numSMs, opts.bhsd);
  // The forward launch the runtime makes at this shape, whose tiles and
  // traffic are modeled: packed, the variant rewritten for it.
  const LaunchModel launch = modelLaunch(v, shape, fwd, packing, fwdKvSplits);
  const TileCensus &launchCensus = launch.packed ? launch.census : census;
  const AttnShape &launchShape = launch.packed ? launch.shape : shape;
  IOEstimate fg = estimateFlashgen(launch.packed ? *launch.variant : v, launchShape, fwd,
                                   launchCensus, target, launch.traits);
  runtime::BackwardKvGrid bwdGrid;
  if (TilingAttr b = v.getBwdTilingAttr()) {
    const attn::TileConfig t = fromAttr(b);
    MaskShapeAttr m = v.getMaskShapeAttr();
    runtime::KeyBand band;
    if (m && (m.getKind() == MaskShapeKind::band || m.getKind() == MaskShapeKind::band_and))
      band = runtime::KeyBand{true, m.getBottomRight(), m.getLower(), m.getUpper()};
    // The fast path's grid: the wide kernel's 64 keys per CTA, or the tiling's.
    bwdGrid = runtime::backwardKvGrid(band, int(shape.heads), int(shape.kvHeads),
                                      int(shape.batch), int(shape.seqQ), int(shape.seqK),
                                      bwdWide ? flashgen::kBwdWideStream : t.blockM,
                                      bwdWide ? flashgen::kBwdWideResident : 16 * t.warps,
                                      int64_t(target.numSMs) * std::max<int64_t>(1, t.ctasPerSM),
                                      int(shape.heads));
  }
  if (opts.json) {
    json::Array notes;
    for (llvm::StringRef n : v.getTilingNotes()->getAsValueRange<mlir::StringAttr>())
      notes.push_back(n.str());
    json::Object root{
        {"variant", v.getSymName().str()},
        {"dtype", stringifyElementType(v.getDtype()).str()},
        {"qk_head_dim", static_cast<int64_t>(v.getQkHeadDim())},
        {"v_head_dim", static_cast<int64_t>(v.getVHeadDim())},
        {"mask", maskText(v.getMaskShapeAttr())},
        {"score", scoreText(v.getScoreShapeAttr())},
        {"passes", passes},
        {"target", json::Object{{"arch", target.arch},
                                {"part", target.part},
                                {"sms", target.numSMs},
                                {"smem_per_block", target.smemPerBlock},
                                {"hbm_bytes_per_second", target.hbmBytesPerSec},
                                {"mma_flops_per_second", target.mmaFlopsPerSec},
                                {"source", target.source}}},
        {"shape", json::Object{{"batch", shape.batch},
                               {"heads", shape.heads},
                               {"kv_heads", shape.kvHeads},
                               {"seq_q", shape.seqQ},
                               {"seq_k", shape.seqK},
                               {"layout", opts.bhsd ? "bhsd" : "bshd"}}},
        {"forward_tiling", tilingJson(v.getFwdTilingAttr())},
        {"forward_warp_specialized", ws},
        {"tiling_notes", std::move(notes)},
        {"tiles", json::Object{{"row_blocks", launchCensus.rowBlocks},
                               {"col_blocks", launchCensus.colBlocks},
                               {"empty", launchCensus.empty},
                               {"full", launchCensus.full},
                               {"partial", launchCensus.partial},
                               {"attended_fraction", launchCensus.attendedFraction},
                               {"packed_launch", launch.packed}}},
        {"flashgen", estimateJson(fg)},
        {"standard", estimateJson(st)},
        {"bytes_ratio", st.totalBytes() / fg.totalBytes()},
        {"time_ratio", st.seconds() / fg.seconds()}};
    root["forward_kv_splits"] = fwdKvSplits;
    root["forward_packed_group"] = packing.taken ? packing.group : 1;
    if (v.getBwdTilingAttr()) {
      root["backward_tiling"] = tilingJson(v.getBwdTilingAttr());
      root["backward_key_blocks"] = bwdGrid.keyBlocks;
      root["backward_kv_split"] = bwdGrid.split;
    }
    json::Array classTensorsJson;
    for (llvm::StringRef t : classTensors)
      classTensorsJson.push_back(t.str());
    root["tile_classes_from_tensors"] = std::move(classTensorsJson);
    json::Array lookupsJson;
    for (const std::string &l : lookupLines(v))
      lookupsJson.push_back(l);
    root["lookups"] = std::move(lookupsJson);
    os << llvm::formatv("{0:2}", json::Value(std::move(root))) << "\n";
    return;
  }

  auto row = [&](llvm::StringRef k, const std::string &val) {
    os << fmt::format("  {:<22}{}\n", k.str(), val);
  };
  os << fmt::format("variant {}\n", v.getSymName().str());
  row("dtype", stringifyElementType(v.getDtype()).str());
  row("head dims", fmt::format("qk {}, v {}", v.getQkHeadDim(), v.getVHeadDim()));
  row("heads", fmt::format("{} query, {} kv (shape)", shape.heads, shape.kvHeads));
  row("scale", fmt::format("{:.6g}", v.getScale().convertToDouble()));
  row("mask", maskText(v.getMaskShapeAttr()));
  row("score", scoreText(v.getScoreShapeAttr()));
  if (v.getDropout().convertToDouble() > 0)
    row("dropout", fmt::format("{:g}", v.getDropout().convertToDouble()));
  if (auto s = v.getSparsityAttr())
    row("sparsity", fmt::format("{} blocks of {}", stringifySparsityKind(s.getKind()).str(),
                                s.getBlockSize()));
  row("passes", passes);
  // Lookups whose indices the kernels clamp read the nearest element, not
  // stray memory: said here so that a wrong index is not silent.
  std::vector<std::string> lookups = lookupLines(v);
  for (size_t i = 0; i < lookups.size(); ++i)
    row(i ? "" : "lookups", lookups[i]);

  os << fmt::format("\ntarget {} ({})\n", target.arch,
                    onDevice ? target.part : "no GPU queried: the architecture's defaults");
  row("SMs", std::to_string(target.numSMs));
  row("shared memory", fmt::format("{} B per block, {} B per SM", target.smemPerBlock,
                                   target.smemPerSM));
  row("registers", fmt::format("{} per SM, {} per thread", target.regsPerSM,
                               target.maxRegsPerThread));
  row("HBM bandwidth", fmt::format("{:.2f} TB/s", target.hbmBytesPerSec / 1e12));
  row("tensor cores", fmt::format("{:.0f} TFLOP/s (16-bit in, fp32 acc)",
                                  target.mmaFlopsPerSec / 1e12));
  row("numbers from", target.source);
  if (!opts.tuning.empty())
    row("forward kernel", opts.tuning);

  TilingAttr bwdAttr = v.getBwdTilingAttr();
  TileConfig bwd = bwdAttr ? fromAttr(bwdAttr) : TileConfig{};
  os << fmt::format("\ntiling{:<18}{:<26}{}\n", "", "forward", bwdAttr ? "backward" : "");
  auto trow = [&](llvm::StringRef k, const std::string &f, const std::string &b) {
    // A forward cell wider than its column keeps a space before the
    // backward's (the grid at decoding shapes: "... split 4 ways)").
    os << fmt::format("  {:<22}{:<26}{}\n", k.str(), f.size() >= 26 && bwdAttr ? f + " " : f,
                      bwdAttr ? b : "");
  };
  trow("Br x Bc", fmt::format("{} x {}", fwd.blockM, fwd.blockN),
       fmt::format("{} x {}", bwd.blockM, bwd.blockN));
  // The warp-specialized kernels (the forward's, the backward's fused
  // one): a producer warpgroup beside the math warps, loads by TMA.
  const bool bwdWs = bwd.warpSpecialized;
  auto warps = [](const TileConfig &c) {
    return std::to_string(c.warps) +
           (c.warpSpecialized ? fmt::format(" + {} producer", kWsProducerWarps) : "");
  };
  trow("warps", warps(fwd), warps(bwd));
  trow("K/V loads", fmt::format("{}, {} stages", ws ? "TMA producer" : "cp.async",
                                fwd.stages),
       bwdWs ? fmt::format("TMA producer, Q/dO {} stages", bwd.stages)
             : fmt::format("cp.async, {} stages", bwd.stages));
  // The warp-specialized kernel is also the deterministic path (dQ in
  // key-block order), as the wide one (no atomics); the others leave it to
  // separate mma.sync kernels.
  trow("tensor-core MMA", fwd.mma == MmaKind::Wgmma ? "wgmma (warpgroup)" : "mma.sync",
       bwdWs     ? "wgmma"
       : bwdWide ? fmt::format("wgmma (wide kernel: 64 keys shared by 2 warpgroups, {}; "
                               "dQ: 128 query rows per CTA), also deterministic",
                               bwdWideSplitText(paddedHeadDim(prob.qkHeadDim),
                                                paddedHeadDim(prob.vHeadDim)))
       : bwd.mma == MmaKind::Wgmma ? "wgmma fast path, mma.sync deterministic"
                                   : "mma.sync");
  trow("Q fragments", fwd.qInRegisters ? "registers" : "shared memory", "shared memory");
  if (bwdAttr) {
    trow("dQ", "",
         bwdWide                         ? "own q-major wgmma kernel, no atomics"
         : !backwardHasAtomicDQ(prob, bwd) ? "own kernel, deterministic"
         : bwdWs                         ? "fused, bulk reductions (deterministic: ordered)"
         : bwd.mma == MmaKind::Wgmma     ? "fused, bulk reductions (or deterministic)"
                                         : "fused, atomics (or deterministic)");
  }
  auto smem = [&](const TileConfig &c) {
    return fmt::format("{} / {} B ({:.0f}%)", c.smemBytes, target.smemPerBlock,
                       100.0 * c.smemBytes / target.smemPerBlock);
  };
  trow("shared memory", smem(fwd), smem(bwd));
  auto registers = [&](const TileConfig &c) {
    if (!c.warpSpecialized)
      return fmt::format("{} / {}", c.regsPerThread, target.maxRegsPerThread);
    const WsRegisterSplit r = warpSpecializedRegisters(c);
    return fmt::format("{} (producer {})", r.consumer, r.producer);
  };
  trow("registers/thread", registers(fwd), registers(bwd));
  // A warp-specialized kernel's launch bound, producer warps included.
  auto ctas = [](const TileConfig &c) {
    return fmt::format("{} ({} warps)", c.ctasPerSM,
                       c.ctasPerSM * (c.warps + (c.warpSpecialized ? kWsProducerWarps : 0)));
  };
  trow("CTAs per SM", ctas(fwd), ctas(bwd));
  // This shape's grids: the forward's row blocks, the backward's key
  // blocks, whose CTAs split a kv head's query heads where the key blocks
  // alone leave SMs idle (BwdParams::kvSplit).
  trow("grid (this shape)",
       fmt::format("{} x {} x {} CTAs{}", fwdRowBlocks, shape.heads, shape.batch,
                   fwdKvSplits > 1
                       ? fmt::format(" (split-KV on: z x {0}, kv tiles split {0} ways)", fwdKvSplits)
                       : ""),
       fmt::format("{} x {} x {} CTAs{}{}", bwdGrid.keyBlocks, shape.kvHeads * bwdGrid.split,
                   shape.batch,
                   bwdGrid.split > 1 ? fmt::format(" (query heads split {} ways)", bwdGrid.split)
                                     : "",
                   // The wide path's dQ kernel: a CTA per kBwdDqRows query rows.
                   bwdWide ? fmt::format("; dQ {} x {} x {} CTAs",
                                         (shape.seqQ + kBwdDqRows - 1) / kBwdDqRows, shape.heads,
                                         shape.batch)
                           : ""));
  if (packing.group > 1)
    os << "  GQA packing (fwd)     " << packing.text << "\n";
  os << "  why:\n";
  for (llvm::StringRef n : v.getTilingNotes()->getAsValueRange<mlir::StringAttr>())
    os << "    - " << n << "\n";

  if (launch.packed)
    os << fmt::format("\ntiles of the packed launch: B={} H={} (kv heads) Nq={} ({} query "
                      "heads x {} rows) Nk={} ({} x {} tiles per head)\n",
                      launchShape.batch, launchShape.heads, launchShape.seqQ, packing.group,
                      shape.seqQ, launchShape.seqK, launchCensus.rowBlocks,
                      launchCensus.colBlocks);
  else
    os << fmt::format("\ntiles for B={} H={} Nq={} Nk={} ({} x {} tiles per head)\n",
                      shape.batch, shape.heads, shape.seqQ, shape.seqK, census.rowBlocks,
                      census.colBlocks);
  const TileCensus &c = launchCensus;
  double total = double(c.total());
  row("skipped (empty)", fmt::format("{:>8}  {:5.1f}%", c.empty, 100 * c.empty / total));
  row("full (no mask math)", fmt::format("{:>8}  {:5.1f}%", c.full, 100 * c.full / total));
  row("partial (masked)", fmt::format("{:>8}  {:5.1f}%", c.partial, 100 * c.partial / total));
  row("attended elements", fmt::format("{:.1f}%", 100 * c.attendedFraction));
  if (!classTensors.empty())
    row("classes at run time",
        "built on the GPU per call from " + llvm::join(classTensors, ", ") +
            " (counted above as partial where they decide)");
  row("kv loop", kvLoopText((launch.packed ? *launch.variant : v).getMaskShapeAttr(),
                            fwd.blockM, fwd.blockN));

  os << fmt::format("\nforward HBM traffic and time{:<18}{:>16}{:>16}\n", "", "flashgen",
                    "standard");
  auto crow = [&](llvm::StringRef k, const std::string &a, const std::string &b) {
    os << fmt::format("  {:<44}{:>16}{:>16}\n", k.str(), a, b);
  };
  // Terms side by side where both models have them, then each model's own.
  for (const IOTerm &t : fg.terms)
    crow(t.name, t.hbm ? bytes(t.bytes) : "(" + bytes(t.bytes) + ")", "");
  for (const IOTerm &t : st.terms)
    crow(t.name, "", bytes(t.bytes));
  crow("total read", bytes(fg.readBytes), bytes(st.readBytes));
  crow("total written", bytes(fg.writeBytes), bytes(st.writeBytes));
  crow("total HBM traffic", bytes(fg.totalBytes()), bytes(st.totalBytes()));
  crow("extra device memory", bytes(fg.extraMemoryBytes), bytes(st.extraMemoryBytes));
  crow("FLOPs (useful / executed)",
       fmt::format("{:.2f}/{:.2f} T", fg.usefulFlops / 1e12, fg.executedFlops / 1e12),
       fmt::format("{:.2f}/{:.2f} T", st.usefulFlops / 1e12, st.executedFlops / 1e12));
  crow("arithmetic intensity", fmt::format("{:.0f} FLOP/B", fg.intensity()),
       fmt::format("{:.0f} FLOP/B", st.intensity()));
  crow("memory time", seconds(fg.memSeconds), seconds(st.memSeconds));
  crow("math time", seconds(fg.mathSeconds), seconds(st.mathSeconds));
  crow("predicted (roofline)",
       seconds(fg.seconds()) + (fg.memSeconds >= fg.mathSeconds ? " mem" : " math"),
       seconds(st.seconds()) + (st.memSeconds >= st.mathSeconds ? " mem" : " math"));
  os << fmt::format("\n  (parenthesized: on-chip traffic, not in the totals; K/V "
                    "working set of one wave {} vs L2 {})\n",
                    bytes(fg.l2WorkingSetBytes), bytes(double(target.l2Bytes)));
  os << fmt::format("  standard / flashgen: {:.1f}x the HBM bytes, {:.1f}x the "
                    "predicted time, {:.0f}x the extra memory\n",
                    st.totalBytes() / fg.totalBytes(), st.seconds() / fg.seconds(),
                    st.extraMemoryBytes / std::max(fg.extraMemoryBytes, 1.0));
}
