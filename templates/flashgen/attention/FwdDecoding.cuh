//===- FwdDecoding.cuh - whether a forward kernel serves decoding launches -*- CUDA -*-===//
//
// The forward kernels' launch features that decoding launches use:
// split-KV partial results (FwdParams::kvSplits > 1, written in fp32 for
// the combine), K/V in a paged pool (FwdParams::pageTable, loaded box by
// box) and the zeroing of the V rows past an entry's key length
// (FwdParams::seqUsedK, a KV cache's filled part; the lengths themselves
// bound every kernel's walk); with fp8 inputs, V transposed by the kernel
// itself instead of read from the pre-pass's V^T (FwdFp8.cuh). Compiled
// in, they are half the SASS of a plain d128 forward (3400 -> 1696
// instructions; mostly the paged loads' unrolled boxes) and 15-20%
// of its NVRTC time, which every variant's first launch waits for (issue
// 14). So the JIT compiles a forward without them (the source defines
// FLASHGEN_FWD_DECODING 0) and, on the first launch that needs one, the
// same variant with them (Kernel's decoding module; a GQA-packed kernel,
// a decoding kernel, has them from the start). Sources without the define
// (`flashgen compile`, tests) have them.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_FWDDECODING_CUH
#define FLASHGEN_ATTENTION_FWDDECODING_CUH

#ifndef FLASHGEN_FWD_DECODING
#define FLASHGEN_FWD_DECODING 1
#endif

namespace flashgen {
constexpr bool kFwdDecoding = FLASHGEN_FWD_DECODING != 0;
} // namespace flashgen

#endif // FLASHGEN_ATTENTION_FWDDECODING_CUH
