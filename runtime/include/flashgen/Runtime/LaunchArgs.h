//===- LaunchArgs.h - launch arguments checked against a variant -*- C++ -*-===//
//
// The checks every forward and backward launch runs on its arguments, and
// the parameter blocks they fill, apart from the driver: so each argument's
// error is unit-tested on a machine without a GPU (LaunchArgsTest).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_LAUNCHARGS_H
#define FLASHGEN_RUNTIME_LAUNCHARGS_H

#include "flashgen/Runtime/BackwardGrid.h"
#include "flashgen/Runtime/Runtime.h"

namespace flashgen {
struct BwdParams; // templates/flashgen/attention/Params.cuh

namespace runtime {

/// Which pass the forward's parameter block is for: errors start with its
/// name ("forward: 'q' must be 16-byte aligned ..."), and only the forward
/// writes 'o' and 'lse' (the backward reads them, so they may share bytes
/// with q, k and v there).
enum class ParamsFor { Forward, Backward };

/// Checks the arguments both passes share against the variant `spec`
/// (pointers, counts, kv heads, varlen offsets, strides, named tensors and
/// their shapes) and fills the forward's parameter block.
llvm::Error buildForwardParams(const codegen::KernelSpec &spec, const ForwardArgs &args,
                               ParamsFor pass, FwdParams &p);

/// `given` if any of its strides is set, else the element strides (batch,
/// row, head) of a [batch][seq][heads][dim] tensor in `layout` (BSHD) or
/// [batch][heads][seq][dim] (BHSD). Varlen tensors pass seq = 0.
Strides derivedStrides(Strides given, Layout layout, int64_t heads, int64_t seq, int64_t dim);

/// The kv heads a launch runs with: args.kvHeads, else the spec's grouping,
/// else one per query head (buildForwardParams checks that they divide).
int resolvedKvHeads(const codegen::KernelSpec &spec, const ForwardArgs &args);

/// Rows of a sequence of `n` positions in the backward's workspace:
/// padded to kBwdSeqPadding (BwdParams::seqPad, seqPadK).
int64_t backwardPaddedRows(int n);

/// Where the backward's workspace keeps each part (BwdParams), in bytes
/// from its start: lse2 and D per padded query row, the fast path's fp32
/// dQ accumulator (reserved on either path, so one workspace serves both),
/// the deterministic fused path's order counters, then (16-byte aligned)
/// the partial dK/dV planes of `kvSplit` > 1; `bytes` in all.
struct BackwardWorkspace {
  size_t lse2 = 0, dsum = 0, dqAccum = 0, dqOrder = 0, dkvPartial = 0, bytes = 0;
};
BackwardWorkspace backwardWorkspaceLayout(const ForwardArgs &args, int64_t paddedQK, int kvHeads,
                                          int headDimQK, int headDimV, int kvSplit);

/// The backward's own arguments (lse, dO and the gradients, workspace
/// alignment, gradient strides, which default to their tensors' in p.f)
/// into `p`, whose forward block p.f buildForwardParams filled.
llvm::Error buildBackwardParams(const BackwardArgs &args, BwdParams &p);

} // namespace runtime
} // namespace flashgen

#endif // FLASHGEN_RUNTIME_LAUNCHARGS_H
