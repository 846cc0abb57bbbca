//===- KernelSpecJson.cpp - a KernelSpec as JSON, and back -----*- C++ -*-===//
#include "flashgen/Codegen/KernelSpecJson.h"

using namespace flashgen;
using namespace flashgen::codegen;
namespace json = llvm::json;

namespace {
json::Object tilesToJson(const attn::TileConfig &t) {
  return json::Object{{"block_m", t.blockM},
                      {"block_n", t.blockN},
                      {"warps", t.warps},
                      {"stages", t.stages},
                      {"q_in_registers", t.qInRegisters},
                      {"mma", int64_t(t.mma)},
                      {"warp_specialized", t.warpSpecialized},
                      {"smem_bytes", t.smemBytes},
                      {"regs_per_thread", t.regsPerThread},
                      {"ctas_per_sm", t.ctasPerSM}};
}

/// Reads fields of one object; the first failure is kept.
class Reader {
public:
  Reader(const json::Object *o, std::string where) : o(o), where(std::move(where)) {
    if (!o)
      fail("is not an object");
  }
  int64_t integer(llvm::StringRef k) {
    std::optional<int64_t> v = o ? o->getInteger(k) : std::nullopt;
    if (!v)
      fail("has no integer '" + k.str() + "'");
    return v.value_or(0);
  }
  std::optional<int64_t> optInteger(llvm::StringRef k) {
    if (!o || !o->get(k) || o->get(k)->getAsNull())
      return std::nullopt;
    return integer(k);
  }
  double number(llvm::StringRef k) {
    std::optional<double> v = o ? o->getNumber(k) : std::nullopt;
    if (!v)
      fail("has no number '" + k.str() + "'");
    return v.value_or(0);
  }
  bool boolean(llvm::StringRef k) {
    std::optional<bool> v = o ? o->getBoolean(k) : std::nullopt;
    if (!v)
      fail("has no boolean '" + k.str() + "'");
    return v.value_or(false);
  }
  std::string string(llvm::StringRef k) {
    std::optional<llvm::StringRef> v = o ? o->getString(k) : std::nullopt;
    if (!v)
      fail("has no string '" + k.str() + "'");
    return v.value_or("").str();
  }
  const json::Object *object(llvm::StringRef k) { return o ? o->getObject(k) : nullptr; }
  const json::Array *array(llvm::StringRef k) {
    const json::Array *a = o ? o->getArray(k) : nullptr;
    if (!a)
      fail("has no array '" + k.str() + "'");
    return a;
  }
  void fail(const std::string &why) {
    if (error.empty())
      error = where + " " + why;
  }
  std::string error;

private:
  const json::Object *o;
  std::string where;
};

attn::TileConfig tilesFromJson(const json::Object *o, std::string &error) {
  Reader r(o, "kernel spec tiles");
  attn::TileConfig t;
  t.blockM = r.integer("block_m");
  t.blockN = r.integer("block_n");
  t.warps = r.integer("warps");
  t.stages = r.integer("stages");
  t.qInRegisters = r.boolean("q_in_registers");
  t.mma = attn::MmaKind(r.integer("mma"));
  t.warpSpecialized = r.boolean("warp_specialized");
  t.smemBytes = r.integer("smem_bytes");
  t.regsPerThread = r.integer("regs_per_thread");
  t.ctasPerSM = r.integer("ctas_per_sm");
  if (error.empty())
    error = r.error;
  return t;
}
} // namespace

json::Value flashgen::codegen::kernelSpecToJson(const KernelSpec &s) {
  json::Array tensors;
  for (const TensorInfo &t : s.tensors) {
    json::Array dims;
    for (const std::string &d : t.dims)
      dims.push_back(d);
    tensors.push_back(
        json::Object{{"name", t.name}, {"is_float", t.isFloat}, {"dims", std::move(dims)}});
  }
  json::Array sites;
  for (const LookupSite &l : s.lookupSites)
    sites.push_back(json::Object{{"text", l.text}, {"tensor", l.tensor}});
  auto opt = [](const std::optional<int64_t> &v) -> json::Value {
    return v ? json::Value(*v) : json::Value(nullptr);
  };
  json::Object o{{"variant", s.variant},
                 {"entry", s.entry},
                 {"bf16", s.bf16},
                 {"fp8", s.fp8},
                 {"fp8_transpose_entry", s.fp8TransposeEntry},
                 {"head_dim_qk", s.headDimQK},
                 {"head_dim_v", s.headDimV},
                 {"padded_qk", s.paddedQK},
                 {"padded_v", s.paddedV},
                 {"tiles", tilesToJson(s.tiles)},
                 {"bwd_pre", s.bwdPreEntry},
                 {"bwd_dkdv", s.bwdDKDVEntry},
                 {"bwd_dk", s.bwdDKEntry},
                 {"bwd_dq", s.bwdDQEntry},
                 {"bwd_fused", s.bwdFusedEntry},
                 {"bwd_convert_dq", s.bwdConvertDQEntry},
                 {"bwd_convert_dkdv", s.bwdConvertDKDVEntry},
                 {"bwd_wide_smem", s.bwdWideSmemBytes},
                 {"varlen", s.varlen},
                 {"has_mask", s.hasMask},
                 {"has_score_mod", s.hasScoreMod},
                 {"has_dropout", s.hasDropout},
                 {"scale", s.scale},
                 {"dropout", s.dropout},
                 {"band", s.band},
                 {"bottom_right", s.bottomRight},
                 {"band_lower", opt(s.bandLower)},
                 {"band_upper", opt(s.bandUpper)},
                 {"tensors", std::move(tensors)},
                 {"lookup_sites", std::move(sites)},
                 {"check_lookups", s.checkLookups},
                 {"kv_heads_ratio", s.kvHeadsRatio},
                 {"mask_uses_head", s.maskUsesHead},
                 {"tile_class_entry", s.tileClassEntry}};
  if (s.bwdTiles)
    o["bwd_tiles"] = tilesToJson(*s.bwdTiles);
  return o;
}

llvm::Expected<KernelSpec> flashgen::codegen::kernelSpecFromJson(const json::Value &v) {
  Reader r(v.getAsObject(), "kernel spec");
  KernelSpec s;
  s.variant = r.string("variant");
  s.entry = r.string("entry");
  s.bf16 = r.boolean("bf16");
  s.fp8 = r.boolean("fp8");
  s.fp8TransposeEntry = r.string("fp8_transpose_entry");
  s.headDimQK = r.integer("head_dim_qk");
  s.headDimV = r.integer("head_dim_v");
  s.paddedQK = r.integer("padded_qk");
  s.paddedV = r.integer("padded_v");
  std::string error;
  s.tiles = tilesFromJson(r.object("tiles"), error);
  if (const json::Object *b = r.object("bwd_tiles"))
    s.bwdTiles = tilesFromJson(b, error);
  s.bwdPreEntry = r.string("bwd_pre");
  s.bwdDKDVEntry = r.string("bwd_dkdv");
  s.bwdDKEntry = r.string("bwd_dk");
  s.bwdDQEntry = r.string("bwd_dq");
  s.bwdFusedEntry = r.string("bwd_fused");
  s.bwdConvertDQEntry = r.string("bwd_convert_dq");
  s.bwdConvertDKDVEntry = r.string("bwd_convert_dkdv");
  s.bwdWideSmemBytes = r.optInteger("bwd_wide_smem").value_or(0);
  s.varlen = r.boolean("varlen");
  s.hasMask = r.boolean("has_mask");
  s.hasScoreMod = r.boolean("has_score_mod");
  s.hasDropout = r.boolean("has_dropout");
  s.scale = r.number("scale");
  s.dropout = r.number("dropout");
  s.band = r.boolean("band");
  s.bottomRight = r.boolean("bottom_right");
  s.bandLower = r.optInteger("band_lower");
  s.bandUpper = r.optInteger("band_upper");
  s.kvHeadsRatio = r.integer("kv_heads_ratio");
  s.maskUsesHead = r.boolean("mask_uses_head");
  s.tileClassEntry = r.string("tile_class_entry");
  if (const json::Array *ts = r.array("tensors"))
    for (const json::Value &tv : *ts) {
      Reader t(tv.getAsObject(), "kernel spec tensor");
      TensorInfo ti;
      ti.name = t.string("name");
      ti.isFloat = t.boolean("is_float");
      if (const json::Array *dims = t.array("dims"))
        for (const json::Value &d : *dims) {
          std::optional<llvm::StringRef> ds = d.getAsString();
          if (!ds)
            t.fail("has a dimension that is not a string");
          ti.dims.push_back(ds.value_or("").str());
        }
      if (!t.error.empty() && r.error.empty())
        r.error = t.error;
      s.tensors.push_back(std::move(ti));
    }
  if (const json::Array *ls = r.array("lookup_sites"))
    for (const json::Value &lv : *ls) {
      Reader l(lv.getAsObject(), "kernel spec lookup site");
      s.lookupSites.push_back({l.string("text"), int(l.integer("tensor"))});
      if (!l.error.empty() && r.error.empty())
        r.error = l.error;
    }
  s.checkLookups = r.boolean("check_lookups");
  if (r.error.empty())
    r.error = error;
  if (!r.error.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), r.error);
  return s;
}
