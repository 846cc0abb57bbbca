//===- Explain.h - `flashgen explain`: why the compiler chose what it did -===//
//
// Runs the attn pipeline on a variant and reports, as an aligned table or as
// JSON: the variant, the target's resources, the forward/backward tilings and
// the reasons for them, the tile census for a shape, and the IO cost model's
// prediction for flashgen and for standard attention.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DRIVER_EXPLAIN_H
#define FLASHGEN_DRIVER_EXPLAIN_H

#include "flashgen/Dialect/Attn/Analysis/TargetInfo.h"
#include "flashgen/Dialect/Attn/IR/AttnOps.h"

#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace flashgen {

struct ExplainOptions {
  std::string arch;   // "" = the variant's target (sm_90a for native)
  int64_t batch = 1;
  int64_t heads = 0;  // 0 = the variant's heads, else 16
  int64_t seqQ = 8192, seqK = 8192;
  bool json = false;
  /// q and o in BHSD (`--layout bhsd`): several query rows of a GQA group
  /// pack into one tile where the packing rule expects it faster
  /// (JitOptions::packGqaRows, on by default); in BSHD only single rows do.
  bool bhsd = false;
  /// The GPU present (its own numbers), when no --arch was given: the
  /// variant is re-planned for it and explain names it.
  std::optional<attn::GpuTarget> device;
  /// Which forward kernel the JIT would launch at this shape and why (the
  /// tuning database's entry, or the planner's); "" to leave it out.
  std::string tuning;
};

/// Parses "B,H,N" or "B,H,Nq,Nk" into `opts`; returns an error message
/// (naming `option`) or "".
std::string parseShape(llvm::StringRef text, ExplainOptions &opts,
                       llvm::StringRef option = "--shape");

/// Writes the report for one variant that went through buildAttnPipeline.
void explainVariant(attn::VariantOp variant, const ExplainOptions &opts,
                    llvm::raw_ostream &os);

} // namespace flashgen

#endif // FLASHGEN_DRIVER_EXPLAIN_H
