//===- Sema.h - semantic checks for .attn variants --------------*- C++ -*-===//
//
// Gives the names of a parsed variant their meaning, checks every property
// and expression, and produces a VariantSpec: plain resolved values plus the
// type-checked mask and score expressions. Mask builtins are desugared here
// into ordinary expressions over b, h, q, k, seq_q, seq_k, so the dialect
// only ever sees arithmetic:
//
//   causal                      -> k <= q
//   causal(bottom_right)        -> k <= q + (seq_k - seq_q)
//   sliding_window(left=L, right=R[, align=bottom_right])
//                               -> q - L <= k && k <= q + R   (shifted alike)
//   key_padding                 -> k < seqlens_k[b]  (implicit tensor)
//   none                        -> true
//
// Sema reports every error it finds and keeps going; it returns the specs of
// the variants that checked cleanly.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_FRONTEND_SEMA_H
#define FLASHGEN_FRONTEND_SEMA_H

#include "flashgen/Frontend/AST.h"
#include "flashgen/Frontend/Diagnostics.h"

#include <optional>
#include <vector>

namespace flashgen {

/// FP8E4M3: fp8 e4m3 inputs with a bf16 output (forward only, sm_90a).
enum class DType { F16, BF16, FP8E4M3 };
enum class Target { SM80, SM86, SM89, SM90a, Native };
/// `mma = auto | sync | wgmma`: the forward kernel's tensor-core instruction.
enum class MmaChoice { Auto, Sync, Wgmma };
enum class SparsityKind { Local, Strided, Butterfly, Layout, Runtime };

/// The run-time tensor `sparsity = runtime(block_size = S)` reads: the
/// caller's block map, i32[batch, heads, seq_q/S, seq_k/S] (the extent
/// "seq_q/S" is ceil(seq_q / S)), nonzero where a block is computed.
constexpr const char kBlockMaskTensor[] = "block_mask";

struct SparsitySpec {
  SparsityKind kind = SparsityKind::Local;
  int64_t blockSize = 128;
  int64_t width = 0, stride = 0, numGlobal = 0, rows = 0, cols = 0;
  std::vector<int64_t> layout; // rows * cols entries, row-major
};

struct TensorSpec {
  std::string name;
  bool isFloat = false; // f32, else i32
  struct Dim {
    std::string symbol; // empty for a literal size
    int64_t size = 0;
  };
  std::vector<Dim> dims;
  llvm::SMRange loc;
  bool implicit = false; // declared by a builtin (key_padding)
  bool used = false;
};

/// One checked variant. Expression pointers point into the AST (which Sema
/// may have rewritten in place), so the SpecFile must outlive the spec.
struct VariantSpec {
  std::string name;
  llvm::SMLoc loc;
  DType dtype = DType::BF16;
  int64_t qkHeadDim = 0, vHeadDim = 0;
  std::optional<int64_t> heads, kvHeads;
  double scale = 0; // defaults to 1/sqrt(qkHeadDim)
  double dropout = 0;
  bool forward = true, backward = false;
  Target target = Target::Native;
  bool varlen = false;
  std::optional<SparsitySpec> sparsity;
  const ast::Expr *mask = nullptr;  // null: attend everywhere
  const ast::Expr *score = nullptr; // null: the scaled score unchanged
  std::vector<TensorSpec> tensors;
  /// Tiling the user fixed with block_m/block_n/warps/stages (0 = free).
  int64_t blockM = 0, blockN = 0, warps = 0, stages = 0;
  /// The backward's, with bwd_block_m/bwd_warps/bwd_stages (0 = free).
  int64_t bwdBlockM = 0, bwdWarps = 0, bwdStages = 0;
  /// Auto: wgmma where the target and head dims allow, else mma.sync.
  MmaChoice mma = MmaChoice::Auto;
  /// The backward's MMA; Auto: the forward's `mma` where the backward can
  /// run it, else the planner's choice.
  MmaChoice bwdMma = MmaChoice::Auto;
  /// `warp_specialized = true | false` (0: not set, 1, -1) and
  /// `ctas_per_sm = N`: the forward's kernel family and launch bound.
  int64_t warpSpecialized = 0, ctasPerSM = 0;
  /// `bwd_warp_specialized = true | false` (0: not set, 1, -1): the
  /// backward's fused kernel family.
  int64_t bwdWarpSpecialized = 0;
  /// Where each property was set, for locations of the lowered attributes.
  llvm::SMLoc maskLoc, scoreLoc;
};

/// Checks every variant of `file`. Returns one spec per variant that has no
/// errors; the engine holds the diagnostics of the others.
std::vector<VariantSpec> checkSpecFile(ast::SpecFile &file,
                                       DiagnosticEngine &diags);

} // namespace flashgen

#endif // FLASHGEN_FRONTEND_SEMA_H
