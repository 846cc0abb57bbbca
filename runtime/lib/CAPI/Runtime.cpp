//===- CAPI/Runtime.cpp - thin C wrappers over the C++ runtime --*- C++ -*-===//
#include "flashgen-c/Runtime.h"
#include "flashgen/Codegen/ErrorKind.h"
#include "flashgen/Runtime/BlockClasses.h"
#include "flashgen/Runtime/BlockMask.h"
#include "flashgen/Runtime/Merge.h"
#include "flashgen/Runtime/Runtime.h"

#include <algorithm>

#include <string>

using namespace flashgen;

namespace {
thread_local std::string lastError;
thread_local std::string lastSource;

FlashgenStatus failWith(FlashgenStatus s, const std::string &msg) {
  lastError = msg;
  return s;
}

/// The status of a failure, from the kind its error carries (ErrorKind.h);
/// an error without one is the driver's or the system's.
FlashgenStatus failWith(llvm::Error e) {
  auto [kind, msg] = takeKindAndMessage(std::move(e), ErrorKind::Cuda);
  FlashgenStatus s = FLASHGEN_ERROR_CUDA;
  switch (kind) {
  case ErrorKind::Spec: s = FLASHGEN_ERROR_INVALID_SPEC; break;
  case ErrorKind::Unsupported: s = FLASHGEN_ERROR_UNSUPPORTED; break;
  case ErrorKind::NoDevice: s = FLASHGEN_ERROR_NO_DEVICE; break;
  case ErrorKind::Argument: s = FLASHGEN_ERROR_INVALID_ARGUMENT; break;
  case ErrorKind::Cuda: s = FLASHGEN_ERROR_CUDA; break;
  }
  return failWith(s, msg);
}

Kernel *unwrap(FlashgenKernel k) { return static_cast<Kernel *>(k.ptr); }
} // namespace

int flashgenApiVersion(void) { return FLASHGEN_C_API_VERSION; }

const char *flashgenLastError(void) { return lastError.c_str(); }

FlashgenStatus flashgenKernelCreateFromSpec(const char *spec, const char *name,
                                            FlashgenKernel *out) {
  return flashgenKernelCreateFromSpecOnDevice(spec, name, -1, out);
}

/// Both creators: the forward, and with `withBackward` the backward
/// beside it (JitOptions::withBackward).
static FlashgenStatus createKernel(const char *spec, const char *name, int device,
                                   bool withBackward, FlashgenKernel *out) {
  if (!spec || !out)
    return failWith(FLASHGEN_ERROR_INVALID_ARGUMENT, "spec and out must not be NULL");
  out->ptr = nullptr;
  JitOptions options;
  options.device = device;
  options.withBackward = withBackward;
  auto k = Kernel::fromSpec(spec, name ? name : "spec.attn", options);
  if (!k)
    return failWith(k.takeError());
  out->ptr = k->release();
  lastError.clear();
  return FLASHGEN_OK;
}

FlashgenStatus flashgenKernelCreateFromSpecOnDevice(const char *spec, const char *name,
                                                    int device, FlashgenKernel *out) {
  return createKernel(spec, name, device, /*withBackward=*/false, out);
}

FlashgenStatus flashgenKernelCreateForTraining(const char *spec, const char *name, int device,
                                               FlashgenKernel *out) {
  return createKernel(spec, name, device, /*withBackward=*/true, out);
}

void flashgenKernelDestroy(FlashgenKernel kernel) { delete unwrap(kernel); }

/// flashgenGenerate*Source: `generate` is generateForward or generateBackward.
template <class Generate>
static FlashgenStatus generateSource(Generate generate, const char *spec, const char *name,
                                     const char *arch, const char **source) {
  if (!spec || !arch || !source)
    return failWith(FLASHGEN_ERROR_INVALID_ARGUMENT, "spec, arch and source must not be NULL");
  auto gen = generate(spec, name ? name : "spec.attn", arch);
  if (!gen)
    return failWith(gen.takeError());
  lastSource = std::move(gen->second);
  *source = lastSource.c_str();
  lastError.clear();
  return FLASHGEN_OK;
}

FlashgenStatus flashgenSpecCheck(const char *spec, const char *name, const char *arch) {
  const char *source = nullptr;
  return generateSource(generateForward, spec, name, arch, &source);
}

FlashgenStatus flashgenGenerateSource(const char *spec, const char *name, const char *arch,
                                      const char **source) {
  return generateSource(generateForward, spec, name, arch, source);
}

FlashgenStatus flashgenGenerateBackwardSource(const char *spec, const char *name,
                                              const char *arch, const char **source) {
  return generateSource(generateBackward, spec, name, arch, source);
}

static Strides convertStrides(const FlashgenStrides &s) { return {s.batch, s.row, s.head}; }

/// The C forward arguments as the C++ ones; an error message if malformed.
static std::string convertArgs(const FlashgenForwardArgs *a, ForwardArgs &f) {
  f.q = a->q; f.k = a->k; f.v = a->v; f.o = a->o; f.lse = a->lse;
  f.batch = a->batch; f.heads = a->heads; f.kvHeads = a->kv_heads;
  f.seqQ = a->seq_q; f.seqK = a->seq_k;
  f.layout = a->layout == FLASHGEN_LAYOUT_BHSD ? Layout::BHSD : Layout::BSHD;
  f.cuSeqlensQ = a->cu_seqlens_q; f.cuSeqlensK = a->cu_seqlens_k;
  f.seqUsedK = a->seqused_k;
  f.pageTable = a->page_table;
  f.pageSize = a->page_size; f.numPages = a->num_pages; f.pageTableStride = a->page_table_stride;
  f.kvBatchIndex = a->kv_batch_index; f.kvBatch = a->kv_batch;
  // 0: unset (a zeroed struct), 1.
  f.qDescale = a->q_descale == 0.f ? 1.f : a->q_descale;
  f.kDescale = a->k_descale == 0.f ? 1.f : a->k_descale;
  f.vDescale = a->v_descale == 0.f ? 1.f : a->v_descale;
  auto headDescale = [](const FlashgenHeadDescale &h) {
    return ForwardArgs::HeadDescale{h.data, h.batch_stride, h.head_stride};
  };
  f.qHeadDescale = headDescale(a->q_head_descale);
  f.kHeadDescale = headDescale(a->k_head_descale);
  f.vHeadDescale = headDescale(a->v_head_descale);
  f.totalQ = a->total_q; f.totalK = a->total_k;
  f.dropoutSeed = a->dropout_seed; f.dropoutOffset = a->dropout_offset;
  f.stream = static_cast<CUstream>(a->stream);
  f.qStrides = convertStrides(a->q_strides);
  f.kStrides = convertStrides(a->k_strides);
  f.vStrides = convertStrides(a->v_strides);
  f.oStrides = convertStrides(a->o_strides);
  const FlashgenPositions &pos = a->positions;
  f.positions = {pos.q_offset, pos.k_offset, pos.head_offset, pos.seq_q, pos.seq_k, pos.heads};
  for (int i = 0; i < a->num_tensors; ++i) {
    if (!a->tensor_names || !a->tensor_names[i] || !a->tensor_data || !a->tensor_ranks ||
        !a->tensor_shapes || a->tensor_ranks[i] < 1 || a->tensor_ranks[i] > 4)
      return "tensor " + std::to_string(i) + ": name, data, rank (1-4) and shape "
             "are required";
    NamedTensor t;
    t.data = a->tensor_data[i];
    t.shape.assign(a->tensor_shapes + 4 * i, a->tensor_shapes + 4 * i + a->tensor_ranks[i]);
    if (a->tensor_strides)
      t.strides.assign(a->tensor_strides + 4 * i,
                       a->tensor_strides + 4 * i + a->tensor_ranks[i]);
    f.tensors[a->tensor_names[i]] = t;
  }
  return "";
}

FlashgenStatus flashgenKernelForward(FlashgenKernel kernel, const FlashgenForwardArgs *a) {
  if (!kernel.ptr || !a)
    return failWith(FLASHGEN_ERROR_INVALID_ARGUMENT, "kernel and args must not be NULL");
  ForwardArgs f;
  std::string bad = convertArgs(a, f);
  if (!bad.empty())
    return failWith(FLASHGEN_ERROR_INVALID_ARGUMENT, bad);
  if (llvm::Error e = unwrap(kernel)->forward(f))
    return failWith(std::move(e));
  lastError.clear();
  return FLASHGEN_OK;
}

FlashgenStatus flashgenMergeAttention(const FlashgenMergeArgs *a) {
  if (!a)
    return failWith(FLASHGEN_ERROR_INVALID_ARGUMENT, "args must not be NULL");
  MergeArgs m;
  m.oA = a->o_a;
  m.oB = a->o_b;
  m.o = a->o;
  m.lseA = a->lse_a;
  m.lseB = a->lse_b;
  m.lse = a->lse;
  m.batch = a->batch;
  m.heads = a->heads;
  m.seq = a->seq;
  m.headDim = a->head_dim;
  m.bf16 = a->bf16 != 0;
  m.layout = a->layout == FLASHGEN_LAYOUT_BHSD ? Layout::BHSD : Layout::BSHD;
  m.aStrides = Strides{a->a_strides.batch, a->a_strides.row, a->a_strides.head};
  m.bStrides = Strides{a->b_strides.batch, a->b_strides.row, a->b_strides.head};
  m.oStrides = Strides{a->o_strides.batch, a->o_strides.row, a->o_strides.head};
  m.device = a->device;
  m.stream = static_cast<CUstream>(a->stream);
  if (llvm::Error e = mergeAttention(m))
    return failWith(std::move(e));
  lastError.clear();
  return FLASHGEN_OK;
}

FlashgenStatus flashgenKernelBackward(FlashgenKernel kernel, const FlashgenBackwardArgs *a) {
  if (!kernel.ptr || !a)
    return failWith(FLASHGEN_ERROR_INVALID_ARGUMENT, "kernel and args must not be NULL");
  BackwardArgs b;
  std::string bad = convertArgs(&a->fwd, b);
  if (!bad.empty())
    return failWith(FLASHGEN_ERROR_INVALID_ARGUMENT, bad);
  b.dO = a->d_o;
  b.dQ = a->dq;
  b.dK = a->dk;
  b.dV = a->dv;
  b.workspace = a->workspace;
  b.deterministic = a->deterministic != 0;
  b.dOStrides = convertStrides(a->do_strides);
  b.dQStrides = convertStrides(a->dq_strides);
  b.dKStrides = convertStrides(a->dk_strides);
  b.dVStrides = convertStrides(a->dv_strides);
  b.accumulateF32 = a->accumulate_f32 != 0;
  if (llvm::Error e = unwrap(kernel)->backward(b))
    return failWith(std::move(e));
  lastError.clear();
  return FLASHGEN_OK;
}

size_t flashgenKernelBackwardWorkspaceBytes(FlashgenKernel kernel,
                                            const FlashgenForwardArgs *a) {
  if (!kernel.ptr || !a)
    return 0;
  ForwardArgs f;
  convertArgs(a, f);
  return unwrap(kernel)->backwardWorkspaceBytes(f);
}

FlashgenStatus flashgenKernelGetInfo(FlashgenKernel kernel, FlashgenKernelInfo *info) {
  if (!kernel.ptr || !info)
    return failWith(FLASHGEN_ERROR_INVALID_ARGUMENT, "kernel and info must not be NULL");
  const Kernel &k = *unwrap(kernel);
  const codegen::KernelSpec &s = k.spec();
  info->bf16 = s.bf16 ? 1 : 0;
  info->qk_head_dim = int(s.headDimQK);
  info->v_head_dim = int(s.headDimV);
  info->varlen = s.varlen ? 1 : 0;
  info->dropout = float(s.dropout);
  info->kv_heads_ratio = int(s.kvHeadsRatio);
  info->num_tensors = int(s.tensors.size());
  info->device = k.device();
  info->has_fast_backward = k.hasFastBackward() ? 1 : 0;
  info->fp8 = s.fp8 ? 1 : 0;
  lastError.clear();
  return FLASHGEN_OK;
}

/// Named tensor i of the kernel, or null when out of range.
static const codegen::TensorInfo *tensorAt(FlashgenKernel kernel, int i) {
  if (!kernel.ptr || i < 0 || size_t(i) >= unwrap(kernel)->spec().tensors.size())
    return nullptr;
  return &unwrap(kernel)->spec().tensors[size_t(i)];
}

const char *flashgenKernelTensorName(FlashgenKernel kernel, int i) {
  const codegen::TensorInfo *t = tensorAt(kernel, i);
  return t ? t->name.c_str() : nullptr;
}
int flashgenKernelTensorIsFloat(FlashgenKernel kernel, int i) {
  const codegen::TensorInfo *t = tensorAt(kernel, i);
  return t ? int(t->isFloat) : -1;
}
int flashgenKernelTensorRank(FlashgenKernel kernel, int i) {
  const codegen::TensorInfo *t = tensorAt(kernel, i);
  return t ? int(t->dims.size()) : -1;
}
const char *flashgenKernelTensorDim(FlashgenKernel kernel, int i, int dim) {
  const codegen::TensorInfo *t = tensorAt(kernel, i);
  if (!t || dim < 0 || size_t(dim) >= t->dims.size())
    return nullptr;
  return t->dims[size_t(dim)].c_str();
}

FlashgenStatus flashgenKernelPrepareBackward(FlashgenKernel kernel) {
  if (!kernel.ptr)
    return failWith(FLASHGEN_ERROR_INVALID_ARGUMENT, "kernel must not be NULL");
  if (llvm::Error e = unwrap(kernel)->prepareBackward())
    return failWith(std::move(e));
  lastError.clear();
  return FLASHGEN_OK;
}

const char *flashgenKernelEntryName(FlashgenKernel kernel) {
  return kernel.ptr ? unwrap(kernel)->spec().entry.c_str() : "";
}

void flashgenKernelTiling(FlashgenKernel kernel, int *bm, int *bn, int *warps, int *stages) {
  if (!kernel.ptr)
    return;
  const auto &t = unwrap(kernel)->spec().tiles;
  if (bm) *bm = int(t.blockM);
  if (bn) *bn = int(t.blockN);
  if (warps) *warps = int(t.warps);
  if (stages) *stages = int(t.stages);
}

FlashgenStatus flashgenExpandBsrBlockMask(const FlashgenBsrBlockMask *bsr, int32_t *dense) {
  if (!bsr || !dense)
    return failWith(FLASHGEN_ERROR_INVALID_ARGUMENT, "bsr and dense must not be NULL");
  BsrBlockMask m;
  m.batch = bsr->batch;
  m.heads = bsr->heads;
  m.rowBlocks = bsr->row_blocks;
  m.colBlocks = bsr->col_blocks;
  m.counts = bsr->counts;
  m.indices = bsr->indices;
  m.indexStride = bsr->index_stride;
  m.fullCounts = bsr->full_counts;
  m.fullIndices = bsr->full_indices;
  m.fullIndexStride = bsr->full_index_stride;
  llvm::Expected<std::vector<int32_t>> map = expandBsr(m);
  if (!map)
    return failWith(map.takeError());
  std::copy(map->begin(), map->end(), dense);
  lastError.clear();
  return FLASHGEN_OK;
}

FlashgenStatus flashgenSpecClassifyBlocks(const char *spec, const char *name, int seq_q,
                                          int seq_k, int count, const int32_t *blocks,
                                          int32_t *classes) {
  if (!spec || count < 0 || (count && (!blocks || !classes)))
    return failWith(FLASHGEN_ERROR_INVALID_ARGUMENT,
                    "spec, blocks and classes must not be NULL, count >= 0");
  std::vector<PositionBlock> list(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i)
    list[size_t(i)] = {blocks[4 * i], blocks[4 * i + 1], blocks[4 * i + 2], blocks[4 * i + 3]};
  llvm::Expected<std::vector<BlockClass>> got =
      classifyBlocks(spec, name ? name : "spec.attn", seq_q, seq_k, list);
  if (!got)
    return failWith(got.takeError());
  for (int i = 0; i < count; ++i)
    classes[i] = int32_t((*got)[size_t(i)]);
  lastError.clear();
  return FLASHGEN_OK;
}
