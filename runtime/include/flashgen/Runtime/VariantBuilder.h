//===- VariantBuilder.h - attention variants from C++ ----------*- C++ -*-===//
//
// Builds a variant without writing .attn text by hand:
//
//   auto k = flashgen::VariantBuilder("alibi")
//                .dtype(flashgen::DType::BF16).headDim(128).heads(32, 8)
//                .tensor("slopes", /*isFloat=*/true, {"heads"})
//                .mask("causal")
//                .score("score - slopes[h] * float(q - k)")
//                .jit();
//
// The builder writes the equivalent spec and hands it to the same frontend,
// so a builder variant and a file variant are checked, diagnosed and cached
// identically (diagnostics point into the generated text, shown with them).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_VARIANTBUILDER_H
#define FLASHGEN_RUNTIME_VARIANTBUILDER_H

#include "flashgen/Frontend/Sema.h"
#include "flashgen/Runtime/Runtime.h"

#include <string>
#include <vector>

namespace flashgen {

class VariantBuilder {
public:
  explicit VariantBuilder(std::string name) : name(std::move(name)) {}

  VariantBuilder &dtype(DType t);
  VariantBuilder &headDim(int d);
  VariantBuilder &headDims(int qk, int v);
  VariantBuilder &heads(int heads, int kvHeads = 0);
  VariantBuilder &scale(double s);
  /// A mask expression, e.g. "causal", "sliding_window(left = 256)".
  VariantBuilder &mask(const std::string &expr);
  /// A score-modifier expression over score, b, h, q, k.
  VariantBuilder &score(const std::string &expr);
  VariantBuilder &dropout(double p);
  VariantBuilder &varlen(bool on = true);
  VariantBuilder &tensor(const std::string &name, bool isFloat,
                         const std::vector<std::string> &dims);
  VariantBuilder &backward(bool on = true);
  VariantBuilder &target(const std::string &arch);
  /// Any other property, verbatim: property("sparsity", "local(width = 2)").
  VariantBuilder &property(const std::string &key, const std::string &value);

  /// The .attn text this builder stands for.
  std::string spec() const;
  /// Compiles it for the GPU present (Kernel::fromSpec).
  llvm::Expected<std::unique_ptr<Kernel>> jit(const JitOptions &options = {}) const;

private:
  std::string name;
  std::vector<std::pair<std::string, std::string>> properties;
  std::vector<std::string> tensors;
  bool forward = true, wantBackward = false;
};

} // namespace flashgen

#endif // FLASHGEN_RUNTIME_VARIANTBUILDER_H
