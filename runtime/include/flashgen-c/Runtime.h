/*===- flashgen-c/Runtime.h - the flashgen C API -------------------*- C -*-===*\
|*                                                                            *|
|* A stable C surface over the C++ runtime, for other languages. Handles are  *|
|* opaque; every function returns a FlashgenStatus, and on failure the        *|
|* calling thread's last error message says what went wrong               *|
|* (flashgenLastError). No C++ type crosses this boundary.                   *|
|*                                                                            *|
|* Ownership: a FlashgenKernel made by flashgenKernelCreate* is the caller's  *|
|* and is freed with flashgenKernelDestroy. Strings returned by this API are  *|
|* owned by the library and stay valid until the next call on that thread    *|
|* (flashgenLastError) or until the kernel is destroyed (flashgenKernel*).   *|
|* Device pointers are always the caller's.                                   *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef FLASHGEN_C_RUNTIME_H
#define FLASHGEN_C_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum FlashgenStatus {
  FLASHGEN_OK = 0,
  FLASHGEN_ERROR_INVALID_SPEC = 1,     /* the .attn text has errors */
  FLASHGEN_ERROR_UNSUPPORTED = 2,      /* valid spec the kernels cannot run */
  FLASHGEN_ERROR_NO_DEVICE = 3,        /* no CUDA driver or GPU */
  FLASHGEN_ERROR_INVALID_ARGUMENT = 4, /* a launch argument is wrong */
  FLASHGEN_ERROR_CUDA = 5,             /* NVRTC or the driver failed */
} FlashgenStatus;

typedef struct FlashgenKernel {
  void *ptr;
} FlashgenKernel;

static inline int flashgenKernelIsNull(FlashgenKernel k) { return k.ptr == NULL; }

/* The version of this API's structs and functions: bindings that declare
 * them (ctypes) check it before any other call. 2: strides, devices,
 * kernel info; 3: BSR block masks; 6: flashgenMergeAttention; 9: fp8
 * per-head descale factors. */
#define FLASHGEN_C_API_VERSION 9
int flashgenApiVersion(void);

/* The message of the last failed call on this thread ("" if none). */
const char *flashgenLastError(void);

/* Compiles `spec` (a .attn text; `name` is used in diagnostics) for the
 * GPU present and stores a new handle in *out. */
FlashgenStatus flashgenKernelCreateFromSpec(const char *spec, const char *name,
                                            FlashgenKernel *out);
/* The same for CUDA device `device` (an ordinal; -1: $FLASHGEN_DEVICE,
 * else 0). The kernel loads into that device's primary context (the one
 * the CUDA runtime and PyTorch use) and every launch goes there. */
FlashgenStatus flashgenKernelCreateFromSpecOnDevice(const char *spec, const char *name,
                                                    int device, FlashgenKernel *out);
/* The same, for training: the backward kernels are JITted on a second
 * thread while the forward compiles (cold, the pair costs about the slower
 * of the two instead of their sum). A backward that fails to JIT is
 * reported by the first flashgenKernelBackward, not here. */
FlashgenStatus flashgenKernelCreateForTraining(const char *spec, const char *name, int device,
                                               FlashgenKernel *out);

/* Checks `spec` and plans it for `arch` (e.g. "sm_90a") without a GPU:
 * FLASHGEN_OK, or the status and, in flashgenLastError, the diagnostics. */
FlashgenStatus flashgenSpecCheck(const char *spec, const char *name, const char *arch);
void flashgenKernelDestroy(FlashgenKernel kernel);

/* Generates the CUDA source for `arch` ("sm_80", "sm_90a", ...) without a
 * GPU; *source is owned by the library (valid until the next call). */
FlashgenStatus flashgenGenerateSource(const char *spec, const char *name,
                                      const char *arch, const char **source);

typedef enum FlashgenLayout { FLASHGEN_LAYOUT_BSHD = 0, FLASHGEN_LAYOUT_BHSD = 1 } FlashgenLayout;

/* Strides of one of Q, K, V, O (and gradients) in elements; all zero:
 * derived from the layout. Varlen tensors ignore `batch`. */
typedef struct FlashgenStrides {
  int64_t batch, row, head;
} FlashgenStrides;

/* Forward pass on device pointers (16-byte aligned), BSHD or BHSD layout
 * or explicit strides. lse may be NULL; stream may be NULL (the default
 * stream). Named tensors of the spec are passed as parallel arrays:
 * names[i], data[i], and shape rows of `ranks[i]` extents starting at
 * shapes[4 * i]; tensor_strides (NULL: contiguous) likewise, in elements.
 * Zero-initialize the struct: every field added later defaults to 0. */
/* Where a launch sits in a larger problem (context parallelism): the mask,
 * score modifier and lookups see query row q as q + q_offset, key k as
 * k + k_offset, head h as h + head_offset, and seq_q, seq_k, heads (also as
 * named tensors' extents) as the whole problem's; zeros: the launch is the
 * whole problem. Offsets >= 0 and offset + the launch's length <= whole. */
typedef struct FlashgenPositions {
  int q_offset, k_offset, head_offset;
  int seq_q, seq_k, heads;
} FlashgenPositions;

/* fp8 descale factors per (batch entry, kv head): see FlashgenForwardArgs. */
typedef struct FlashgenHeadDescale {
  const float *data;
  int64_t batch_stride, head_stride;
} FlashgenHeadDescale;

typedef struct FlashgenForwardArgs {
  const void *q, *k, *v;
  void *o;
  float *lse;
  int batch, heads, kv_heads, seq_q, seq_k;
  FlashgenLayout layout;
  const int32_t *cu_seqlens_q, *cu_seqlens_k;
  int total_q, total_k;
  uint64_t dropout_seed, dropout_offset;
  int num_tensors;
  const char *const *tensor_names;
  const void *const *tensor_data;
  const int *tensor_ranks;
  const int64_t *tensor_shapes;
  void *stream; /* a CUstream */
  FlashgenStrides q_strides, k_strides, v_strides, o_strides;
  const int64_t *tensor_strides;
  FlashgenPositions positions; /* zero: the whole problem (API version 4) */
  /* Per batch entry, how many keys exist (int32 [batch] on the device,
   * flash-attn's seqused_k): entry b attends its first seqused_k[b] keys and
   * its spec sees seq_k = that length; rows past it are never read into the
   * result. NULL: every key. Forward only. (API version 7) */
  const int32_t *seqused_k;
  /* A paged KV cache (flash-attn's block_table): k and v are pools
   * [num_pages][page_size][kv_heads][d] (contiguous, strides zero), key k of
   * entry b is row k % page_size of page
   * page_table[b * page_table_stride + k / page_size] (int32 on the device).
   * page_size: a multiple of 16. NULL: contiguous K/V. Forward only, sm_90a
   * warp-specialized kernels. (API version 7) */
  const int32_t *page_table;
  int page_size, num_pages, page_table_stride;
  /* K and V of kv_batch entries, of which batch entry b reads
   * kv_batch_index[b] (int32 [batch] on the device; flash-attn's
   * cache_batch_idx). NULL: entry b. Forward only. (API version 7) */
  const int32_t *kv_batch_index;
  int kv_batch;
  /* fp8 e4m3 kernels (dtype = fp8_e4m3): each input's per-tensor descale
   * factor (real value = fp8 value x factor); 0 stands for 1 (a zeroed
   * struct). Other dtypes: leave 0. (API version 8) */
  float q_descale, k_descale, v_descale;
  /* fp8: per-head descale factors on top of those, float32 [batch][kv_heads]
   * on the device (FlashAttention-3's q/k/v_descale shape; b is the query's
   * batch entry, varlen its sequence): element (b, hk) at
   * data[b * batch_stride + hk * head_stride], a stride of 0 broadcasts.
   * data NULL: 1. (API version 9) */
  FlashgenHeadDescale q_head_descale, k_head_descale, v_head_descale;
} FlashgenForwardArgs;

FlashgenStatus flashgenKernelForward(FlashgenKernel kernel, const FlashgenForwardArgs *args);

/* Attention over the union of two disjoint key sets from each set's O and
 * logsumexp (split-KV, cascade/prefix sharing, multi-GPU attention): o_a,
 * o_b and o [batch][seq][heads][head_dim] in `layout` or at explicit
 * strides (bf16 when bf16 != 0, else fp16; 4-byte aligned, the head dim
 * contiguous; o may be o_a or o_b), lse_a and lse_b [batch][heads][seq]
 * fp32 as the forward writes them (+inf: a row with no key), lse optional.
 * A row empty in one part takes the other's, in both O = 0 and lse = +inf.
 * device: an ordinal (-1: $FLASHGEN_DEVICE, else 0); stream may be NULL.
 * Zero-initialize the struct. (API version 6) */
typedef struct FlashgenMergeArgs {
  const void *o_a, *o_b;
  void *o;
  const float *lse_a, *lse_b;
  float *lse;
  int batch, heads, seq, head_dim, bf16;
  FlashgenLayout layout;
  FlashgenStrides a_strides, b_strides, o_strides;
  int device;
  void *stream; /* a CUstream */
} FlashgenMergeArgs;

FlashgenStatus flashgenMergeAttention(const FlashgenMergeArgs *args);

/* Backward pass: the forward's arguments (o and lse as the forward wrote
 * them; lse is required), dO laid out like o, and the gradients dq, dk, dv
 * laid out like q, k, v. workspace may be NULL (the kernel keeps its own)
 * or flashgenKernelBackwardWorkspaceBytes() bytes, 16-byte aligned. The
 * first call JITs the backward kernels. deterministic = 0 (default):
 * the fast path where the variant's tiling has one (dQ summed with atomics;
 * its last bits may vary between runs; at head dims past 128 on sm_90a it has no
 * atomics and is the deterministic path too); nonzero: kernels without
 * atomics, bit-identical from run to run. */
typedef struct FlashgenBackwardArgs {
  FlashgenForwardArgs fwd;
  const void *d_o;
  void *dq, *dk, *dv;
  void *workspace;
  int deterministic;
  /* Zero: dO like o, dq like q, dk like k, dv like v. */
  FlashgenStrides do_strides, dq_strides, dk_strides, dv_strides;
  /* Nonzero: dq, dk, dv are fp32 and the gradients are added to them (a
   * caller summing many launches rounds once); zero: written in the input
   * dtype (API version 4). */
  int accumulate_f32;
} FlashgenBackwardArgs;

FlashgenStatus flashgenKernelBackward(FlashgenKernel kernel, const FlashgenBackwardArgs *args);
size_t flashgenKernelBackwardWorkspaceBytes(FlashgenKernel kernel, const FlashgenForwardArgs *args);

/* Like flashgenGenerateSource, for the backward kernels. */
FlashgenStatus flashgenGenerateBackwardSource(const char *spec, const char *name,
                                              const char *arch, const char **source);

/* What a compiled kernel expects, for bindings that check their tensors
 * before a launch (dtypes and head dims are not launch arguments). */
typedef struct FlashgenKernelInfo {
  int bf16;                    /* 1: bf16 inputs, 0: f16 */
  int qk_head_dim, v_head_dim; /* as in the spec */
  int varlen;                  /* cu_seqlens needed */
  float dropout;               /* the spec's dropout probability */
  int kv_heads_ratio;          /* heads / kv_heads when the spec fixes both, else 0 */
  int num_tensors;             /* named tensors, in launch order */
  int device;                  /* the ordinal it is loaded on */
  int has_fast_backward;       /* known after the backward is JITted, else 0 */
  int fp8;                     /* 1: fp8 e4m3 inputs, bf16 output (API version 8) */
} FlashgenKernelInfo;

FlashgenStatus flashgenKernelGetInfo(FlashgenKernel kernel, FlashgenKernelInfo *info);
/* Named tensor i (0 <= i < num_tensors): its name, whether it is f32
 * (else i32), its rank and the extent names ("batch", "seq_k", "8", ...);
 * NULL / -1 when out of range. Strings live as long as the kernel. */
const char *flashgenKernelTensorName(FlashgenKernel kernel, int i);
int flashgenKernelTensorIsFloat(FlashgenKernel kernel, int i);
int flashgenKernelTensorRank(FlashgenKernel kernel, int i);
const char *flashgenKernelTensorDim(FlashgenKernel kernel, int i, int dim);
/* JITs the backward kernels now (instead of on the first backward call). */
FlashgenStatus flashgenKernelPrepareBackward(FlashgenKernel kernel);

/* The kernel's entry name and tiling, for logs. */
const char *flashgenKernelEntryName(FlashgenKernel kernel);
void flashgenKernelTiling(FlashgenKernel kernel, int *block_m, int *block_n, int *warps,
                          int *stages);

/* A block mask in BSR form on the host (FlexAttention's BlockMask holds
 * these): rows are (batch, head, query block); row r lists counts[r] kv
 * block indices, ascending, at indices[r * index_stride]; the full_* lists
 * (optional, NULL: none) the same way. heads may be 1 (one map for every
 * head). */
typedef struct FlashgenBsrBlockMask {
  int batch, heads, row_blocks, col_blocks;
  const int32_t *counts, *indices;
  int index_stride;
  const int32_t *full_counts, *full_indices;
  int full_index_stride;
} FlashgenBsrBlockMask;

/* Validates `bsr` and writes its dense block map to `dense` (batch * heads
 * * row_blocks * col_blocks int32s, host memory): 1 where a block is kept.
 * Upload it and pass it as the named tensor "block_mask" of a spec with
 * `sparsity = runtime(block_size = S)`: i32[batch, heads, ceil(seq_q / S),
 * ceil(seq_k / S)]. FLASHGEN_ERROR_INVALID_ARGUMENT names the offending row
 * (a count or index out of range, indices not strictly ascending, a block
 * both full and partial). */
FlashgenStatus flashgenExpandBsrBlockMask(const FlashgenBsrBlockMask *bsr, int32_t *dense);

/* How the mask of `spec` covers `count` blocks of a whole problem of
 * seq_q x seq_k positions: block i is query rows [blocks[4i], blocks[4i+1]]
 * and keys [blocks[4i+2], blocks[4i+3]] (inclusive); classes[i] = 0 when no
 * pair of it is attended for any batch entry and head, 1 when every pair
 * is, 2 otherwise (also when that depends on run-time tensors). From the
 * compiler's interval analysis on the host: no GPU, no kernel. */
FlashgenStatus flashgenSpecClassifyBlocks(const char *spec, const char *name, int seq_q,
                                          int seq_k, int count, const int32_t *blocks,
                                          int32_t *classes);

#ifdef __cplusplus
}
#endif

#endif /* FLASHGEN_C_RUNTIME_H */
