//===- VariantBuilder.cpp - attention variants from C++ ---------*- C++ -*-===//
#include "flashgen/Runtime/VariantBuilder.h"

#include <cstdio>

using namespace flashgen;

namespace {
std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  std::string s = buf;
  if (s.find_first_of(".en") == std::string::npos)
    s += ".0"; // a float literal, not an int
  return s;
}
} // namespace

VariantBuilder &VariantBuilder::property(const std::string &key, const std::string &value) {
  for (auto &p : properties)
    if (p.first == key) {
      p.second = value; // the last setting wins, as a user of a builder expects
      return *this;
    }
  properties.push_back({key, value});
  return *this;
}

VariantBuilder &VariantBuilder::dtype(DType t) {
  return property("dtype", t == DType::BF16      ? "bf16"
                          : t == DType::FP8E4M3 ? "fp8_e4m3"
                                                : "f16");
}
VariantBuilder &VariantBuilder::headDim(int d) { return property("head_dim", std::to_string(d)); }
VariantBuilder &VariantBuilder::headDims(int qk, int v) {
  property("qk_head_dim", std::to_string(qk));
  return property("v_head_dim", std::to_string(v));
}
VariantBuilder &VariantBuilder::heads(int h, int kv) {
  property("heads", std::to_string(h));
  return kv ? property("kv_heads", std::to_string(kv)) : *this;
}
VariantBuilder &VariantBuilder::scale(double s) { return property("scale", number(s)); }
VariantBuilder &VariantBuilder::mask(const std::string &e) { return property("mask", e); }
VariantBuilder &VariantBuilder::score(const std::string &e) { return property("score", e); }
VariantBuilder &VariantBuilder::dropout(double p) { return property("dropout", number(p)); }
VariantBuilder &VariantBuilder::varlen(bool on) { return property("varlen", on ? "true" : "false"); }
VariantBuilder &VariantBuilder::backward(bool on) {
  wantBackward = on;
  return *this;
}
VariantBuilder &VariantBuilder::target(const std::string &arch) { return property("target", arch); }

VariantBuilder &VariantBuilder::tensor(const std::string &n, bool isFloat,
                                       const std::vector<std::string> &dims) {
  std::string decl = "tensor " + n + " : " + (isFloat ? "f32" : "i32") + "[";
  for (size_t i = 0; i < dims.size(); ++i)
    decl += (i ? ", " : "") + dims[i];
  tensors.push_back(decl + "];");
  return *this;
}

std::string VariantBuilder::spec() const {
  std::string s = "attention " + name + " {\n";
  for (const std::string &t : tensors)
    s += "  " + t + "\n";
  for (const auto &[k, v] : properties)
    s += "  " + k + " = " + v + ";\n";
  if (wantBackward)
    s += "  passes = forward, backward;\n";
  return s + "}\n";
}

llvm::Expected<std::unique_ptr<Kernel>> VariantBuilder::jit(const JitOptions &options) const {
  std::string text = spec();
  auto k = Kernel::fromSpec(text, name + ".attn (built)", options);
  if (!k)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "%s\nthe builder's spec was:\n%s",
                                   llvm::toString(k.takeError()).c_str(), text.c_str());
  return k;
}
