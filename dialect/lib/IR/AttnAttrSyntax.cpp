//===- AttnAttrSyntax.cpp - syntax of the analysis-result attributes -===//
//
// #attn.mask_shape, #attn.score_shape and #attn.tiling print as
// `<kind, key = value, flag, ...>`: only the fields that say something are
// printed, and they parse back in any order.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Dialect/Attn/IR/AttnDialect.h"
#include "flashgen/Dialect/Attn/IR/MmaKind.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace flashgen::attn;

namespace {
/// Parses `(, key [= value])*` `>` after the leading fields; `onKey` parses
/// the value (or accepts a bare flag) for each key.
ParseResult parseFields(AsmParser &p,
                        llvm::function_ref<ParseResult(StringRef key)> onKey) {
  while (succeeded(p.parseOptionalComma())) {
    StringRef key;
    if (p.parseKeyword(&key) || onKey(key))
      return failure();
  }
  return p.parseGreater();
}

template <typename EnumT, typename Symbolize>
ParseResult parseKind(AsmParser &p, EnumT &out, Symbolize symbolize,
                      StringRef what) {
  StringRef word;
  SMLoc loc = p.getCurrentLocation();
  if (p.parseLess() || p.parseKeyword(&word))
    return failure();
  std::optional<EnumT> k = symbolize(word);
  if (!k)
    return p.emitError(loc) << "unknown " << what << " '" << word << "'";
  out = *k;
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// MaskShapeAttr
//===----------------------------------------------------------------------===//

Attribute MaskShapeAttr::parse(AsmParser &p, Type) {
  MaskShapeKind kind;
  if (parseKind(p, kind, [](StringRef s) { return symbolizeMaskShapeKind(s); }, "mask shape"))
    return {};
  std::optional<int64_t> lower, upper;
  bool bottomRight = false;
  auto onKey = [&](StringRef key) -> ParseResult {
    if (key == "bottom_right") {
      bottomRight = true;
      return success();
    }
    int64_t v;
    if (key != "lower" && key != "upper")
      return p.emitError(p.getCurrentLocation()) << "unknown field '" << key << "'";
    if (p.parseEqual() || p.parseInteger(v))
      return failure();
    (key == "lower" ? lower : upper) = v;
    return success();
  };
  if (parseFields(p, onKey))
    return {};
  return MaskShapeAttr::get(p.getContext(), kind, lower, upper, bottomRight);
}

void MaskShapeAttr::print(AsmPrinter &p) const {
  p << "<" << stringifyMaskShapeKind(getKind());
  if (getLower())
    p << ", lower = " << *getLower();
  if (getUpper())
    p << ", upper = " << *getUpper();
  if (getBottomRight())
    p << ", bottom_right";
  p << ">";
}

//===----------------------------------------------------------------------===//
// ScoreShapeAttr
//===----------------------------------------------------------------------===//

Attribute ScoreShapeAttr::parse(AsmParser &p, Type) {
  ScoreShapeKind kind;
  if (parseKind(p, kind, [](StringRef s) { return symbolizeScoreShapeKind(s); }, "score shape"))
    return {};
  double cap = 0;
  std::string tensor;
  int64_t sign = 0;
  auto onKey = [&](StringRef key) -> ParseResult {
    if (p.parseEqual())
      return failure();
    if (key == "cap")
      return p.parseFloat(cap);
    if (key == "tensor")
      return p.parseString(&tensor);
    if (key == "sign")
      return p.parseInteger(sign);
    return p.emitError(p.getCurrentLocation()) << "unknown field '" << key << "'";
  };
  if (parseFields(p, onKey))
    return {};
  return ScoreShapeAttr::get(p.getContext(), kind, llvm::APFloat(cap), tensor,
                             sign);
}

void ScoreShapeAttr::print(AsmPrinter &p) const {
  p << "<" << stringifyScoreShapeKind(getKind());
  if (getKind() == ScoreShapeKind::softcap)
  {
    p << ", cap = ";
    p.printFloat(getCap());
  }
  if (!getTensor().empty()) {
    p << ", tensor = ";
    p.printString(getTensor());
  }
  if (getSign())
    p << ", sign = " << getSign();
  p << ">";
}

//===----------------------------------------------------------------------===//
// TilingAttr
//===----------------------------------------------------------------------===//

Attribute TilingAttr::parse(AsmParser &p, Type) {
  llvm::StringMap<int64_t> v;
  bool qInRegisters = false;
  int64_t warpSpecialized = 0;
  if (p.parseLess())
    return {};
  bool first = true;
  auto field = [&]() -> ParseResult {
    StringRef key;
    if (p.parseKeyword(&key))
      return failure();
    if (key == "q_in_registers") {
      qInRegisters = true;
      return success();
    }
    if (key == "warp_specialized") {
      // Bare: yes; `= true | false` in an override.
      warpSpecialized = 1;
      if (succeeded(p.parseOptionalEqual())) {
        StringRef b;
        if (p.parseKeyword(&b))
          return failure();
        if (b != "true" && b != "false")
          return p.emitError(p.getCurrentLocation())
                 << "warp_specialized must be true or false, not '" << b << "'";
        warpSpecialized = b == "true" ? 1 : -1;
      }
      return success();
    }
    if (key == "mma") {
      StringRef kind;
      if (p.parseEqual() || p.parseKeyword(&kind))
        return failure();
      std::optional<MmaKind> k = parseMmaKind(kind);
      if (!k)
        return p.emitError(p.getCurrentLocation())
               << "unknown mma kind '" << kind << "'; expected sync or wgmma";
      v["mma"] = int64_t(*k);
      return success();
    }
    static constexpr StringLiteral known[] = {
        "block_m", "block_n", "warps", "stages", "smem_bytes", "regs_per_thread",
        "ctas_per_sm"};
    if (!llvm::is_contained(known, key))
      return p.emitError(p.getCurrentLocation()) << "unknown tiling field '" << key << "'";
    int64_t x;
    if (p.parseEqual() || p.parseInteger(x))
      return failure();
    v[key] = x;
    return success();
  };
  do {
    if (!first && failed(p.parseOptionalComma()))
      break;
    first = false;
    if (field())
      return {};
  } while (true);
  if (p.parseGreater())
    return {};
  return TilingAttr::get(p.getContext(), v.lookup("block_m"), v.lookup("block_n"),
                         v.lookup("warps"), v.lookup("stages"), qInRegisters,
                         v.lookup("smem_bytes"), v.lookup("regs_per_thread"),
                         v.lookup("ctas_per_sm"), v.lookup("mma"), warpSpecialized);
}

void TilingAttr::print(AsmPrinter &p) const {
  // Zero fields (free in an override, unknown before planning) are omitted,
  // but the first is always printed so the attribute is never empty.
  std::pair<StringRef, int64_t> fields[] = {
      {"block_m", getBlockM()},       {"block_n", getBlockN()},
      {"warps", getWarps()},          {"stages", getStages()},
      {"smem_bytes", getSmemBytes()}, {"regs_per_thread", getRegsPerThread()},
      {"ctas_per_sm", getCtasPerSM()}};
  p << "<";
  bool first = true;
  for (auto [i, f] : llvm::enumerate(fields)) {
    if (f.second == 0 && !(i == 0 && first))
      continue;
    if (!first)
      p << ", ";
    p << f.first << " = " << f.second;
    first = false;
    if (i == 3 && getQInRegisters())
      p << ", q_in_registers";
  }
  if (getStages() == 0 && getQInRegisters())
    p << ", q_in_registers";
  if (getMma() != int64_t(MmaKind::Free))
    p << ", mma = " << stringifyMmaKind(MmaKind(getMma()));
  if (getWarpSpecialized() > 0)
    p << ", warp_specialized";
  else if (getWarpSpecialized() < 0)
    p << ", warp_specialized = false";
  p << ">";
}
