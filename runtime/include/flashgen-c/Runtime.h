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

/* The message of the last failed call on this thread ("" if none). */
const char *flashgenLastError(void);

/* Compiles `spec` (a .attn text; `name` is used in diagnostics) for the
 * GPU present and stores a new handle in *out. */
FlashgenStatus flashgenKernelCreateFromSpec(const char *spec, const char *name,
                                            FlashgenKernel *out);
void flashgenKernelDestroy(FlashgenKernel kernel);

/* Generates the CUDA source for `arch` ("sm_80", "sm_90a", ...) without a
 * GPU; *source is owned by the library (valid until the next call). */
FlashgenStatus flashgenGenerateSource(const char *spec, const char *name,
                                      const char *arch, const char **source);

typedef enum FlashgenLayout { FLASHGEN_LAYOUT_BSHD = 0, FLASHGEN_LAYOUT_BHSD = 1 } FlashgenLayout;

/* Forward pass on device pointers (16-byte aligned), BSHD or BHSD layout.
 * lse may be NULL; stream may be NULL (the default stream). Named tensors
 * of the spec are passed as parallel arrays: names[i], data[i], and shape
 * rows of `ranks[i]` extents starting at shapes[4 * i]. */
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
} FlashgenForwardArgs;

FlashgenStatus flashgenKernelForward(FlashgenKernel kernel, const FlashgenForwardArgs *args);

/* Backward pass: the forward's arguments (o and lse as the forward wrote
 * them; lse is required), dO laid out like o, and the gradients dq, dk, dv
 * laid out like q, k, v. workspace may be NULL (the kernel keeps its own)
 * or flashgenKernelBackwardWorkspaceBytes() bytes, 16-byte aligned. The
 * first call JITs the backward kernels. deterministic = 0 (default):
 * the fast path where the variant's tiling has one (dQ summed with atomics;
 * its last bits may vary between runs); nonzero: kernels without atomics,
 * bit-identical from run to run. */
typedef struct FlashgenBackwardArgs {
  FlashgenForwardArgs fwd;
  const void *d_o;
  void *dq, *dk, *dv;
  void *workspace;
  int deterministic;
} FlashgenBackwardArgs;

FlashgenStatus flashgenKernelBackward(FlashgenKernel kernel, const FlashgenBackwardArgs *args);
size_t flashgenKernelBackwardWorkspaceBytes(FlashgenKernel kernel, const FlashgenForwardArgs *args);

/* Like flashgenGenerateSource, for the backward kernels. */
FlashgenStatus flashgenGenerateBackwardSource(const char *spec, const char *name,
                                              const char *arch, const char **source);

/* The kernel's entry name and tiling, for logs. */
const char *flashgenKernelEntryName(FlashgenKernel kernel);
void flashgenKernelTiling(FlashgenKernel kernel, int *block_m, int *block_n, int *warps,
                          int *stages);

#ifdef __cplusplus
}
#endif

#endif /* FLASHGEN_C_RUNTIME_H */
