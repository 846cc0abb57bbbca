// Tests the C API without a GPU: source generation, error codes and
// messages, and (where no GPU is present) a clear no-device error.
// RUN: flashgen-capi-test | FileCheck %s
#include "flashgen-c/Runtime.h"

#include <stdio.h>
#include <string.h>

int main(void) {
  const char *src = NULL;
  FlashgenStatus s = flashgenGenerateSource(
      "attention capi { head_dim = 64; mask = causal; }", "capi.attn", "sm_90a", &src);
  // CHECK: generate: 0
  printf("generate: %d\n", (int)s);
  // CHECK-NEXT: has entry: 1
  printf("has entry: %d\n", src && strstr(src, "flashgen_fwd_capi") != NULL);

  s = flashgenGenerateBackwardSource("attention capi { head_dim = 64; mask = causal; }",
                                     "capi.attn", "sm_90a", &src);
  // sm_90a, head dim 64: the warp-specialized fused kernel serves both the
  // fast and the deterministic path (no separate dK/dV kernel).
  // CHECK-NEXT: backward: 0 fused=1 dkdv=0
  printf("backward: %d fused=%d dkdv=%d\n", (int)s,
         src && strstr(src, "flashgen_bwd_fused_capi") != NULL,
         src && strstr(src, "flashgen_bwd_dkdv_capi") != NULL);

  s = flashgenGenerateSource("attention bad { head_dim = 12; }", "bad.attn", "sm_90a", &src);
  // CHECK-NEXT: bad spec: 1
  printf("bad spec: %d\n", (int)s);
  // CHECK-NEXT: message: errors in bad.attn:
  // CHECK-NEXT: bad.attn:1:28: error: 'head_dim' must be a positive multiple of 8
  printf("message: %s\n", flashgenLastError());

  s = flashgenGenerateSource("attention a { head_dim = 64; }", "a.attn", "sm_99", &src);
  // An argument, not the spec: INVALID_ARGUMENT (the kind the error carries).
  // CHECK: unknown arch: 4 unknown architecture 'sm_99'
  printf("unknown arch: %d %s\n", (int)s, flashgenLastError());

  s = flashgenGenerateSource("attention r { head_dim = 64; tensor t : i32[1, 1, 1, 1, 1];"
                             " mask = t[0, 0, 0, 0, 0] > 0; }", "r.attn", "sm_90a", &src);
  // CHECK: unsupported: 2 variant 'r': tensor 't' has rank 5; at most 4
  printf("unsupported: %d %.52s\n", (int)s, flashgenLastError());

  // A run-time block mask is the named tensor block_mask.
  s = flashgenGenerateSource("attention r { head_dim = 64; sparsity = runtime; }", "r.attn",
                             "sm_90a", &src);
  // CHECK: runtime blocks: 0 reads block_mask 1
  printf("runtime blocks: %d reads block_mask %d\n", (int)s,
         s == FLASHGEN_OK && strstr(src, "p.tensors[0]") != NULL);

  // BSR lists to the dense block map; a bad row is an argument error.
  {
    const int32_t counts[2] = {1, 2}, indices[4] = {2, 0, 0, 1};
    int32_t dense[6] = {0};
    FlashgenBsrBlockMask m = {1, 1, 2, 3, counts, indices, 2, NULL, NULL, 0};
    s = flashgenExpandBsrBlockMask(&m, dense);
    // CHECK: bsr: 0 0 0 1 1 1 0
    printf("bsr: %d %d %d %d %d %d %d\n", (int)s, dense[0], dense[1], dense[2], dense[3],
           dense[4], dense[5]);
    const int32_t bad[4] = {2, 0, 1, 1};
    m.indices = bad;
    s = flashgenExpandBsrBlockMask(&m, dense);
    // CHECK: bad bsr: 4 block mask row (batch 0, head 0, query block 1): partial kv blocks must be strictly ascending, but 1 at position 1 follows 1
    printf("bad bsr: %d %s\n", (int)s, flashgenLastError());
    s = flashgenExpandBsrBlockMask(NULL, dense);
    // CHECK: null bsr: 4 bsr and dense must not be NULL
    printf("null bsr: %d %s\n", (int)s, flashgenLastError());
  }

  s = flashgenGenerateSource(NULL, "x", "sm_90a", &src);
  // CHECK: null: 4 spec, arch and source must not be NULL
  printf("null: %d %s\n", (int)s, flashgenLastError());

  FlashgenKernel k;
  s = flashgenKernelCreateFromSpec("attention a { head_dim = 64; }", "a.attn", &k);
  // Without a GPU: 3 and a message naming the driver; with one: 0.
  // CHECK: create: {{0|3}} null={{0|1}}
  printf("create: %d null=%d\n", (int)s, flashgenKernelIsNull(k));
  if (s == FLASHGEN_OK) {
    // A backward without lse is refused by name, before any launch.
    FlashgenBackwardArgs b;
    memset(&b, 0, sizeof(b));
    static char buf[4096] __attribute__((aligned(16)));
    b.fwd.q = b.fwd.k = b.fwd.v = buf;
    b.fwd.o = buf;
    b.fwd.batch = b.fwd.heads = 1;
    b.fwd.seq_q = b.fwd.seq_k = 4;
    b.d_o = b.dq = b.dk = b.dv = buf;
    s = flashgenKernelBackward(k, &b);
    printf("backward: %d %s\n", (int)s, flashgenLastError());
    flashgenKernelDestroy(k);
  } else {
    printf("backward: 4 backward: 'lse' is required (no GPU here)\n");
  }
  // CHECK: backward: 4 backward: 'lse' is required

  // For training (the backward JITted beside the forward): the same status
  // as the plain creator; NULL arguments refused.
  FlashgenKernel t;
  s = flashgenKernelCreateForTraining("attention a { head_dim = 64; }", "a.attn", -1, &t);
  // CHECK: training: {{0|3}} null={{0|1}}
  printf("training: %d null=%d\n", (int)s, flashgenKernelIsNull(t));
  if (s == FLASHGEN_OK)
    flashgenKernelDestroy(t);
  s = flashgenKernelCreateForTraining(NULL, "a.attn", -1, &t);
  // CHECK: training null: 4 spec and out must not be NULL
  printf("training null: %d %s\n", (int)s, flashgenLastError());

  // The merge primitive: arguments are checked (by name) before any GPU.
  FlashgenMergeArgs m;
  memset(&m, 0, sizeof m);
  m.batch = 1, m.heads = 2, m.seq = 3, m.head_dim = 64, m.bf16 = 1;
  s = flashgenMergeAttention(&m);
  // CHECK: merge: 4 mergeAttention: 'oA' is null
  printf("merge: %d %s\n", (int)s, flashgenLastError());
  s = flashgenMergeAttention(NULL);
  // CHECK: merge null: 4 args must not be NULL
  printf("merge null: %d %s\n", (int)s, flashgenLastError());
  // fp8 inputs: the E4M3 kernel and the V transposition it needs, one source.
  s = flashgenGenerateSource("attention f8 { dtype = fp8_e4m3; head_dim = 128; }", "f8.attn",
                             "sm_90a", &src);
  // CHECK: fp8: 0 e4m3=1 transpose=1
  printf("fp8: %d e4m3=%d transpose=%d\n", (int)s, src && strstr(src, "<E4M3,") != NULL,
         src && strstr(src, "flashgen_fp8_transpose_v_f8") != NULL);
  // CHECK: api version: 9
  printf("api version: %d\n", flashgenApiVersion());
  return 0;
}
