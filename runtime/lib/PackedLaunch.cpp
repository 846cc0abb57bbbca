//===- PackedLaunch.cpp - a forward launch with a kv head's query heads as rows -===//
#include "flashgen/Runtime/PackedLaunch.h"

#include "flashgen/Runtime/LaunchArgs.h"

#include <cstdlib>
#include <string>

using namespace flashgen;

std::string flashgen::runtime::whyNotPackable(bool dropout, bool varlen, bool sparse,
                                             int64_t group, int64_t seqQ) {
  if (dropout || varlen || sparse)
    return "dropout, varlen and block sparsity are not packed";
  if (group * seqQ > kMaxPackedRows)
    return std::to_string(group) + " query heads x " + std::to_string(seqQ) + " rows > " +
           std::to_string(kMaxPackedRows);
  return "";
}

std::optional<runtime::PackedLaunch>
flashgen::runtime::packedLaunchOf(const codegen::KernelSpec &spec, const ForwardArgs &a,
                                  int kvHeads) {
  if (a.cuSeqlensQ || a.cuSeqlensK)
    return std::nullopt;
  const Positions &pos = a.positions;
  if (pos.qOffset || pos.kOffset || pos.headOffset || pos.seqQ || pos.seqK || pos.heads)
    return std::nullopt;
  if (a.batch < 1 || a.seqQ < 1 || kvHeads < 1 || a.heads <= kvHeads || a.heads % kvHeads)
    return std::nullopt;
  const int group = a.heads / kvHeads;
  if (!whyNotPackable(spec.hasDropout, spec.varlen, bool(spec.sparsity), group, a.seqQ).empty())
    return std::nullopt;
  const bool single = a.seqQ == 1;
  auto view = [&](Strides given, int64_t dim) -> std::optional<Strides> {
    const Strides s = derivedStrides(given, a.layout, a.heads, a.seqQ, dim);
    if (!single && s.head != int64_t(a.seqQ) * s.row)
      return std::nullopt; // rows of consecutive heads are not seq_q rows apart
    return Strides{s.batch, single ? s.head : s.row, int64_t(group) * s.head};
  };
  std::optional<Strides> q = view(a.qStrides, spec.headDimQK), o = view(a.oStrides, spec.headDimV);
  if (!q || !o)
    return std::nullopt;
  PackedLaunch p;
  p.pack.group = group;
  p.pack.heads = a.heads;
  p.pack.singleQuery = single;
  p.args = a;
  p.args.heads = kvHeads;
  p.args.kvHeads = kvHeads;
  p.args.seqQ = group * a.seqQ;
  p.args.qStrides = *q;
  p.args.oStrides = *o;
  // K and V keep their layout's strides for kvHeads heads (a paged pool
  // has its own, derived by the launch).
  if (!a.pageTable) {
    p.args.kStrides = derivedStrides(a.kStrides, a.layout, kvHeads, a.seqK, spec.headDimQK);
    p.args.vStrides = derivedStrides(a.vStrides, a.layout, kvHeads, a.seqK, spec.headDimV);
  }
  return p;
}

PackGqa flashgen::runtime::packGqaFromEnvironment(PackGqa option) {
  const char *env = std::getenv("FLASHGEN_PACK_GQA");
  if (!env || !*env)
    return option;
  const std::string v = env;
  return v == "0" ? PackGqa::Never : v == "always" ? PackGqa::Always : PackGqa::WhereFaster;
}
