//===- LaunchArgsFuzzer.cpp - libFuzzer target: launch argument checks -===//
//
// Bytes decoded into ForwardArgs and BackwardArgs (counts, lengths, layouts,
// strides, fake device pointers with any alignment, varlen offsets, named
// tensors with any names, ranks, shapes and strides, positions, the
// accumulate flag) and checked against variants compiled once at start-up
// (plain, GQA, varlen, a document mask reading a tensor, a run-time block
// map). buildForwardParams / buildBackwardParams must answer every input
// with parameters or an error, never crash or overflow: they run before
// every launch, on arguments a user typed.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Runtime/LaunchArgs.h"
#include "flashgen/attention/Params.cuh"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

using namespace flashgen;

namespace {

std::vector<codegen::KernelSpec> &variants() {
  static std::vector<codegen::KernelSpec> specs = [] {
    std::vector<codegen::KernelSpec> out;
    const char *texts[] = {
        "attention a { head_dim = 64; mask = causal; }",
        "attention g { head_dim = 128; heads = 8; kv_heads = 2; score = score * 0.5; }",
        "attention v { head_dim = 64; varlen = true; mask = causal; }",
        ("attention d { head_dim = 128; tensor doc : i32[batch, seq_k]; tensor s : "
         "f32[heads]; mask = causal && doc[b, q] == doc[b, k]; score = score - s[h]; }"),
        "attention r { head_dim = 64; sparsity = runtime(block_size = 128); }",
    };
    for (const char *t : texts) {
      auto gen = generateForward(t, "fuzz.attn", "sm_90a");
      if (!gen) {
        llvm::consumeError(gen.takeError());
        __builtin_trap(); // the fixed variants must compile
      }
      out.push_back(gen->first);
    }
    return out;
  }();
  return specs;
}

/// Reads fixed-size values off the input; zeros once it runs out.
struct Reader {
  const uint8_t *p;
  size_t n;
  template <class T> T get() {
    T v{};
    size_t take = n < sizeof(T) ? n : sizeof(T);
    std::memcpy(&v, p, take);
    p += take;
    n -= take;
    return v;
  }
  int smallInt(int lo, int hi) { // [lo, hi], skewed to small values
    return lo + int(get<uint16_t>() % uint32_t(hi - lo + 1));
  }
};

Strides strides(Reader &r) {
  if (r.get<uint8_t>() % 2)
    return {};
  return {r.get<int32_t>(), r.get<int32_t>(), r.get<int32_t>()};
}

void *pointer(Reader &r) {
  uint8_t kind = r.get<uint8_t>() % 4;
  if (kind == 0)
    return nullptr;
  return reinterpret_cast<void *>(uintptr_t(0x100000) * (1 + r.get<uint8_t>()) +
                                  (kind == 1 ? r.get<uint8_t>() : 0));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Reader r{data, size};
  const std::vector<codegen::KernelSpec> &specs = variants();
  const codegen::KernelSpec &s = specs[r.get<uint8_t>() % specs.size()];
  BackwardArgs a;
  a.q = pointer(r);
  a.k = pointer(r);
  a.v = pointer(r);
  a.o = pointer(r);
  a.lse = static_cast<float *>(pointer(r));
  a.batch = r.get<uint8_t>() % 3 ? r.smallInt(-2, 70000) : r.get<int32_t>();
  a.heads = r.get<uint8_t>() % 3 ? r.smallInt(-2, 70000) : r.get<int32_t>();
  a.kvHeads = r.smallInt(-1, 16);
  a.seqQ = r.get<uint8_t>() % 3 ? r.smallInt(-2, 5000) : r.get<int32_t>();
  a.seqK = r.get<uint8_t>() % 3 ? r.smallInt(-2, 5000) : r.get<int32_t>();
  a.layout = r.get<uint8_t>() % 2 ? Layout::BHSD : Layout::BSHD;
  a.qStrides = strides(r);
  a.kStrides = strides(r);
  a.vStrides = strides(r);
  a.oStrides = strides(r);
  a.cuSeqlensQ = static_cast<const int32_t *>(pointer(r));
  a.cuSeqlensK = static_cast<const int32_t *>(pointer(r));
  a.seqUsedK = static_cast<const int32_t *>(pointer(r));
  a.pageTable = static_cast<const int32_t *>(pointer(r));
  a.kvBatchIndex = static_cast<const int32_t *>(pointer(r));
  if (a.kvBatchIndex)
    a.kvBatch = r.smallInt(-1, 70000);
  if (a.pageTable) {
    a.pageSize = r.smallInt(-16, 300);
    a.numPages = r.get<uint8_t>() % 3 ? r.smallInt(-1, 5000) : r.get<int32_t>();
    a.pageTableStride = r.smallInt(-1, 400);
  }
  a.totalQ = r.get<int32_t>();
  a.totalK = r.get<int32_t>();
  const char *names[] = {"doc", "s", "block_mask", "", "x"};
  for (int t = r.get<uint8_t>() % 4; t > 0; --t) {
    NamedTensor nt;
    nt.data = pointer(r);
    int rank = r.get<uint8_t>() % 6;
    for (int d = 0; d < rank; ++d)
      nt.shape.push_back(r.get<uint8_t>() % 4 ? r.smallInt(-1, 300) : r.get<int64_t>());
    if (r.get<uint8_t>() % 2)
      for (int d = 0; d < rank + int(r.get<uint8_t>() % 2); ++d)
        nt.strides.push_back(r.get<int64_t>());
    a.tensors[names[r.get<uint8_t>() % 5]] = nt;
  }
  a.positions = {r.smallInt(-1, 9000), r.smallInt(-1, 9000), r.smallInt(-1, 64),
                 r.smallInt(-1, 9000), r.smallInt(-1, 9000), r.smallInt(-1, 64)};
  a.dO = pointer(r);
  a.dQ = pointer(r);
  a.dK = pointer(r);
  a.dV = pointer(r);
  a.workspace = pointer(r);
  a.dOStrides = strides(r);
  a.dQStrides = strides(r);
  a.dKStrides = strides(r);
  a.dVStrides = strides(r);
  a.accumulateF32 = r.get<uint8_t>() % 2;

  BwdParams p{};
  if (llvm::Error e = runtime::buildForwardParams(s, a, runtime::ParamsFor::Forward, p.f)) {
    llvm::consumeError(std::move(e));
    return 0;
  }
  if (llvm::Error e = runtime::buildBackwardParams(a, p))
    llvm::consumeError(std::move(e));
  return 0;
}
