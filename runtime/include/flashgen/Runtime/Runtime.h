//===- Runtime.h - the flashgen C++ JIT API ---------------------*- C++ -*-===//
//
//   auto k = flashgen::Kernel::fromSpec(R"(attention a { head_dim = 128;
//                                            mask = causal; })");
//   if (!k) { report(k.takeError()); ... }
//   flashgen::ForwardArgs args;
//   args.q = q; args.k = k; args.v = v; args.o = o;       // device pointers
//   args.batch = 2; args.heads = 16; args.seqQ = args.seqK = 4096;
//   if (llvm::Error e = (*k)->forward(args)) { ... }     // names what is wrong
//
// A spec goes through the frontend, the attn pipeline (tiled for the device
// present, from its own shared-memory and register counts), codegen, NVRTC
// (or the kernel cache) and the driver. Every argument is checked before a
// launch; errors name the argument and the expected value.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_RUNTIME_H
#define FLASHGEN_RUNTIME_RUNTIME_H

#include "flashgen/Codegen/KernelSpec.h"
#include "flashgen/Runtime/PackedQueryHeads.h"
#include "flashgen/Runtime/Positions.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <cuda.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace flashgen {

struct FwdParams; // templates/flashgen/attention/Params.cuh
struct BwdParams;

/// How Q, K, V and O are laid out, when no explicit strides are given.
enum class Layout {
  BSHD, // [batch][seq][heads][head_dim] (flash-attn's layout)
  BHSD, // [batch][heads][seq][head_dim] (torch SDPA's)
};

/// A run-time tensor that a mask or score expression reads by name.
struct NamedTensor {
  const void *data = nullptr;   // device pointer; i32 or f32 as declared
  std::vector<int64_t> shape;   // must match the declaration
  std::vector<int64_t> strides; // elements; empty = contiguous
};

/// Strides of one of Q, K, V, O in elements; zeros = derive from Layout.
struct Strides {
  int64_t batch = 0, row = 0, head = 0;
};

struct ForwardArgs {
  const void *q = nullptr, *k = nullptr, *v = nullptr; // device pointers
  void *o = nullptr;
  float *lse = nullptr; // optional [batch][heads][seqQ] fp32 (varlen: [heads][totalQ])
  int batch = 0, heads = 0, kvHeads = 0; // kvHeads 0 = heads (or the spec's)
  int seqQ = 0, seqK = 0;                // varlen: the longest sequence
  Layout layout = Layout::BSHD;
  Strides qStrides, kStrides, vStrides, oStrides;
  const int32_t *cuSeqlensQ = nullptr, *cuSeqlensK = nullptr; // varlen
  int totalQ = 0, totalK = 0;                                 // varlen rows
  /// Per batch entry, how many keys exist: int32 [batch] on the device,
  /// each <= seqK (varlen: <= its own length; larger values are clamped).
  /// Entry b attends its first seqUsedK[b] keys and its spec sees seq_k =
  /// that length (flash-attn's seqused_k; a KV cache's filled length): the
  /// rows past it are never read into the result, so they may hold
  /// anything. Null: every key. Forward only.
  const int32_t *seqUsedK = nullptr;
  /// A paged KV cache (flash-attn's block_table): k and v are pools of
  /// numPages pages of pageSize rows, [numPages][pageSize][kvHeads][d]
  /// contiguous, and entry b's key k is row k % pageSize of page
  /// pageTable[b * pageTableStride + k / pageSize] (int32 on the device;
  /// pageTableStride >= the pages seqK keys span). pageSize: a multiple of
  /// 16. Entries past an entry's keys (seqUsedK) are never read. Forward
  /// only, on the sm_90a warp-specialized kernels (the copy engine loads
  /// each page's rows); not varlen.
  const int32_t *pageTable = nullptr;
  int pageSize = 0, numPages = 0, pageTableStride = 0;
  /// K and V hold kvBatch entries (>= 1) of which batch entry b reads
  /// kvBatchIndex[b] (int32 [batch] on the device, each in [0, kvBatch);
  /// flash-attn's cache_batch_idx): a cache read in place, not gathered
  /// into a copy. Null: entry b (kvBatch unused). Forward only; not with
  /// varlen or a paged cache.
  const int32_t *kvBatchIndex = nullptr;
  int kvBatch = 0;
  uint64_t dropoutSeed = 0, dropoutOffset = 0;
  /// fp8 inputs (`dtype = fp8_e4m3`): each tensor's per-tensor descale
  /// factor, the real value of an element being its fp8 value times it
  /// (as cuDNN's and FlashAttention-3's descale_q/k/v). q, k, v hold one
  /// byte per element (strides multiples of 16 elements), o is bf16. 1 for
  /// other dtypes.
  float qDescale = 1.f, kDescale = 1.f, vDescale = 1.f;
  /// fp8 inputs: per-head descale factors on top of the per-tensor ones,
  /// float32 [batch][kvHeads] on the device (FlashAttention-3's shape: one
  /// factor per kv head, which its query heads share; b is the query's
  /// batch entry, varlen its sequence). Element (b, hk) at data[b *
  /// batchStride + hk * headStride]; a stride of 0 broadcasts. Null: 1.
  /// Values are not checked (device memory): positive finite factors.
  struct HeadDescale {
    const float *data = nullptr;
    int64_t batchStride = 0, headStride = 1;
  };
  HeadDescale qHeadDescale, kHeadDescale, vHeadDescale;
  std::map<std::string, NamedTensor> tensors;
  CUstream stream = nullptr;
  /// Where this launch sits in a larger problem (Positions.h); default: it
  /// is the whole problem.
  Positions positions;
};

/// The backward pass: the forward's arguments (q, k, v, o as written by
/// forward, lse required) plus dO and the three gradients. Gradients have
/// the layout of their inputs (dQ like q, dK/dV like k/v with kvHeads
/// heads) unless strides say otherwise; dO is laid out like o by default.
struct BackwardArgs : ForwardArgs {
  const void *dO = nullptr;
  void *dQ = nullptr, *dK = nullptr, *dV = nullptr;
  Strides dOStrides, dQStrides, dKStrides, dVStrides;
  /// Scratch for logsumexp, D = rowsum(dO * O) and the fp32 dQ accumulator:
  /// backwardWorkspaceBytes() bytes, 16-byte aligned. Null: the kernel keeps
  /// its own buffer (one per kernel object; give each stream its own
  /// workspace to overlap calls).
  void *workspace = nullptr;
  /// false (default): the fast path where the tiling has one, dQ summed
  /// with atomics in the dK/dV kernel (the summation order, hence the last
  /// bits of dQ, may differ between runs). true: bit-identical from run to
  /// run: the warp-specialized fused kernel adding each dQ tile in
  /// key-block order where the tiling runs it (0.69-1.0x the fast path's
  /// speed on the H200), else separate dK/dV and dQ kernels, no atomics.
  bool deterministic = false;
  /// false (default): dQ, dK, dV in the inputs' dtype, overwritten. true:
  /// they are fp32 (16-byte aligned, strides in fp32 elements) and the
  /// gradients are added to what they hold, so a caller summing many
  /// launches (context parallelism) rounds once. Strides default to the
  /// inputs' element strides, as in the other mode.
  bool accumulateF32 = false;
};

/// Whether $FLASHGEN_CHECK_LOOKUPS asks for checked builds (set, not "0").
bool checkLookupsFromEnvironment();

struct JitOptions {
  std::string arch = "native"; // or sm_80, sm_86, sm_89, sm_90a
  bool useCache = true;
  /// The CUDA device ordinal the kernel is loaded on and launches on
  /// (its primary context); -1: $FLASHGEN_DEVICE, else 0.
  int device = -1;
  /// Launch the tiling `flashgen tune` stored for this GPU, variant and
  /// shape bucket (TuningDb.h), where there is one; else the planner's.
  bool useTuning = true;
  /// Also JIT the backward module, on a second thread while the forward
  /// compiles (for training: the pair then costs about the slower of the
  /// two instead of their sum, and the first backward() finds it ready).
  /// A backward that fails to JIT is not the forward's error: backward()
  /// reports it.
  bool withBackward = false;
  /// A checked build (debugging specs that index tensors): every lookup
  /// index the compiler could not prove in range is checked where the
  /// kernel evaluates it, and a launch that clamped one inside seq_q x seq_k
  /// waits for the GPU and fails with an Argument error naming the lookup,
  /// the index and the element (b, h, q, k). Off: such indices are clamped
  /// silently (no byte outside the tensor is read either way). Default:
  /// $FLASHGEN_CHECK_LOOKUPS, so C and Python callers can turn it on too.
  bool checkLookups = checkLookupsFromEnvironment();
  /// Split-KV for decoding shapes (Kernel::forwardKvSplits): where the
  /// forward's CTAs fill less than half the SMs, each row block's kv tiles
  /// are split over CTAs and merged by the combine entry. On by default
  /// (the whole GPU suite passed with it, bench/results/2026-11-30-h200-s17.md);
  /// $FLASHGEN_FWD_KV_SPLITS=1 turns it off for C and Python callers too.
  bool splitKv = true;
  /// GQA packing for few query rows per head (PackedLaunch.h): a kv head's
  /// query heads become the rows of one launch of a kernel rewritten for it
  /// (JITted on first use, per group), which reads the kv head's K/V once.
  /// Where the cost model expects it faster (ForwardGrid.h:
  /// packingIsFaster); the environment overrides it for C and Python
  /// callers too:
  /// $FLASHGEN_PACK_GQA=0 (never), 1 (where faster), always.
  PackGqa packGqa = PackGqa::WhereFaster;
  /// Packing with several query rows per head as well (q and o in BHSD,
  /// where a kv head's query rows are one stride apart), under the same
  /// where-faster rule. GPU-verified (GpuForward.PacksGqaQueryHeads); on the
  /// H200, GQA 32/8 d128 Nq = 4 and 16: 1.9x (batch 8 x 4k) to 3.1x (batch 8
  /// x 32k) less time than unpacked, 0.89x at batch 1 x 4k
  /// (bench/results/2026-12-01-h200-s21.md).
  bool packGqaRows = true;
  /// The split-KV combine launched as the forward's programmatic dependent
  /// (sm_90+, templates' GridDependency.cuh): it may start while the
  /// forward's last CTAs run. On the H200 1.5-8% less time per decoding
  /// launch, most at batch 1 (bench/results/2026-12-01-h200-s20.md);
  /// $FLASHGEN_PDL=0 turns it off for C and Python callers too.
  bool launchCombineEarly = true;
  /// Set by the runtime on the packed kernel it JITs, not by callers.
  PackedQueryHeads packedQueryHeads;
};

/// What one JIT compilation cost, for the bench and `flashgen run`.
struct JitStats {
  double frontendSeconds = 0, nvrtcSeconds = 0, loadSeconds = 0;
  // Of nvrtcSeconds: nvJitLink's NVVM and ptxas (NVRTC's front end is the
  // rest); the longest unit's for a backward compiled side by side.
  double linkSeconds = 0;
  // loadSeconds in two parts: the driver's module loads (one per compile
  // unit) and its functions' lookups and attributes (one per entry).
  double moduleLoadSeconds = 0, functionSeconds = 0;
  // Of frontendSeconds on a disk hit: reading the spec index and the CUBIN.
  double cacheReadSeconds = 0;
  int modules = 0, functions = 0;
  bool cacheHit = false;   // CUBIN from the kernel cache (memory or disk)
  bool processHit = false; // the same spec was JITted before in this process:
                           // frontend, codegen and module load all skipped
  bool indexHit = false;   // found in the kernel cache's spec index (another
                           // process compiled it): frontend and codegen skipped
  std::string cacheKey;
};

namespace runtime {
class CudaDriver;
struct BackwardWorkspace; // LaunchArgs.h
struct LoadedModule;
struct PackedLaunch; // PackedLaunch.h

/// One JITted module (the forward kernel, or the backward kernels): its
/// spec, source, what the JIT cost, and the loaded CUBIN (shared with the
/// process-level JIT cache, so it stays loaded while anyone holds it).
struct JitModule {
  codegen::KernelSpec spec;
  std::string source;
  JitStats stats;
  std::shared_ptr<LoadedModule> loaded;
  int smemBytes = 0; // dynamic shared memory of its main kernels
  /// A forward compiled with the launch features decoding uses (split-KV
  /// partial results, paged K/V, per-entry key lengths' V rows;
  /// templates' FwdDecoding.cuh).
  bool decoding = true;
};
} // namespace runtime

class Kernel {
public:
  static llvm::Expected<std::unique_ptr<Kernel>>
  fromSpec(llvm::StringRef text, llvm::StringRef name = "spec.attn",
           const JitOptions &options = {});
  static llvm::Expected<std::unique_ptr<Kernel>>
  fromFile(llvm::StringRef path, const JitOptions &options = {});

  /// Validates `args` against the variant and launches the forward kernel
  /// on args.stream (asynchronous, like any CUDA launch): the tuned tiling
  /// of the launch's shape bucket if the tuning database has one for this
  /// GPU (compiled on first use of the bucket), else the planner's.
  llvm::Error forward(const ForwardArgs &args) const;

  /// The kernel forward() (backward() with `backward`) launches for
  /// `args`' shape: this one, or the tuned variant of its bucket; `why`
  /// says which and why.
  const Kernel &forTuning(const ForwardArgs &args, std::string *why = nullptr,
                          bool backward = false) const;

  /// Validates `args` and launches the backward kernels on args.stream:
  /// preprocessing, then the fast path (one kernel for dK, dV and dQ, dQ
  /// summed with atomics; then dQ's conversion) or, with
  /// args.deterministic, a bit-identical path: the same fused kernel
  /// adding dQ in key-block order where the tiling is warp-specialized,
  /// else separate dK/dV and dQ kernels without atomics (also where the
  /// tiling has no fast path). At padded head dims past 128 on sm_90a both
  /// paths are the wide dK/dV kernel and a q-major dQ kernel, with no
  /// atomics. The first call JITs them (see prepareBackward).
  llvm::Error backward(const BackwardArgs &args) const;

  /// JITs the backward kernels now instead of on the first backward()
  /// (or waits for startBackward()'s JIT to finish).
  llvm::Error prepareBackward() const;

  /// Starts the backward kernels' JIT on a background thread and returns:
  /// prepareBackward() and backward() wait for it. Nothing when they are
  /// ready or already on their way.
  void startBackward() const;

  /// Whether backward() has the fast path for this variant's tiling (known
  /// once the backward is JITted: false before prepareBackward() or the
  /// first backward()).
  bool hasFastBackward() const { return !bwd.spec.bwdFusedEntry.empty(); }
  /// Bytes of BackwardArgs::workspace that `args` needs.
  size_t backwardWorkspaceBytes(const ForwardArgs &args) const;
  /// CTAs per (key block, kv head) the backward of `args` runs
  /// (BwdParams::kvSplit): more than 1 where GQA/MQA key blocks alone
  /// would leave SMs idle (on the fast path). After prepareBackward().
  int backwardKvSplit(const ForwardArgs &args) const;
  /// Parts each row block's kv tiles are split into by the forward of
  /// `args` (FwdParams::kvSplits): more than 1 where batch x heads x row
  /// blocks leave SMs idle (decoding shapes) and JitOptions::splitKv is on;
  /// the parts' results are merged by the combine entry.
  /// FLASHGEN_FWD_KV_SPLITS: auto (the rule, whatever splitKv says), N
  /// (forces N; 1: off).
  int forwardKvSplits(const ForwardArgs &args) const;
  /// Query heads per kv head the forward of `args` packs into one launch's
  /// rows (JitOptions::packGqa; PackedLaunch.h), 1 where it does not pack.
  int forwardPackedGroup(const ForwardArgs &args) const;

  ~Kernel();

  const codegen::KernelSpec &spec() const { return fwd.spec; }
  /// The device ordinal the kernel's modules are loaded on.
  int device() const { return jitOptions.device; }
  const std::string &source() const { return fwd.source; }
  const JitStats &stats() const { return fwd.stats; }
  /// The backward kernels' spec (tiling) and source; empty before
  /// prepareBackward() or the first backward() (call prepareBackward()
  /// first when startBackward() may still be running).
  const codegen::KernelSpec &backwardSpec() const { return bwd.spec; }
  const std::string &backwardSource() const { return bwd.source; }
  const JitStats &backwardStats() const { return bwd.stats; }
  /// "entry: R registers, S bytes spilled" for every loaded kernel
  /// (forward, and backward once JITted): the ptxas facts the tiling
  /// model's register estimate is calibrated against.
  std::string resourceReport() const;

private:
  Kernel() = default;
  llvm::Error forwardUntuned(const ForwardArgs &args) const;
  /// forwardKvSplits on this kernel's own forward tiling.
  int untunedForwardKvSplits(const ForwardArgs &args) const;
  llvm::Error backwardUntuned(const BackwardArgs &args) const;
  /// The most CTAs per (key block, kv head) a backward of `args` may split
  /// a kv head's query heads over (BwdParams::kvSplit): what the workspace
  /// holds partial dK/dV planes for.
  int reservedKvSplit(const ForwardArgs &args) const;
  /// The workspace's layout for `args` (its size: backwardWorkspaceBytes).
  runtime::BackwardWorkspace backwardWorkspace(const ForwardArgs &args) const;
  /// backwardKvSplit on this kernel's own backward tiling.
  int untunedKvSplit(const ForwardArgs &args, bool fused = true) const;
  /// The backward module's JIT, unless loaded (under bwdMutex).
  llvm::Error jitBackward() const;
  /// The backward's kernels after their parameters (and any tile classes)
  /// are ready.
  llvm::Error launchBackward(runtime::CudaDriver &driver, const BackwardArgs &args,
                             const std::vector<CUfunction> &fn, bool fused,
                             BwdParams &p) const;
  /// The kernel of this variant rewritten for GQA packing `pack`, JITted
  /// on first use; null where the rewrite refuses the variant.
  const Kernel *packedKernel(const PackedQueryHeads &pack) const;
  /// CTAs of the forward of `args` on this kernel's tiling, splits included.
  int64_t forwardCtas(const ForwardArgs &args) const;
  /// The packed kernel, and in `launch` its arguments, where this kernel
  /// packs `args`: packable (PackedLaunch.h), the packed kernel compiles,
  /// and it is expected faster (ForwardGrid.h: packingIsFaster); else null.
  const Kernel *packedFor(const ForwardArgs &args, runtime::PackedLaunch &launch) const;
  mutable std::map<std::string, std::shared_ptr<Kernel>> packed; // by pack.key()
  mutable std::mutex packedMutex;

  /// What the tuning database says for one shape bucket.
  struct TunedChoice {
    std::shared_ptr<Kernel> kernel; // null: the planner's (this kernel)
    std::string why;
  };
  TunedChoice lookupTuned(const ForwardArgs &shape, bool backward) const;
  mutable std::map<std::string, TunedChoice> tuned; // by pass and shape bucket
  mutable std::mutex tunedMutex;

  /// The forward module: without the decoding features unless this kernel
  /// is GQA-packed (a decoding kernel); then the variant with them, JITted
  /// on the first launch that needs them (forwardModule).
  runtime::JitModule fwd;
  mutable runtime::JitModule fwdDecoding;
  mutable std::mutex fwdDecodingMutex;
  /// fwd, or with `decoding` a module that has the decoding features.
  llvm::Expected<const runtime::JitModule *> forwardModule(bool decoding) const;
  std::string specText, specName;
  JitOptions jitOptions;
  /// The backward module, JITted on first use; bwdMutex guards it and the
  /// internal workspace.
  mutable runtime::JitModule bwd;
  mutable std::mutex bwdMutex;
  /// startBackward()'s JIT: joined by prepareBackward() and the destructor.
  mutable std::thread bwdJob;
  mutable std::mutex bwdJobMutex;
  /// A checked build's launches (KernelSpec::checkLookups): the report
  /// (FwdParams::lookupReport) zeroed before `launch`, read after it, an
  /// error if a lookup index was clamped. One checked launch at a time.
  llvm::Error withLookupReport(runtime::CudaDriver &driver, const codegen::KernelSpec &spec,
                               FwdParams &f, llvm::StringRef pass,
                               llvm::function_ref<llvm::Error()> launch) const;
  mutable uint64_t lookupReport = 0; // CUdeviceptr, kLookupReportInts ints
  mutable std::mutex lookupReportMutex;
  mutable uint64_t workspace = 0; // CUdeviceptr of the internal workspace
  mutable size_t workspaceBytes = 0;
};

/// The size of a named tensor's dimension `dim` (a number, or batch, heads,
/// kv_heads, seq_q, seq_k, tokens_q, tokens_k, or one of those in blocks:
/// "seq_q/128" = ceil(seq_q / 128)) for a launch; nullopt if `dim` is none
/// of those.
std::optional<int64_t> resolveExtent(llvm::StringRef dim, const ForwardArgs &args,
                                     int kvHeads, bool varlen);

/// Drops the process-level JIT cache (kernels already made keep their
/// modules loaded until destroyed).
void clearJitProcessCache();

/// Frontend + pipeline + codegen without a GPU: the CUDA source of the
/// forward kernel, planned for `arch` (which must not be "native").
llvm::Expected<std::pair<codegen::KernelSpec, std::string>>
generateForward(llvm::StringRef text, llvm::StringRef name, llvm::StringRef arch);

/// The planner's view of a spec on `target`: the problem it solved and the
/// kernel spec (tiling) it chose; for the auto-tuner, which times the other
/// candidates of the same problem.
struct PlannedVariant {
  attn::TilingProblem problem;
  codegen::KernelSpec spec;
};
llvm::Expected<PlannedVariant> planVariant(llvm::StringRef text, llvm::StringRef name,
                                           const attn::GpuTarget &target, bool backward);

/// Device `ordinal`'s description for the planner: its architecture's
/// table row with the device's own SM count, shared memory, registers and
/// L2 (-1: the default device).
llvm::Expected<attn::GpuTarget> deviceTarget(int ordinal = -1);

/// The same for the backward kernels (planned whether or not the spec's
/// `passes` names backward).
llvm::Expected<std::pair<codegen::KernelSpec, std::string>>
generateBackward(llvm::StringRef text, llvm::StringRef name, llvm::StringRef arch);

} // namespace flashgen

#endif // FLASHGEN_RUNTIME_RUNTIME_H
