//===- flashgen.cpp - the flashgen command-line driver ----------*- C++ -*-===//
//
//   flashgen check FILE     diagnostics only
//   flashgen emit-ir FILE   print the attn dialect IR
//   flashgen explain FILE   tiling, tile classes and IO cost, with reasons
//
// Exit codes: 0 ok, 1 errors in the input, 2 usage errors. Later stages add
// explain, compile, run, tune and bench subcommands.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Dialect/Attn/Analysis/TargetInfo.h"
#include "flashgen/Dialect/Attn/Transforms/Pipeline.h"
#include "flashgen/Dialect/Attn/Transforms/Transforms.h"
#include "flashgen/Codegen/EmitCuda.h"
#include "flashgen/Driver/Explain.h"
#include "flashgen/Driver/Tune.h"
#include "flashgen/Runtime/Check.h"
#include "flashgen/Runtime/Nvrtc.h"
#include "flashgen/Runtime/Runtime.h"
#include "flashgen/Runtime/Tuner.h"
#include "flashgen/Frontend/Frontend.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

#include "mlir/IR/DialectRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace {
enum ExitCode { kOk = 0, kInputError = 1, kUsageError = 2 };

cl::OptionCategory category("flashgen options");

cl::SubCommand checkCmd("check", "Check a .attn spec and print its diagnostics");
cl::SubCommand emitIRCmd("emit-ir", "Print the attn dialect IR of a .attn spec");

cl::SubCommand explainCmd("explain",
                          "Show the tiling, tile classes and predicted HBM "
                          "traffic of a .attn spec, and why");

cl::SubCommand compileCmd("compile",
                          "Generate the forward (or, with --backward, the "
                          "backward) kernels of a .attn spec (-o out.cu, out.ptx "
                          "or out.cubin)");

cl::SubCommand runCmd("run",
                      "JIT the forward (and with --backward the backward) kernels "
                      "of a .attn spec, run them on random inputs, check against a "
                      "float64 CPU reference, time them");

cl::SubCommand tuneCmd("tune",
                       "Auto-tune: time every feasible forward tiling of a .attn spec on "
                       "the GPU present, store the fastest per shape bucket in the tuning "
                       "database that the JIT reads; or manage that database");
cl::opt<std::string> tuneFile(cl::Positional, cl::desc("[<spec.attn>]"), cl::sub(tuneCmd),
                              cl::cat(category));
cl::opt<std::string> tuneShapes("shapes", cl::desc("Shapes to tune for: B,H,Nq,Nk[;...]"),
                                cl::value_desc("list"), cl::sub(tuneCmd), cl::cat(category));
cl::opt<std::string> tunePass("pass", cl::desc("fwd, bwd or both (fwd)"), cl::init("fwd"),
                              cl::sub(tuneCmd), cl::cat(category));
cl::opt<double> tuneBudget("budget", cl::desc("Seconds for a pass; the shapes share what is left after compiling equally (600)"),
                           cl::init(600), cl::sub(tuneCmd), cl::cat(category));
cl::opt<std::string> tuneDb("db",
                            cl::desc("Tuning database (default: $FLASHGEN_TUNING_DB, else "
                                     "the kernel cache's directory/tuning.sqlite)"),
                            cl::value_desc("path"), cl::sub(tuneCmd), cl::cat(category));
cl::opt<unsigned> tuneReps("reps", cl::desc("Timed launches per candidate and shape (20)"),
                           cl::init(20), cl::sub(tuneCmd), cl::cat(category));
cl::opt<unsigned> tuneThreads("threads", cl::desc("NVRTC compilations at once (0: cores, <= 8)"),
                              cl::init(0), cl::sub(tuneCmd), cl::cat(category));
cl::opt<bool> tuneList("list", cl::desc("List the database's entries"), cl::sub(tuneCmd),
                       cl::cat(category));
cl::opt<bool> tuneClear("clear", cl::desc("Remove every entry"), cl::sub(tuneCmd),
                        cl::cat(category));
cl::opt<std::string> tuneExport("export", cl::desc("Write the entries to a JSON file"),
                                cl::value_desc("file.json"), cl::sub(tuneCmd),
                                cl::cat(category));
cl::opt<std::string> tuneImport("import", cl::desc("Add the entries of a JSON file"),
                                cl::value_desc("file.json"), cl::sub(tuneCmd),
                                cl::cat(category));
cl::opt<bool> tuneDryRun("dry-run",
                         cl::desc("List the candidates for --arch (default sm_90a) without a GPU"),
                         cl::sub(tuneCmd), cl::cat(category));
cl::opt<std::string> tuneArch("arch", cl::desc("--dry-run: the architecture (sm_90a)"),
                              cl::value_desc("sm_XX"), cl::sub(tuneCmd), cl::cat(category));
cl::opt<bool> tuneCalibrate("calibrate",
                            cl::desc("Measure the GPU's copy bandwidth and tensor-core rate "
                                     "(about a second) and store them in the database, for "
                                     "the planner and the IO model; alone or before tuning"),
                            cl::sub(tuneCmd), cl::cat(category));
cl::opt<std::string> tuneJson("json",
                              cl::desc("Also write every shape's result (winner, planner, "
                                       "ms, TFLOP/s) to a JSON file"),
                              cl::value_desc("file.json"), cl::sub(tuneCmd), cl::cat(category));

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<spec.attn>"),
                               cl::Required, cl::sub(checkCmd),
                               cl::sub(emitIRCmd), cl::sub(explainCmd),
                               cl::sub(compileCmd), cl::sub(runCmd), cl::cat(category));
cl::opt<bool> backwardOpt("backward",
                          cl::desc("compile: the backward kernels (preprocess, dK/dV, "
                                   "dQ) instead of the forward; run: forward, then "
                                   "backward, both checked and timed"),
                          cl::sub(compileCmd), cl::sub(runCmd), cl::cat(category));
cl::opt<bool> deterministicOpt(
    "deterministic",
    cl::desc("run --backward: the bit-identical path (dQ summed in a fixed order, checked "
             "by a second run) instead of the fast path (dQ summed in any order)"),
    cl::sub(runCmd), cl::cat(category));
cl::opt<bool> checkLookupsOpt(
    "check-lookups",
    cl::desc("A checked build: lookup indices not proven in range are checked where the "
             "kernel evaluates them; compile: the checked source; run: fail, naming the "
             "lookup, index and element, if one was clamped (also $FLASHGEN_CHECK_LOOKUPS=1)"),
    cl::sub(compileCmd), cl::sub(runCmd), cl::cat(category));
cl::opt<unsigned> repsOpt("reps", cl::desc("Timed launches (median reported)"),
                          cl::init(20), cl::sub(runCmd), cl::cat(category));
cl::opt<bool> coldL2Opt(
    "cold-l2",
    cl::desc("run: evict the L2 before each timed launch (a write over twice its size, "
             "queued ahead of the start event, as triton's do_bench does): times a small "
             "problem from memory, not from L2, and without the host's launch time"),
    cl::sub(runCmd), cl::cat(category));
cl::opt<bool> checkTileClassesOpt(
    "check-tile-classes",
    cl::desc("run: hold the run-time tile classes the forward built (printed as "
             "tiles(RxC) empty/full/partial) against the mask, element by element on the "
             "CPU: fails if a tile built empty keeps an element or one built full masks one "
             "(CPU time grows with B x H x Nq x Nk)"),
    cl::sub(runCmd), cl::cat(category));
cl::opt<double> blockDensityOpt(
    "block-density",
    cl::desc("For `sparsity = runtime` specs: the share of blocks the random block map "
             "keeps, in (0, 1] (0.5); tune: in its checks and timings"),
    cl::init(0.5), cl::sub(runCmd), cl::sub(tuneCmd), cl::cat(category));
cl::opt<uint64_t> seedOpt("seed",
                          cl::desc("Seed of the random inputs (0: a fresh one each run); "
                                   "the same seed gives the same inputs, lookup tensors "
                                   "included, for A/B timings"),
                          cl::init(0), cl::sub(runCmd), cl::cat(category));
cl::opt<unsigned> pageSizeOpt(
    "page-size",
    cl::desc("run: K and V in a paged pool of pages of this many rows (a multiple of 16), "
             "in a random order (a paged KV cache; forward, sm_90a); 0: contiguous"),
    cl::init(0), cl::sub(runCmd), cl::cat(category));
cl::opt<bool> kvLengthsOpt(
    "kv-lengths",
    cl::desc("run: per-entry key lengths (entry 1 all keys, entry 2 none, the others "
             "random), the K/V rows past them NaN (forward)"),
    cl::sub(runCmd), cl::cat(category));
cl::opt<std::string> layoutOpt(
    "layout",
    cl::desc("run, explain: how q, k, v and o lie on the device, bshd (flash-attn's) or "
             "bhsd (SDPA's; forward of fixed-length variants; explain: in bhsd several "
             "query rows of a GQA group pack into one tile, as the runtime packs them)"),
    cl::init("bshd"), cl::sub(runCmd), cl::sub(explainCmd), cl::cat(category));
/// --layout is bshd or bhsd (run and explain); else an error saying so.
bool layoutOptionValid() {
  if (layoutOpt == "bshd" || layoutOpt == "bhsd")
    return true;
  WithColor::error(errs(), "flashgen")
      << "--layout must be bshd or bhsd, got '" << layoutOpt << "'\n";
  return false;
}
cl::opt<bool> packGqaRowsOpt(
    "pack-gqa-rows",
    cl::desc("run: GQA packing with several query rows per head too, where the packing "
             "rule expects it faster (JitOptions::packGqaRows; q and o in bhsd: "
             "--layout bhsd); on by default, --pack-gqa-rows=false turns it off"),
    cl::init(true), cl::sub(runCmd), cl::cat(category));
cl::opt<bool> noCheckOpt("no-check",
                         cl::desc("Skip the CPU reference (large shapes)"),
                         cl::sub(runCmd), cl::cat(category));
cl::opt<std::string> compileOutput("o",
                                   cl::desc("Output file; its extension picks "
                                            "the form: .cu, .ptx or .cubin"),
                                   cl::value_desc("file"), cl::Required,
                                   cl::sub(compileCmd), cl::cat(category));
cl::opt<std::string> variantOpt("variant",
                                cl::desc("Which variant of a multi-variant "
                                         "file to compile (default: the only one)"),
                                cl::value_desc("name"), cl::sub(compileCmd),
                                cl::cat(category));
cl::opt<std::string> archOpt("arch",
                             cl::desc("Target architecture: sm_80, sm_86, sm_89, "
                                      "sm_90a (default: the spec's target; "
                                      "sm_90a for native)"),
                             cl::value_desc("sm_XX"), cl::sub(explainCmd),
                             cl::sub(compileCmd), cl::cat(category));
cl::opt<std::string> shapeOpt("shape",
                              cl::desc("Problem shape B,H,N or B,H,Nq,Nk (explain: "
                                       "1,<heads or 16>,8192,8192; run: 2 (1 for "
                                       "over 4 heads),<heads or 3>,1024,1024)"),
                              cl::value_desc("B,H,Nq,Nk"), cl::sub(explainCmd),
                              cl::sub(runCmd), cl::cat(category));
cl::opt<bool> jsonOpt("json", cl::desc("Print JSON instead of a table"),
                      cl::sub(explainCmd), cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("Write the IR to <file> (default: stdout)"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::sub(emitIRCmd), cl::cat(category));
cl::opt<bool> debugLoc("mlir-print-debuginfo",
                       cl::desc("Print source locations in the IR"),
                       cl::sub(emitIRCmd), cl::cat(category));
cl::opt<bool> pipelineOpt("pipeline",
                          cl::desc("Run the attn pass pipeline (canonicalize, "
                                   "recognize shapes, plan tiling) before printing"),
                          cl::sub(emitIRCmd), cl::cat(category));


void printVersion(raw_ostream &os) {
  // The CUDA compilers too: what the JIT's kernels (and their cache
  // entries) come from.
  os << "flashgen " << FLASHGEN_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING << "; NVRTC "
     << flashgen::runtime::nvrtcVersion() << ")\n";
}

/// Loads `path` into `srcMgr` as the main buffer, or reports why not.
bool loadInput(StringRef path, SourceMgr &srcMgr) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buf = MemoryBuffer::getFileOrSTDIN(path);
  if (std::error_code ec = buf.getError()) {
    WithColor::error(errs(), "flashgen")
        << "cannot read '" << path << "': " << ec.message() << "\n";
    return false;
  }
  srcMgr.AddNewSourceBuffer(std::move(*buf), SMLoc());
  return true;
}

enum class Action { Check, EmitIR, Explain, Compile };

/// `flashgen run`: JIT for the GPU present, check, time.
int runKernel(StringRef path) {
  flashgen::ExplainOptions shape;
  shape.seqQ = shape.seqK = 1024;
  shape.batch = 0;
  if (!(blockDensityOpt > 0 && blockDensityOpt <= 1)) {
    WithColor::error(errs(), "flashgen")
        << "--block-density must be in (0, 1], got " << blockDensityOpt << "\n";
    return kUsageError;
  }
  if (backwardOpt && (pageSizeOpt || kvLengthsOpt)) {
    WithColor::error(errs(), "flashgen")
        << "--page-size and --kv-lengths are forward options (decoding): drop --backward\n";
    return kUsageError;
  }
  if (!layoutOptionValid())
    return kUsageError;
  if (backwardOpt && (layoutOpt == "bhsd" || packGqaRowsOpt.getNumOccurrences())) {
    WithColor::error(errs(), "flashgen")
        << "--layout bhsd and --pack-gqa-rows are forward options: drop --backward\n";
    return kUsageError;
  }
  if (pageSizeOpt % 16) {
    WithColor::error(errs(), "flashgen")
        << "--page-size must be a multiple of 16, got " << pageSizeOpt << "\n";
    return kUsageError;
  }
  if (!shapeOpt.empty()) {
    std::string err = flashgen::parseShape(shapeOpt, shape);
    if (!err.empty()) {
      WithColor::error(errs(), "flashgen") << err << "\n";
      return kUsageError;
    }
  }
  auto buf = MemoryBuffer::getFile(path);
  if (!buf) {
    WithColor::error(errs(), "flashgen")
        << "cannot read '" << path << "': " << buf.getError().message() << "\n";
    return kInputError;
  }
  flashgen::JitOptions jit;
  jit.checkLookups = jit.checkLookups || checkLookupsOpt;
  jit.packGqaRows = packGqaRowsOpt;
  auto kernel = flashgen::Kernel::fromSpec((*buf)->getBuffer(), path, jit);
  if (!kernel) {
    WithColor::error(errs(), "flashgen") << llvm::toString(kernel.takeError()) << "\n";
    return kInputError;
  }
  const auto &spec = (*kernel)->spec();
  const auto &st = (*kernel)->stats();
  outs() << "variant " << spec.variant << ": tiles " << spec.tiles.blockM << "x"
         << spec.tiles.blockN << ", " << spec.tiles.warps << " warps, "
         << spec.tiles.stages << " stage(s)\n"
         << "jit: " << (st.cacheHit ? "cache hit" : "compiled") << ", frontend "
         << llvm::format("%.1f", st.frontendSeconds * 1e3) << " ms, nvrtc "
         << llvm::format("%.1f", st.nvrtcSeconds * 1e3) << " ms";
  if (st.linkSeconds > 0)
    outs() << llvm::format(" (nvJitLink %.1f ms)", st.linkSeconds * 1e3);
  outs() << ", load " << llvm::format("%.2f", st.loadSeconds * 1e3) << " ms\n";
  {
    // Which forward kernel the launches use: the planner's, or the tuned
    // tiling of this shape's bucket (flashgen tune), and why.
    flashgen::ForwardArgs probe;
    probe.batch = shape.batch ? int(shape.batch) : 1;
    probe.heads = shape.heads ? int(shape.heads) : 3;
    probe.seqQ = int(shape.seqQ);
    probe.seqK = int(shape.seqK);
    std::string why;
    (*kernel)->forTuning(probe, &why);
    outs() << "forward kernel: " << why << "\n";
  }
  flashgen::runtime::CheckOptions opt;
  opt.batch = int(shape.batch);
  opt.heads = int(shape.heads);
  opt.seqQ = int(shape.seqQ);
  opt.seqK = int(shape.seqK);
  opt.reference = !noCheckOpt;
  opt.timingReps = int(repsOpt);
  opt.flushL2 = coldL2Opt;
  opt.checkTileClasses = checkTileClassesOpt;
  opt.blockDensity = blockDensityOpt;
  opt.seed = seedOpt;
  opt.pageSize = int(pageSizeOpt);
  opt.seqUsedK = kvLengthsOpt;
  opt.layout = layoutOpt == "bhsd" ? flashgen::Layout::BHSD : flashgen::Layout::BSHD;
  if (backwardOpt) {
    opt.deterministic = deterministicOpt;
    opt.repeatRuns = 1; // compare bits (deterministic mode only)
    auto report = flashgen::runtime::checkBackward(**kernel, (*buf)->getBuffer(), opt);
    if (!report) {
      WithColor::error(errs(), "flashgen") << llvm::toString(report.takeError()) << "\n";
      return kInputError;
    }
    const auto &bs = (*kernel)->backwardSpec();
    const auto &bst = (*kernel)->backwardStats();
    // The path this run took: the wide wgmma kernels (head dims past 128
    // on sm_90a; with no atomics also the deterministic path) or the tiling's.
    if (bs.bwdWide())
      outs() << "backward: the wide wgmma kernel, resident " << flashgen::kBwdWideResident
             << " rows shared by its 2 warpgroups ("
             << flashgen::bwdWideSplitText(bs.paddedQK, bs.paddedV) << "), streamed tiles "
             << flashgen::kBwdWideStream << ", dQ by the q-major wgmma kernel ("
             << flashgen::kBwdDqRows << " query rows, "
             << flashgen::bwdDqKeys(bs.paddedQK, bs.paddedV, bs.inputBytes())
             << "-key tiles); jit ";
    else
      outs() << "backward: resident " << 16 * bs.bwdTiles->warps << " rows, streamed tiles "
             << bs.bwdTiles->blockM << ", " << bs.bwdTiles->warps << " warps, "
             << bs.bwdTiles->stages << " stage(s); jit ";
    outs() 
           << (bst.cacheHit ? "cache hit" : "compiled") << ", nvrtc "
           << llvm::format("%.1f", bst.nvrtcSeconds * 1e3) << " ms\n";
    outs() << report->forward.summary() << "\n" << report->summary() << "\n";
    if (!report->passed()) {
      WithColor::error(errs(), "flashgen")
          << (report->bitMismatches ? "two backward runs differ bit for bit\n"
                                    : "the gradients do not match the float64 reference\n");
      return kInputError;
    }
    if (report->checked)
      outs() << "ok: O, dQ, dK, dV match the float64 reference"
             << (report->atomicDQ ? " (fast path: dQ summed with atomics)\n"
                 : report->ownDQKernel
                     ? " (fast path, dQ from its own kernel); backward bit-identical across runs\n"
                     : "; backward bit-identical across runs\n");
    return kOk;
  }
  auto report = flashgen::runtime::checkForward(**kernel, (*buf)->getBuffer(), opt);
  if (!report) {
    WithColor::error(errs(), "flashgen") << llvm::toString(report.takeError()) << "\n";
    return kInputError;
  }
  outs() << report->summary() << "\n";
  if (checkTileClassesOpt && !report->tileClassesBuilt)
    outs() << "note: --check-tile-classes: this variant builds no tile classes at run time "
              "(its tiles are classified when it is compiled: see `flashgen explain`)\n";
  else if (checkTileClassesOpt && !report->tileClassesChecked && !report->tileClassesWrong)
    outs() << "note: --check-tile-classes: this launch's classes are not laid out by the "
              "problem's rows and keys (e.g. GQA-packed query heads): not compared\n";
  if (report->tileClassesWrong) {
    WithColor::error(errs(), "flashgen")
        << "the run-time tile classes contradict the mask on " << report->tileClassesWrong
        << " tile(s): built empty with a kept element, or full with a masked one\n";
    return kInputError;
  }
  if (!report->passed()) {
    WithColor::error(errs(), "flashgen") << "the kernel's output does not match the "
                                            "float64 reference\n";
    return kInputError;
  }
  outs() << (report->checked ? "ok: matches the float64 reference\n" : "");
  return kOk;
}

/// Writes `text` to `path` ("-" for stdout).
bool writeFile(StringRef path, StringRef text) {
  std::error_code ec;
  raw_fd_ostream os(path, ec);
  if (ec) {
    WithColor::error(errs(), "flashgen")
        << "cannot write '" << path << "': " << ec.message() << "\n";
    return false;
  }
  os << text;
  return true;
}

int compileKernel(mlir::ModuleOp module, StringRef origin) {
  SmallVector<flashgen::attn::VariantOp> variants;
  for (auto v : module.getOps<flashgen::attn::VariantOp>())
    if (variantOpt.empty() || v.getSymName() == variantOpt)
      variants.push_back(v);
  if (variants.size() != 1) {
    WithColor::error(errs(), "flashgen")
        << (variants.empty() ? "no variant named '" + variantOpt + "'"
                             : std::string("the file has several variants; pick "
                                           "one with --variant"))
        << "\n";
    return kUsageError;
  }
  llvm::Expected<flashgen::codegen::KernelSpec> spec =
      flashgen::codegen::buildKernelSpec(variants[0]);
  if (!spec) {
    WithColor::error(errs(), "flashgen") << llvm::toString(spec.takeError()) << "\n";
    return kInputError;
  }
  spec->checkLookups = checkLookupsOpt;
  if (backwardOpt && !spec->bwdTiles) {
    WithColor::error(errs(), "flashgen") << "no backward tiling was planned\n";
    return kInputError;
  }
  std::string source = backwardOpt
                           ? flashgen::codegen::emitBackwardKernels(variants[0], *spec, origin)
                           : flashgen::codegen::emitForwardKernel(variants[0], *spec, origin);
  StringRef ext = llvm::sys::path::extension(compileOutput);
  if (ext == ".cu")
    return writeFile(compileOutput, source) ? kOk : kInputError;
  if (ext == ".ptx" || ext == ".cubin") {
    std::string arch = archOpt.empty()
                           ? flashgen::attn::stringifyTarget(variants[0].getTarget()).str()
                           : std::string(archOpt);
    if (arch == "native")
      arch = "sm_90a"; // the planning default; pass --arch for another GPU
    auto r = flashgen::runtime::compileWithNvrtc(source, origin.str() + ".cu", arch,
                                                 /*cubin=*/ext == ".cubin");
    if (!r) {
      WithColor::error(errs(), "flashgen") << llvm::toString(r.takeError()) << "\n";
      return kInputError;
    }
    StringRef out = ext == ".ptx" ? StringRef(r->ptx)
                                  : StringRef(r->cubin.data(), r->cubin.size());
    return writeFile(compileOutput, out) ? kOk : kInputError;
  }
  WithColor::error(errs(), "flashgen")
      << "unsupported output '" << compileOutput << "'; use .cu, .ptx or .cubin\n";
  return kUsageError;
}

int run(StringRef path, Action action) {
  SourceMgr srcMgr;
  if (!loadInput(path, srcMgr))
    return kInputError;
  mlir::DialectRegistry registry;
  flashgen::registerAttnDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  // Diagnostics point into the .attn file; a dump of the IR would only
  // confuse a user reading them.
  ctx.printOpOnDiagnostic(false);
  flashgen::FrontendResult result = flashgen::runFrontend(srcMgr, errs(), &ctx);
  if (result.numErrors) {
    errs() << result.numErrors << " error" << (result.numErrors == 1 ? "" : "s")
           << " generated.\n";
    return kInputError;
  }
  if (action == Action::Check) {
    // The errors only the folded expressions show (a divisor that is always
    // 0, a lookup always out of range), as the JIT would report them.
    mlir::SourceMgrDiagnosticHandler handler(srcMgr, &ctx, errs());
    unsigned errors = 0;
    mlir::DiagnosticEngine::HandlerID counter =
        ctx.getDiagEngine().registerHandler([&](mlir::Diagnostic &d) {
          errors += d.getSeverity() == mlir::DiagnosticSeverity::Error;
          return mlir::failure(); // printed by the SourceMgr handler
        });
    for (auto v : result.module->getOps<flashgen::attn::VariantOp>())
      (void)flashgen::attn::canonicalizeExpressions(v);
    ctx.getDiagEngine().eraseHandler(counter);
    if (errors) {
      errs() << errors << " error" << (errors == 1 ? "" : "s") << " generated.\n";
      return kInputError;
    }
    return kOk;
  }

  flashgen::ExplainOptions explainOpts;
  if (!layoutOptionValid())
    return kUsageError;
  explainOpts.bhsd = layoutOpt == "bhsd";
  if (!shapeOpt.empty()) {
    std::string err = flashgen::parseShape(shapeOpt, explainOpts);
    if (!err.empty()) {
      WithColor::error(errs(), "flashgen") << err << "\n";
      return kUsageError;
    }
  }
  if (!archOpt.empty() && !flashgen::attn::lookupTarget(archOpt)) {
    WithColor::error(errs(), "flashgen")
        << "unknown --arch '" << archOpt
        << "'; expected sm_80, sm_86, sm_89 or sm_90a\n";
    return kUsageError;
  }
  explainOpts.arch = archOpt;
  explainOpts.json = jsonOpt;
  if (action == Action::Explain && archOpt.empty()) {
    // The GPU present, if any: its own resources, and the kernel the JIT
    // would launch at this shape (tuned or the planner's).
    if (llvm::Expected<flashgen::attn::GpuTarget> dev = flashgen::deviceTarget()) {
      explainOpts.device = *dev;
      const int64_t heads = explainOpts.heads ? explainOpts.heads : 16;
      flashgen::tuning::LaunchChoice c = flashgen::tuning::launchTiling(
          srcMgr.getMemoryBuffer(srcMgr.getMainFileID())->getBuffer(), -1, explainOpts.batch,
          heads, explainOpts.seqQ, explainOpts.seqK, /*backward=*/false);
      explainOpts.tuning = c.tuned ? "tuned: " + c.why : c.why;
    } else {
      llvm::consumeError(dev.takeError());
      explainOpts.tuning = "no GPU here: the JIT launches the tiling `flashgen tune` stored "
                           "for the device and this shape's bucket, else the planner's";
      // Without a GPU the planner plans for the spec's target (sm_90a if
      // it names none: resolveTarget); at a shape one of its rules may
      // pick another tiling, as the JIT would.
      auto variants = result.module->getOps<flashgen::attn::VariantOp>();
      std::string rule;
      if (!variants.empty())
        if (mlir::FailureOr<flashgen::attn::GpuTarget> t =
                flashgen::attn::resolveTarget(*variants.begin(), "");
            mlir::succeeded(t))
          if (std::optional<flashgen::attn::TileConfig> alt = flashgen::tuning::plannerForShape(
                  srcMgr.getMemoryBuffer(srcMgr.getMainFileID())->getBuffer(), *t,
                  explainOpts.seqQ, explainOpts.seqK, &rule))
            explainOpts.tuning += "; on " + t->arch + " at this shape the planner's: " +
                                  flashgen::tuning::tilingProperties(*alt) + " (" + rule + ")";
    }
  }
  if (action == Action::Explain || action == Action::Compile || pipelineOpt) {
    mlir::SourceMgrDiagnosticHandler handler(srcMgr, &ctx, errs());
    mlir::PassManager pm(&ctx);
    flashgen::attn::buildAttnPipeline(pm, archOpt);
    if (action == Action::Compile && backwardOpt) // plan backward tiles too
      for (auto v : result.module->getOps<flashgen::attn::VariantOp>())
        flashgen::attn::requestBackward(v);
    if (mlir::failed(pm.run(*result.module)))
      return kInputError;
  }
  if (action == Action::Compile)
    return compileKernel(*result.module, llvm::sys::path::filename(path));
  if (action == Action::Explain) {
    bool first = true;
    for (auto v : result.module->getOps<flashgen::attn::VariantOp>()) {
      if (!first)
        outs() << "\n";
      first = false;
      flashgen::explainVariant(v, explainOpts, outs());
    }
    return kOk;
  }
  std::error_code ec;
  raw_fd_ostream os(outputFile, ec);
  if (ec) {
    WithColor::error(errs(), "flashgen")
        << "cannot write '" << outputFile << "': " << ec.message() << "\n";
    return kInputError;
  }
  mlir::OpPrintingFlags flags;
  if (debugLoc)
    flags.enableDebugInfo();
  result.module->print(os, flags);
  os << "\n";
  return kOk;
}
} // namespace

int main(int argc, char **argv) {
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter(printVersion);
  std::string errors;
  raw_string_ostream errOS(errors);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "flashgen: an IO-aware attention kernel compiler\n\n"
          "  flashgen check FILE      check a .attn spec, print diagnostics\n"
          "  flashgen emit-ir FILE    print the spec as attn dialect IR\n"
          "  flashgen explain FILE    tiling, tile classes, IO cost and why\n"
          "  flashgen compile FILE -o OUT.{cu,ptx,cubin} [--backward]   the kernels\n"
          "  flashgen run FILE [--shape B,H,Nq,Nk] [--backward]   JIT, check vs float64, time\n"
          "  flashgen tune FILE --shapes B,H,Nq,Nk[;...] [--budget S] [--db PATH]   auto-tune\n"
          "  flashgen tune --list | --export F.json | --import F.json | --clear\n"
          "  flashgen tune --calibrate                  measure bandwidth and matmul rate\n\n"
          "Exit codes: 0 ok, 1 errors in the input, 2 usage errors.\n",
          &errOS)) {
    errs() << errors << "Run 'flashgen --help' for usage.\n";
    return kUsageError;
  }
  if (checkCmd)
    return run(inputFile, Action::Check);
  if (emitIRCmd)
    return run(inputFile, Action::EmitIR);
  if (explainCmd)
    return run(inputFile, Action::Explain);
  if (compileCmd)
    return run(inputFile, Action::Compile);
  if (runCmd) // Kernel::fromSpec reads, checks and compiles the spec itself
    return runKernel(inputFile);
  if (tuneCmd) {
    flashgen::TuneCommand t;
    t.file = tuneFile;
    t.shapes = tuneShapes;
    t.pass = tunePass;
    t.db = tuneDb;
    t.exportFile = tuneExport;
    t.importFile = tuneImport;
    t.arch = tuneArch;
    t.budgetSeconds = tuneBudget;
    t.blockDensity = blockDensityOpt;
    t.reps = int(tuneReps);
    t.threads = int(tuneThreads);
    t.list = tuneList;
    t.clear = tuneClear;
    t.dryRun = tuneDryRun;
    t.calibrate = tuneCalibrate;
    t.jsonFile = tuneJson;
    return flashgen::runTune(t, outs(), errs());
  }
  errs() << "flashgen: no command given\nRun 'flashgen --help' for usage.\n";
  return kUsageError;
}
