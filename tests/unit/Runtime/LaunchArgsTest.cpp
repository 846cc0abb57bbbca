//===- LaunchArgsTest.cpp - launch arguments, checked without a GPU ------===//
//
// Every argument check of a forward or backward launch, on the CPU: the
// kernel spec comes from generateForward (no GPU), the pointers are fake
// but aligned and 16 MB apart (nothing is dereferenced), and each bad
// argument must give an error that names it.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Runtime/LaunchArgs.h"

#include "flashgen/attention/Params.cuh"

#include "gtest/gtest.h"

#include <array>

using namespace flashgen;

namespace {

codegen::KernelSpec specOf(const std::string &text) {
  auto gen = generateForward(text, "t.attn", "sm_90a");
  if (!gen) {
    ADD_FAILURE() << llvm::toString(gen.takeError());
    return {};
  }
  return gen->first;
}

void *fake(uintptr_t at) { return reinterpret_cast<void *>(at); }

ForwardArgs validArgs() {
  ForwardArgs a;
  a.q = fake(0x1000000);
  a.k = fake(0x2000000);
  a.v = fake(0x3000000);
  a.o = fake(0x4000000);
  a.batch = 2;
  a.heads = 4;
  a.seqQ = 100;
  a.seqK = 300;
  return a;
}

/// validArgs() with what a backward launch adds: the logsumexp, dO and the
/// gradients.
BackwardArgs validBackwardArgs() {
  BackwardArgs a;
  static_cast<ForwardArgs &>(a) = validArgs();
  a.lse = static_cast<float *>(fake(0x5000000));
  a.dO = fake(0x8000000);
  a.dQ = fake(0x9000000);
  a.dK = fake(0xa000000);
  a.dV = fake(0xb000000);
  return a;
}

/// The error of a forward launch's argument check ("ok" if none).
std::string check(const codegen::KernelSpec &s, const ForwardArgs &a) {
  FwdParams p{};
  llvm::Error e = runtime::buildForwardParams(s, a, runtime::ParamsFor::Forward, p);
  return e ? llvm::toString(std::move(e)) : "ok";
}

/// The error of a backward launch's argument check, both parts as
/// Kernel::backward runs them ("ok" if none); `p` filled.
std::string checkBackward(const codegen::KernelSpec &s, const BackwardArgs &a, BwdParams &p) {
  if (llvm::Error e = runtime::buildForwardParams(s, a, runtime::ParamsFor::Backward, p.f))
    return llvm::toString(std::move(e));
  llvm::Error e = runtime::buildBackwardParams(a, p);
  return e ? llvm::toString(std::move(e)) : "ok";
}

TEST(LaunchArgs, FillsTheForwardParameters) {
  codegen::KernelSpec s = specOf("attention a { head_dim = 64; }");
  ForwardArgs a = validArgs();
  FwdParams p{};
  ASSERT_FALSE(bool(runtime::buildForwardParams(s, a, runtime::ParamsFor::Forward, p)));
  // BSHD: row stride heads * d, head stride d, batch stride seq * heads * d.
  EXPECT_EQ(p.qRowStride, 4 * 64);
  EXPECT_EQ(p.qHeadStride, 64);
  EXPECT_EQ(p.qBatchStride, 100 * 4 * 64);
  EXPECT_EQ(p.kBatchStride, 300 * 4 * 64);
  EXPECT_EQ(p.kvHeads, 4);
  EXPECT_FLOAT_EQ(p.scale, 0.125f);
  EXPECT_EQ(p.seqUsedK, nullptr);
  a.seqUsedK = static_cast<int32_t *>(fake(0x60004));
  ASSERT_FALSE(bool(runtime::buildForwardParams(s, a, runtime::ParamsFor::Forward, p)));
  EXPECT_EQ(p.seqUsedK, a.seqUsedK);
  a.seqUsedK = nullptr;
  a.layout = Layout::BHSD;
  ASSERT_FALSE(bool(runtime::buildForwardParams(s, a, runtime::ParamsFor::Forward, p)));
  EXPECT_EQ(p.qRowStride, 64);
  EXPECT_EQ(p.qHeadStride, 100 * 64);
}

TEST(LaunchArgs, EveryForwardArgumentIsChecked) {
  codegen::KernelSpec s = specOf("attention a { head_dim = 64; }");
  auto with = [&](auto change) {
    ForwardArgs a = validArgs();
    change(a);
    return check(s, a);
  };
  EXPECT_EQ(with([](ForwardArgs &) {}), "ok");
  EXPECT_EQ(with([](ForwardArgs &a) { a.q = nullptr; }), "forward: 'q' is null");
  EXPECT_EQ(with([](ForwardArgs &a) { a.v = fake(0x30008); }),
            "forward: 'v' must be 16-byte aligned (cp.async loads 16 bytes)");
  EXPECT_EQ(with([](ForwardArgs &a) { a.lse = static_cast<float *>(fake(0x50002)); }),
            "forward: 'lse' must be 4-byte aligned");
  EXPECT_EQ(with([](ForwardArgs &a) { a.seqK = 0; }),
            "forward: batch, heads, seqQ and seqK must be >= 1 (got batch=2 heads=4 seqQ=100 "
            "seqK=0)");
  EXPECT_NE(with([](ForwardArgs &a) { a.heads = 70000; }).find("at most 65535"),
            std::string::npos);
  EXPECT_EQ(with([](ForwardArgs &a) { a.kvHeads = 3; }),
            "forward: kvHeads (3) must divide heads (4)");
  EXPECT_NE(with([](ForwardArgs &a) { a.cuSeqlensQ = static_cast<int32_t *>(fake(0x60000)); })
                .find("is not varlen (add `varlen = true;` to the spec)"),
            std::string::npos);
  // Per-entry key lengths: int32 [batch], forward only (the backward's
  // test below), passed through to the kernel.
  EXPECT_EQ(with([](ForwardArgs &a) { a.seqUsedK = static_cast<int32_t *>(fake(0x60002)); }),
            "forward: 'seqUsedK' must be 4-byte aligned (int32 [batch])");
  EXPECT_EQ(with([](ForwardArgs &a) { a.seqUsedK = static_cast<int32_t *>(fake(0x60004)); }),
            "ok");
  // A paged KV cache: page size a multiple of 16, a table wide enough for
  // seqK = 300 keys, a contiguous pool (strides zero), the pool's bytes
  // apart from the outputs.
  auto paged = [](ForwardArgs &a) {
    a.pageTable = static_cast<int32_t *>(fake(0x60000));
    a.pageSize = 64;
    a.numPages = 10;
    a.pageTableStride = 5;
  };
  EXPECT_EQ(with(paged), "ok");
  EXPECT_EQ(with([&](ForwardArgs &a) { paged(a); a.pageSize = 40; }),
            "forward: pageSize (40) must be a positive multiple of 16");
  EXPECT_EQ(with([&](ForwardArgs &a) { paged(a); a.pageTableStride = 4; }),
            "forward: pageTableStride (4) must hold the 5 pages that seqK = 300 keys span");
  EXPECT_EQ(with([&](ForwardArgs &a) { paged(a); a.numPages = 0; }),
            "forward: numPages (0) must be >= 1, with numPages x pageSize rows < 2^31");
  EXPECT_EQ(with([&](ForwardArgs &a) { paged(a); a.pageTable = static_cast<int32_t *>(fake(0x60002)); }),
            "forward: 'pageTable' must be 4-byte aligned (int32)");
  EXPECT_NE(with([&](ForwardArgs &a) { paged(a); a.kStrides = {0, 256, 64}; })
                .find("a paged 'k' is a contiguous pool"),
            std::string::npos);
  // K/V entries through an index: kvBatch entries, their bytes counted.
  auto indexed = [](ForwardArgs &a) {
    a.kvBatchIndex = static_cast<int32_t *>(fake(0x60000));
    a.kvBatch = 5;
  };
  EXPECT_EQ(with(indexed), "ok");
  EXPECT_EQ(with([&](ForwardArgs &a) { indexed(a); a.kvBatch = 0; }),
            "forward: kvBatch (0, the entries of K/V that kvBatchIndex picks from) must be in "
            "[1, 65535]");
  EXPECT_EQ(with([](ForwardArgs &a) { a.kvBatch = 3; }),
            "forward: kvBatch given without kvBatchIndex");
  EXPECT_NE(with([&](ForwardArgs &a) { indexed(a); paged(a); }).find("does not combine"),
            std::string::npos);
  // 5 entries of 300 rows x 4 heads x 64: o 2 entries in overlaps k.
  EXPECT_NE(with([&](ForwardArgs &a) { indexed(a); a.o = fake(0x2000000 + 2 * 300 * 4 * 64 * 2); })
                .find("'o' overlaps 'k'"),
            std::string::npos);
  EXPECT_EQ(with([](ForwardArgs &a) { a.pageSize = 16; }),
            "forward: pageSize/numPages/pageTableStride given without a pageTable");
  // o inside the pool's 10 x 64 rows of 4 heads x 64 (0x3000000 + 327680 bytes).
  EXPECT_NE(with([&](ForwardArgs &a) { paged(a); a.o = fake(0x2000000 + 0x10000); })
                .find("'o' overlaps 'k'"),
            std::string::npos);
  EXPECT_EQ(with([](ForwardArgs &a) { a.kStrides = {0, 100, 64}; }),
            "forward: strides of 'k' must be positive multiples of 8 elements (16 bytes)");
  EXPECT_NE(with([](ForwardArgs &a) { a.tensors["slopes"] = {fake(0x70000), {4}, {}}; })
                .find("tensor 'slopes' is not read by variant 'a'"),
            std::string::npos);
}

TEST(LaunchArgs, Fp8DescaleFactors) {
  // Per-tensor factors: positive and finite. Per-head ones (float32
  // [batch][kvHeads] at any non-negative strides): aligned, passed through
  // to the kernel; both for fp8 variants only.
  codegen::KernelSpec fp8 = specOf("attention f { dtype = fp8_e4m3; head_dim = 128; }");
  codegen::KernelSpec bf16 = specOf("attention b { head_dim = 128; }");
  auto with = [&](const codegen::KernelSpec &s, auto change) {
    ForwardArgs a = validArgs();
    change(a);
    return check(s, a);
  };
  const float *factors = static_cast<const float *>(fake(0x60000));
  EXPECT_EQ(with(fp8, [](ForwardArgs &) {}), "ok");
  EXPECT_NE(with(fp8, [](ForwardArgs &a) { a.kDescale = 0.f; })
                .find("kDescale (0.000000) must be a positive finite number"),
            std::string::npos);
  EXPECT_EQ(with(fp8, [&](ForwardArgs &a) { a.vHeadDescale = {factors, 0, 1}; }), "ok");
  EXPECT_EQ(with(fp8, [](ForwardArgs &a) {
              a.qHeadDescale.data = static_cast<const float *>(fake(0x60002));
            }),
            "forward: qHeadDescale is not 4-byte aligned (float32 [batch][kvHeads])");
  EXPECT_EQ(with(fp8, [&](ForwardArgs &a) { a.kHeadDescale = {factors, -4, 1}; }),
            "forward: kHeadDescale's strides (-4, 1) must not be negative");
  EXPECT_EQ(with(bf16, [&](ForwardArgs &a) { a.qHeadDescale = {factors, 4, 1}; }),
            "forward: descale factors apply to fp8 inputs; variant 'b' is bf16");
  EXPECT_EQ(with(bf16, [](ForwardArgs &a) { a.qDescale = 2.f; }),
            "forward: descale factors apply to fp8 inputs; variant 'b' is bf16");
  ForwardArgs a = validArgs();
  a.qHeadDescale = {factors, 4, 1};
  a.vHeadDescale = {factors, 0, 1};
  FwdParams p{};
  ASSERT_FALSE(bool(runtime::buildForwardParams(fp8, a, runtime::ParamsFor::Forward, p)));
  EXPECT_EQ(p.qHeadDescale.data, factors);
  EXPECT_EQ(p.qHeadDescale.batchStride, 4);
  EXPECT_EQ(p.kHeadDescale.data, nullptr);
  EXPECT_EQ(p.vHeadDescale.batchStride, 0);
  EXPECT_FLOAT_EQ(p.kHeadDescale.at(1, 3), 1.f); // null: 1
}

// Outputs must not share bytes with inputs or with each other: in-place
// attention (o = q) or one buffer for two gradients is refused by name;
// rows interleaved in one packed buffer (q, k, v and o side by side per
// row) are not an overlap.
TEST(LaunchArgs, OutputsDoNotOverlapInputs) {
  codegen::KernelSpec s = specOf("attention a { head_dim = 64; }");
  auto fwd = [&](auto change) {
    ForwardArgs a = validArgs();
    change(a);
    return check(s, a);
  };
  EXPECT_EQ(fwd([](ForwardArgs &a) { a.o = const_cast<void *>(a.q); }),
            "forward: 'o' overlaps 'q' in memory (an output must not share bytes with an "
            "input)");
  // o starting 4 KB into v's bytes.
  EXPECT_NE(fwd([](ForwardArgs &a) { a.o = fake(0x3000000 + 4096); }).find("'o' overlaps 'v'"),
            std::string::npos);
  EXPECT_NE(fwd([](ForwardArgs &a) { a.lse = static_cast<float *>(fake(0x4000000 + 1024)); })
                .find("'o' overlaps 'lse'"),
            std::string::npos);
  // One packed [batch][seq][4][heads][64] buffer (seqQ = seqK here): each
  // tensor's rows are a 512-byte window of a 2048-byte pitch; o at byte
  // `oAt` of each row.
  auto packed = [&](uintptr_t oAt) {
    return fwd([&](ForwardArgs &a) {
      a.seqK = a.seqQ;
      const Strides st{100 * 4 * 4 * 64, 4 * 4 * 64, 64};
      a.qStrides = a.kStrides = a.vStrides = a.oStrides = st;
      a.q = fake(0x1000000);
      a.k = fake(0x1000000 + 512);
      a.v = fake(0x1000000 + 1024);
      a.o = fake(0x1000000 + oAt);
    });
  };
  EXPECT_EQ(packed(1536), "ok");
  // ... but o shifted by half a head into v's window is an overlap.
  EXPECT_NE(packed(1024 + 64).find("'o' overlaps 'v'"), std::string::npos);

  auto bwd = [&](auto change) {
    BackwardArgs a = validBackwardArgs();
    change(a);
    BwdParams p{};
    return checkBackward(s, a, p);
  };
  EXPECT_EQ(bwd([](BackwardArgs &) {}), "ok");
  EXPECT_NE(bwd([](BackwardArgs &a) {
              a.pageTable = static_cast<int32_t *>(fake(0x60000));
              a.pageSize = 64;
              a.numPages = 10;
              a.pageTableStride = 5;
            }).find("backward: a paged KV cache (pageTable) is a forward option"),
            std::string::npos);
  EXPECT_NE(bwd([](BackwardArgs &a) { a.seqUsedK = static_cast<int32_t *>(fake(0x60004)); })
                .find("backward: seqUsedK (per-entry key lengths) is a forward option"),
            std::string::npos);
  // The backward reads o and lse: sharing bytes with q is no hazard there.
  EXPECT_EQ(bwd([](BackwardArgs &a) { a.o = const_cast<void *>(a.q); }), "ok");
  EXPECT_EQ(bwd([](BackwardArgs &a) { a.dK = a.dQ; }),
            "backward: 'dQ' overlaps 'dK' in memory (outputs must not share bytes)");
  EXPECT_NE(bwd([](BackwardArgs &a) { a.dV = const_cast<void *>(a.dO); }).find("'dV' overlaps 'dO'"),
            std::string::npos);
  EXPECT_NE(bwd([](BackwardArgs &a) { a.dQ = const_cast<void *>(a.q); }).find("'dQ' overlaps 'q'"),
            std::string::npos);
  // fp32 gradients are twice as wide: dQ right after q's bytes is apart,
  // dK 16 bytes short of dQ's fp32 end is not.
  EXPECT_EQ(bwd([](BackwardArgs &a) { a.accumulateF32 = true; }), "ok");
  EXPECT_NE(bwd([](BackwardArgs &a) {
              a.accumulateF32 = true;
              a.dK = fake(0x9000000 + 2 * 100 * 4 * 64 * 4 - 16);
            }).find("'dQ' overlaps 'dK'"),
            std::string::npos);
}

TEST(LaunchArgs, GroupingAndVarlenFollowTheSpec) {
  codegen::KernelSpec gqa = specOf("attention g { head_dim = 64; heads = 8; kv_heads = 2; }");
  ForwardArgs a = validArgs();
  a.heads = 8;
  a.kvHeads = 4;
  EXPECT_EQ(check(gqa, a),
            "forward: the spec groups 4 query heads per kv head, but heads/kvHeads = 2");
  a.kvHeads = 0; // from the spec: 8 / 4
  EXPECT_EQ(check(gqa, a), "ok");
  codegen::KernelSpec varlen = specOf("attention v { head_dim = 64; varlen = true; }");
  EXPECT_NE(check(varlen, validArgs()).find("is varlen: give cuSeqlensQ"), std::string::npos);
}

TEST(LaunchArgs, NamedTensorsMatchTheirDeclarations) {
  codegen::KernelSpec s = specOf("attention d { head_dim = 64; tensor doc : i32[batch, seq_k]; "
                                 "mask = doc[b, q] == doc[b, k]; }");
  ForwardArgs a = validArgs();
  EXPECT_EQ(check(s, a), "forward: variant 'd' reads tensor 'doc'; pass it in args.tensors");
  a.tensors["doc"] = {fake(0x70000), {2}, {}};
  EXPECT_EQ(check(s, a), "forward: tensor 'doc' must have rank 2, got 1");
  a.tensors["doc"] = {fake(0x70000), {2, 299}, {}};
  EXPECT_EQ(check(s, a), "forward: tensor 'doc' dimension 1 (seq_k) must be 300, got 299");
  a.tensors["doc"] = {fake(0x70002), {2, 300}, {}};
  EXPECT_EQ(check(s, a), "forward: tensor 'doc' must be 4-byte aligned");
  a.tensors["doc"] = {fake(0x70000), {2, 300}, {}};
  EXPECT_EQ(check(s, a), "ok");
}

TEST(LaunchArgs, PositionsLieInsideTheWholeProblem) {
  codegen::KernelSpec s = specOf("attention d { head_dim = 64; tensor doc : i32[batch, seq_k]; "
                                 "tensor slope : f32[heads]; "
                                 "mask = doc[b, q] == doc[b, k]; score = score - slope[h]; }");
  ForwardArgs a = validArgs(); // 100 rows, 300 keys, 4 heads
  a.tensors["doc"] = {fake(0x70000), {2, 300}, {}};
  a.tensors["slope"] = {fake(0x80000), {4}, {}};
  EXPECT_EQ(check(s, a), "ok");
  a.positions.qOffset = 100;
  EXPECT_EQ(check(s, a), "forward: positions.qOffset 100 + seqQ 100 exceeds the whole problem's "
                         "seqQ 100 (set positions.seqQ to the whole problem's)");
  a.positions.seqQ = 199;
  EXPECT_EQ(check(s, a), "forward: positions.qOffset 100 + seqQ 100 exceeds the whole problem's "
                         "seqQ 199 (set positions.seqQ to the whole problem's)");
  a.positions.seqQ = 200;
  EXPECT_EQ(check(s, a), "ok");
  a.positions.kOffset = -1;
  EXPECT_EQ(check(s, a), "forward: positions.kOffset (-1) and positions.seqK (0) must be >= 0");
  // Named tensors are the whole problem's: seq_k and heads of the frame.
  a.positions.kOffset = 300;
  a.positions.seqK = 600;
  EXPECT_EQ(check(s, a), "forward: tensor 'doc' dimension 1 (seq_k) must be 600, got 300");
  a.tensors["doc"] = {fake(0x70000), {2, 600}, {}};
  EXPECT_EQ(check(s, a), "ok");
  a.positions.headOffset = 4;
  EXPECT_NE(check(s, a).find("positions.headOffset 4 + heads 4 exceeds"), std::string::npos);
  a.positions.heads = 8;
  EXPECT_EQ(check(s, a), "forward: tensor 'slope' dimension 0 (heads) must be 8, got 4");
  a.tensors["slope"] = {fake(0x80000), {8}, {}};
  FwdParams p{};
  ASSERT_FALSE(bool(runtime::buildForwardParams(s, a, runtime::ParamsFor::Forward, p)));
  EXPECT_EQ(p.frameQOffset, 100);
  EXPECT_EQ(p.frameKOffset, 300);
  EXPECT_EQ(p.frameHeadOffset, 4);
  EXPECT_EQ(p.frameSeqQ, 200);
  EXPECT_EQ(p.frameSeqK, 600);
  EXPECT_EQ(p.seqQ, 100); // the launch's own rows
}

TEST(LaunchArgs, RuntimeBlockMapHasBlockedExtents) {
  codegen::KernelSpec s = specOf("attention r { head_dim = 64; "
                                 "sparsity = runtime(block_size = 128); }");
  ForwardArgs a = validArgs(); // 100 query rows: 1 block; 300 keys: 3 blocks
  EXPECT_NE(check(s, a).find("reads tensor 'block_mask'"), std::string::npos);
  a.tensors["block_mask"] = {fake(0x70000), {2, 4, 2, 3}, {}};
  EXPECT_EQ(check(s, a), "forward: tensor 'block_mask' dimension 2 (seq_q/128) must be 1, got 2");
  a.tensors["block_mask"] = {fake(0x70000), {2, 4, 1, 2}, {}};
  EXPECT_EQ(check(s, a), "forward: tensor 'block_mask' dimension 3 (seq_k/128) must be 3, got 2");
  // One map for every head: head stride 0.
  a.tensors["block_mask"] = {fake(0x70000), {2, 4, 1, 3}, {3, 0, 3, 1}};
  FwdParams p{};
  ASSERT_FALSE(bool(runtime::buildForwardParams(s, a, runtime::ParamsFor::Forward, p)));
  EXPECT_EQ(p.tensors[0].strides[1], 0);
  EXPECT_EQ(p.tensors[0].dims[3], 3);
}

TEST(LaunchArgs, EveryBackwardArgumentIsChecked) {
  codegen::KernelSpec s = specOf("attention a { head_dim = 64; }");
  auto with = [&](auto change) {
    BackwardArgs a = validBackwardArgs();
    change(a);
    BwdParams p{};
    if (std::string r = checkBackward(s, a, p); r != "ok")
      return r;
    // Gradients default to their tensors' strides.
    return p.dKBatchStride == p.f.kBatchStride && p.dORowStride == p.f.oRowStride
               ? std::string("ok")
               : std::string("wrong default strides");
  };
  EXPECT_EQ(with([](BackwardArgs &) {}), "ok");
  EXPECT_NE(with([](BackwardArgs &a) { a.lse = nullptr; }).find("'lse' is required"),
            std::string::npos);
  EXPECT_EQ(with([](BackwardArgs &a) { a.dQ = nullptr; }), "backward: 'dQ' is null");
  EXPECT_EQ(with([](BackwardArgs &a) { a.dV = fake(0xb0004); }),
            "backward: 'dV' must be 16-byte aligned (vector loads and stores)");
  EXPECT_EQ(with([](BackwardArgs &a) { a.workspace = fake(0xc0008); }),
            "backward: 'workspace' must be 16-byte aligned");
  EXPECT_EQ(with([](BackwardArgs &a) { a.dKStrides = {0, 12, 0}; }),
            "backward: strides of 'dK' must be positive multiples of 8 elements (16 bytes)");
  EXPECT_EQ(with([](BackwardArgs &a) { a.k = nullptr; }), "backward: 'k' is null");
}

TEST(LaunchArgs, BackwardAccumulatesOnlyWhenAsked) {
  codegen::KernelSpec s = specOf("attention a { head_dim = 64; }");
  BackwardArgs a = validBackwardArgs();
  BwdParams p{};
  ASSERT_EQ(checkBackward(s, a, p), "ok");
  EXPECT_EQ(p.accumulateF32, 0);
  a.accumulateF32 = true;
  ASSERT_FALSE(bool(runtime::buildBackwardParams(a, p)));
  EXPECT_EQ(p.accumulateF32, 1);
  EXPECT_EQ(p.dQRowStride, p.f.qRowStride); // element strides, as in the other mode
  EXPECT_EQ(p.kvSplit, 1);                    // whole groups until the launch splits
  EXPECT_EQ(p.dkvPartial, nullptr);
}

TEST(LaunchArgs, BackwardWorkspaceLayout) {
  // B=2, H=16, Nq=1000 (padded to 1024), Nk=300 (padded to 384), 2 kv heads,
  // head dims 128 (padded 128) and 64.
  ForwardArgs a;
  a.batch = 2;
  a.heads = 16;
  a.seqQ = 1000;
  a.seqK = 300;
  EXPECT_EQ(runtime::backwardPaddedRows(1000), 1024);
  EXPECT_EQ(runtime::backwardPaddedRows(0), 0);
  EXPECT_EQ(runtime::backwardPaddedRows(128), 128);
  const size_t rows = 2 * 16 * 1024;
  runtime::BackwardWorkspace w = runtime::backwardWorkspaceLayout(a, 128, 2, 128, 64, 1);
  EXPECT_EQ(w.lse2, 0u);
  EXPECT_EQ(w.dsum, rows * 4);
  EXPECT_EQ(w.dqAccum, 2 * rows * 4);
  EXPECT_EQ(w.dqOrder, 2 * rows * 4 + rows * 128 * 4);
  EXPECT_EQ(w.bytes, w.dqOrder + rows / 64 * 4); // no planes without a split
  EXPECT_EQ(w.dkvPartial % 16, 0u);
  // Split 4: planes [4][2][2][384][128 + 64] floats after the counters.
  runtime::BackwardWorkspace s = runtime::backwardWorkspaceLayout(a, 128, 2, 128, 64, 4);
  EXPECT_EQ(s.dkvPartial, w.dkvPartial);
  EXPECT_GE(s.dkvPartial, w.bytes);
  EXPECT_EQ(s.bytes, s.dkvPartial + size_t(4) * 2 * 2 * 384 * (128 + 64) * 4);
  // Degenerate counts give an empty workspace, not a wrapped size.
  ForwardArgs none;
  none.batch = -1;
  EXPECT_EQ(runtime::backwardWorkspaceLayout(none, 128, 1, 128, 128, 1).bytes, 0u);
}

} // namespace
