//===- Sema.cpp - semantic checks for .attn variants ------------*- C++ -*-===//
//
// Property-level checks: which keys exist, their value kinds and ranges,
// defaults, tensor declarations, and cross-property constraints (kv_heads
// divides heads, head_dim vs qk/v_head_dim). Expressions are checked by
// ExprChecker (SemaExpr.cpp).
//
//===----------------------------------------------------------------------===//
#include "flashgen/Frontend/Sema.h"
#include "SemaExpr.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace flashgen;
using namespace flashgen::ast;
using namespace flashgen::sema;
using llvm::cast;
using llvm::dyn_cast;

namespace {

const llvm::StringRef kPropertyNames[] = {
    "dtype",   "head_dim", "qk_head_dim", "v_head_dim", "heads",
    "kv_heads", "scale",   "mask",        "score",      "dropout",
    "sparsity", "passes",  "target",      "varlen",     "block_m",
    "block_n",  "warps",   "stages",      "mma",        "bwd_block_m",
    "bwd_warps", "bwd_stages", "bwd_mma", "warp_specialized", "ctas_per_sm",
    "bwd_warp_specialized"};

const llvm::StringRef kExtents[] = {
    "batch", "heads", "kv_heads", "seq_q", "seq_k", "tokens_q", "tokens_k"};

class VariantChecker {
public:
  VariantChecker(VariantDecl &decl, DiagnosticEngine &diags)
      : decl(decl), diags(diags) {}

  std::optional<VariantSpec> check();

private:
  void checkTensors();
  void checkProperty(PropertyDecl &p);
  std::optional<int64_t> constInt(const Expr &e, llvm::StringRef what);
  /// A constant integer that `ok` accepts, else an error "'what' must be
  /// <expected>, got N".
  std::optional<int64_t> constIntWhere(const Expr &e, llvm::StringRef what,
                                       llvm::function_ref<bool(int64_t)> ok,
                                       llvm::StringRef expected);
  std::optional<double> constNumber(const Expr &e, llvm::StringRef what);
  /// The identifier a value names, or an error listing the choices.
  std::optional<std::string> keyword(const Expr &e, llvm::StringRef what,
                                     llvm::ArrayRef<llvm::StringRef> choices);
  void checkHeadDim(const Expr &e, llvm::StringRef what, int64_t &out);
  void checkSparsity(const Expr &e);
  bool declareBlockMask(const Expr &e, int64_t blockSize);
  void checkPasses(const Expr &e);

  VariantDecl &decl;
  DiagnosticEngine &diags;
  VariantSpec spec;
  unsigned errorsAtStart = 0;
  llvm::StringMap<llvm::SMRange> seen;
  std::optional<llvm::SMRange> headDimLoc, qkDimLoc, vDimLoc, kvHeadsLoc;
  bool scaleGiven = false;
};

std::optional<int64_t> VariantChecker::constInt(const Expr &e,
                                                llvm::StringRef what) {
  std::optional<ConstValue> v = evalConstant(e, diags, "'" + what + "'");
  if (!v)
    return std::nullopt;
  if (!v->isInt) {
    diags.error(e.getLoc(), "'" + what + "' must be an integer", e.getRange());
    return std::nullopt;
  }
  return v->i;
}

std::optional<int64_t> VariantChecker::constIntWhere(const Expr &e, llvm::StringRef what,
                                                     llvm::function_ref<bool(int64_t)> ok,
                                                     llvm::StringRef expected) {
  std::optional<int64_t> n = constInt(e, what);
  if (n && !ok(*n)) {
    diags.error(e.getLoc(), "'" + what + "' must be " + expected + ", got " + llvm::Twine(*n),
                e.getRange());
    return std::nullopt;
  }
  return n;
}

std::optional<double> VariantChecker::constNumber(const Expr &e,
                                                  llvm::StringRef what) {
  std::optional<ConstValue> v = evalConstant(e, diags, "'" + what + "'");
  if (!v)
    return std::nullopt;
  return v->asDouble();
}

std::optional<std::string>
VariantChecker::keyword(const Expr &e, llvm::StringRef what,
                        llvm::ArrayRef<llvm::StringRef> choices) {
  std::string list;
  for (llvm::StringRef c : choices)
    list += (list.empty() ? "" : ", ") + c.str();
  auto *n = dyn_cast<NameExpr>(&e);
  if (!n) {
    diags.error(e.getLoc(), "'" + what + "' must be one of " + list, e.getRange());
    return std::nullopt;
  }
  if (!llvm::is_contained(choices, n->name)) {
    diags.error(e.getLoc(), "unknown " + what + " '" + n->name + "'" +
                                didYouMean(n->name, choices) + "; expected one of " +
                                list,
                e.getRange());
    return std::nullopt;
  }
  return n->name;
}

void VariantChecker::checkHeadDim(const Expr &e, llvm::StringRef what,
                                  int64_t &out) {
  std::optional<int64_t> v = constInt(e, what);
  if (!v)
    return;
  // The MMA k-step and 16-byte vector loads need multiples of 8; 256 is the
  // largest head dim whose tiles fit any target's shared memory.
  if (*v <= 0 || *v % 8 != 0 || *v > 256) {
    diags.error(e.getLoc(), "'" + what + "' must be a positive multiple of 8 "
                                         "no larger than 256, got " +
                                llvm::Twine(*v),
                e.getRange());
    return;
  }
  out = *v;
}

void VariantChecker::checkPasses(const Expr &e) {
  std::vector<const Expr *> items;
  if (auto *l = dyn_cast<ListExpr>(&e))
    for (const ExprPtr &x : l->elements)
      items.push_back(x.get());
  else
    items.push_back(&e);
  if (items.empty()) {
    diags.error(e.getLoc(), "'passes' must name forward and/or backward",
                e.getRange());
    return;
  }
  spec.forward = spec.backward = false;
  for (const Expr *x : items) {
    std::optional<std::string> k = keyword(*x, "pass", {"forward", "backward"});
    if (!k)
      continue;
    bool &flag = *k == "forward" ? spec.forward : spec.backward;
    if (flag)
      diags.warning(x->getLoc(), "pass '" + *k + "' is listed twice", x->getRange());
    flag = true;
  }
}

void VariantChecker::checkSparsity(const Expr &e) {
  static const llvm::StringRef kinds[] = {"local", "strided", "butterfly",
                                                  "layout", "runtime"};
  std::string kind;
  const std::vector<CallExpr::Arg> *args = nullptr;
  static const std::vector<CallExpr::Arg> noArgs;
  if (auto *n = dyn_cast<NameExpr>(&e)) {
    kind = n->name;
    args = &noArgs;
  } else if (auto *c = dyn_cast<CallExpr>(&e)) {
    kind = c->callee;
    args = &c->args;
  } else {
    diags.error(e.getLoc(), "'sparsity' must be local(...), strided(...), "
                            "butterfly, layout(...) or runtime",
                e.getRange());
    return;
  }
  SparsitySpec s;
  if (kind == "local") s.kind = SparsityKind::Local;
  else if (kind == "strided") s.kind = SparsityKind::Strided;
  else if (kind == "butterfly") s.kind = SparsityKind::Butterfly;
  else if (kind == "layout") s.kind = SparsityKind::Layout;
  else if (kind == "runtime") s.kind = SparsityKind::Runtime;
  else {
    diags.error(e.getLoc(), "unknown sparsity pattern '" + kind + "'" +
                                didYouMean(kind, kinds),
                e.getRange());
    return;
  }

  // Allowed named arguments per pattern.
  std::vector<llvm::StringRef> allowed = {"block_size"};
  if (s.kind == SparsityKind::Local) allowed.push_back("width");
  if (s.kind == SparsityKind::Strided) {
    allowed.push_back("stride");
    allowed.push_back("global");
  }
  bool ok = true;
  const Expr *layoutValue = nullptr;
  for (const CallExpr::Arg &a : *args) {
    if (a.key.empty()) {
      if (s.kind == SparsityKind::Layout && !layoutValue) {
        layoutValue = a.value.get();
        continue;
      }
      diags.error(a.value->getLoc(), "arguments of '" + kind +
                                         "' are named, e.g. block_size = 128",
                  a.value->getRange());
      ok = false;
      continue;
    }
    if (!llvm::is_contained(allowed, a.key)) {
      diags.error(a.keyRange.Start, "'" + kind + "' has no argument '" + a.key +
                                        "'" + didYouMean(a.key, allowed),
                  a.keyRange);
      ok = false;
      continue;
    }
    std::optional<int64_t> v = constInt(*a.value, a.key);
    if (!v) {
      ok = false;
      continue;
    }
    if (*v < (a.key == "global" ? 0 : 1)) {
      diags.error(a.value->getLoc(), "'" + a.key + "' must be " +
                                         (a.key == "global" ? ">= 0" : ">= 1") +
                                         ", got " + llvm::Twine(*v),
                  a.value->getRange());
      ok = false;
      continue;
    }
    if (a.key == "block_size") {
      if (*v < 16 || *v > 256 || *v % 16 != 0) {
        diags.error(a.value->getLoc(), "'block_size' must be a multiple of 16 "
                                       "in [16, 256], got " + llvm::Twine(*v),
                    a.value->getRange());
        ok = false;
      }
      s.blockSize = *v;
    } else if (a.key == "width") {
      s.width = *v;
    } else if (a.key == "stride") {
      s.stride = *v;
    } else if (a.key == "global") {
      s.numGlobal = *v;
    }
  }
  if (!ok)
    return;
  if (s.kind == SparsityKind::Local && s.width == 0) {
    diags.error(e.getLoc(), "'local' sparsity needs 'width' (in blocks)",
                e.getRange());
    return;
  }
  if (s.kind == SparsityKind::Strided && s.stride == 0) {
    diags.error(e.getLoc(), "'strided' sparsity needs 'stride' (in blocks)",
                e.getRange());
    return;
  }
  if (s.kind == SparsityKind::Layout) {
    auto *rows = layoutValue ? dyn_cast<ListExpr>(layoutValue) : nullptr;
    if (!rows || rows->elements.empty()) {
      diags.error(e.getLoc(), "'layout' needs a 0/1 matrix, e.g. "
                              "layout([[1, 0], [1, 1]])",
                  e.getRange());
      return;
    }
    for (const ExprPtr &row : rows->elements) {
      auto *r = dyn_cast<ListExpr>(row.get());
      if (!r || r->elements.empty()) {
        diags.error(row->getLoc(), "each row of the layout must be a list of 0/1",
                    row->getRange());
        return;
      }
      if (s.cols == 0)
        s.cols = static_cast<int64_t>(r->elements.size());
      if (static_cast<int64_t>(r->elements.size()) != s.cols) {
        diags.error(row->getLoc(), "layout rows must all have " +
                                       llvm::Twine(s.cols) + " entries, this one has " +
                                       llvm::Twine(r->elements.size()),
                    row->getRange());
        return;
      }
      for (const ExprPtr &x : r->elements) {
        auto *i = dyn_cast<IntExpr>(x.get());
        if (!i || (i->value != 0 && i->value != 1)) {
          diags.error(x->getLoc(), "layout entries must be 0 or 1", x->getRange());
          return;
        }
        s.layout.push_back(i->value);
      }
      ++s.rows;
    }
  }
  if (s.kind == SparsityKind::Runtime && !declareBlockMask(e, s.blockSize))
    return;
  spec.sparsity = std::move(s);
}

/// `sparsity = runtime(block_size = S)` reads the caller's block map as the
/// run-time tensor block_mask: i32[batch, heads, seq_q/S, seq_k/S] (extents
/// rounded up; nonzero = the block is computed), and Lowering conjoins
/// `block_mask[b, h, q / S, k / S] != 0` with the mask. One tensor, so the
/// C, C++ and Python APIs, the float64 reference and the tile-class builder
/// treat it as any other lookup (runtime/Runtime/BlockMask.h builds it
/// from FlexAttention's BSR form).
bool VariantChecker::declareBlockMask(const Expr &e, int64_t blockSize) {
  for (const TensorSpec &t : spec.tensors)
    if (t.name == kBlockMaskTensor) {
      diags.error(t.loc.Start, "tensor name '" + std::string(kBlockMaskTensor) +
                                   "' is reserved by 'sparsity = runtime' (the run-time "
                                   "block map); rename this tensor",
                  t.loc);
      return false;
    }
  TensorSpec t;
  t.name = kBlockMaskTensor;
  t.isFloat = false;
  const std::string per = "/" + std::to_string(blockSize);
  t.dims = {{"batch", 0}, {"heads", 0}, {"seq_q" + per, 0}, {"seq_k" + per, 0}};
  t.loc = e.getRange();
  t.implicit = true;
  t.used = true;
  spec.tensors.push_back(std::move(t));
  return true;
}

void VariantChecker::checkProperty(PropertyDecl &p) {
  auto [it, inserted] = seen.try_emplace(p.key, p.keyRange);
  if (!inserted) {
    diags.error(p.keyRange.Start, "property '" + p.key + "' is set twice",
                p.keyRange);
    diags.note(it->second.Start, "previously set here");
    return;
  }
  const Expr &v = *p.value;
  if (p.key == "dtype") {
    if (auto k = keyword(v, "dtype", {"f16", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2"})) {
      if (*k == "fp8_e5m2")
        diags.error(v.getLoc(), "dtype 'fp8_e5m2' is reserved and not supported "
                                "yet; use fp8_e4m3, bf16 or f16",
                    v.getRange());
      else
        spec.dtype = *k == "bf16"       ? DType::BF16
                     : *k == "fp8_e4m3" ? DType::FP8E4M3
                                        : DType::F16;
    }
  } else if (p.key == "head_dim") {
    headDimLoc = v.getRange();
    checkHeadDim(v, p.key, spec.qkHeadDim);
    spec.vHeadDim = spec.qkHeadDim;
  } else if (p.key == "qk_head_dim") {
    qkDimLoc = v.getRange();
    checkHeadDim(v, p.key, spec.qkHeadDim);
  } else if (p.key == "v_head_dim") {
    vDimLoc = v.getRange();
    checkHeadDim(v, p.key, spec.vHeadDim);
  } else if (p.key == "heads" || p.key == "kv_heads") {
    if (p.key == "kv_heads")
      kvHeadsLoc = v.getRange();
    if (std::optional<int64_t> n = constInt(v, p.key)) {
      if (*n < 1)
        diags.error(v.getLoc(), "'" + p.key + "' must be >= 1, got " +
                                    llvm::Twine(*n),
                    v.getRange());
      else
        (p.key == "heads" ? spec.heads : spec.kvHeads) = *n;
    }
  } else if (p.key == "scale") {
    if (std::optional<double> s = constNumber(v, "scale")) {
      if (!std::isfinite(*s) || *s <= 0)
        diags.error(v.getLoc(), "'scale' must be finite and positive, got " +
                                    formatNumber(*s),
                    v.getRange());
      else {
        spec.scale = *s;
        scaleGiven = true;
      }
    }
  } else if (p.key == "dropout") {
    if (std::optional<double> d = constNumber(v, "dropout")) {
      if (!(*d >= 0.0 && *d < 1.0))
        diags.error(v.getLoc(), "'dropout' must be in [0, 1), got " +
                                    formatNumber(*d),
                    v.getRange());
      else
        spec.dropout = *d;
    }
  } else if (p.key == "mask") {
    ExprChecker checker(diags, spec.tensors, ExprContext::Mask);
    ExprType t = checker.check(p.value);
    if (t != ExprType::Unknown && t != ExprType::Bool)
      diags.error(p.value->getLoc(), "'mask' must be a bool expression, got " +
                                         spellType(t),
                  p.value->getRange());
    spec.mask = p.value.get();
    spec.maskLoc = p.value->getLoc();
  } else if (p.key == "score") {
    ExprChecker checker(diags, spec.tensors, ExprContext::Score);
    ExprType t = checker.check(p.value);
    if (t == ExprType::Bool)
      diags.error(p.value->getLoc(), "'score' must be a number, got bool "
                                     "(use 'mask' to drop positions)",
                  p.value->getRange());
    spec.score = p.value.get();
    spec.scoreLoc = p.value->getLoc();
  } else if (p.key == "sparsity") {
    checkSparsity(v);
  } else if (p.key == "passes") {
    checkPasses(v);
  } else if (p.key == "target") {
    if (auto k = keyword(v, "target", {"sm_80", "sm_86", "sm_89", "sm_90a", "native"}))
      spec.target = *k == "sm_80"   ? Target::SM80
                    : *k == "sm_86" ? Target::SM86
                    : *k == "sm_89" ? Target::SM89
                    : *k == "sm_90a" ? Target::SM90a
                                     : Target::Native;
  } else if (p.key == "bwd_warps") {
    // Each backward warp holds 16 resident rows (keys for dK/dV).
    if (auto n = constIntWhere(v, p.key, [](int64_t n) { return n == 2 || n == 4 || n == 8; },
                               "2, 4 or 8"))
      spec.bwdWarps = *n;
  } else if (p.key == "bwd_stages") {
    if (auto n = constIntWhere(v, p.key, [](int64_t n) { return n == 1 || n == 2; }, "1 or 2"))
      spec.bwdStages = *n;
  } else if (p.key == "block_m" || p.key == "block_n" || p.key == "bwd_block_m") {
    // Tiles are whole MMA slices (16 rows) and at most 256 wide; the
    // backward's streamed tile (bwd_block_m) too.
    if (auto n = constIntWhere(
            v, p.key, [](int64_t n) { return n >= 16 && n <= 256 && n % 16 == 0; },
            "a multiple of 16 in [16, 256]"))
      (p.key == "block_m"   ? spec.blockM
       : p.key == "block_n" ? spec.blockN
                            : spec.bwdBlockM) = *n;
  } else if (p.key == "mma" || p.key == "bwd_mma") {
    // Which tensor-core instruction the forward (mma) or backward (bwd_mma)
    // kernels use; auto picks wgmma on sm_90a where the head dims allow,
    // else mma.sync. The backward follows `mma` unless bwd_mma is given.
    if (auto k = keyword(v, p.key, {"auto", "sync", "wgmma"}))
      (p.key == "mma" ? spec.mma : spec.bwdMma) = *k == "sync"    ? MmaChoice::Sync
                                                  : *k == "wgmma" ? MmaChoice::Wgmma
                                                                  : MmaChoice::Auto;
  } else if (p.key == "warps") {
    if (auto n = constIntWhere(
            v, p.key, [](int64_t n) { return n == 1 || n == 2 || n == 4 || n == 8 || n == 12 || n == 16; },
            "1, 2, 4, 8, 12 or 16"))
      spec.warps = *n;
  } else if (p.key == "stages") {
    if (auto n = constIntWhere(v, p.key, [](int64_t n) { return n >= 1 && n <= 4; }, "in [1, 4]"))
      spec.stages = *n;
  } else if (p.key == "warp_specialized" || p.key == "bwd_warp_specialized") {
    // The kernel family of the forward (warp_specialized) or of the
    // backward's fused kernel: the wgmma kernel with a producer warpgroup
    // (true) or the plain one (false).
    if (auto *bv = dyn_cast<BoolExpr>(&v))
      (p.key == "warp_specialized" ? spec.warpSpecialized : spec.bwdWarpSpecialized) =
          bv->value ? 1 : -1;
    else
      diags.error(v.getLoc(), "'" + p.key + "' must be true or false", v.getRange());
  } else if (p.key == "ctas_per_sm") {
    // The warp-specialized forward's launch bound (CTAs resident per SM),
    // which sets its register split.
    if (auto n = constIntWhere(v, p.key, [](int64_t n) { return n >= 1 && n <= 4; }, "in [1, 4]"))
      spec.ctasPerSM = *n;
  } else if (p.key == "varlen") {
    if (auto *b = dyn_cast<BoolExpr>(&v))
      spec.varlen = b->value;
    else
      diags.error(v.getLoc(), "'varlen' must be true or false", v.getRange());
  } else {
    std::string hint = didYouMean(p.key, kPropertyNames);
    diags.error(p.keyRange.Start, "unknown property '" + p.key + "'" + hint,
                p.keyRange);
    if (hint.empty()) {
      std::string all;
      for (llvm::StringRef n : kPropertyNames)
        all += (all.empty() ? "" : ", ") + n.str();
      diags.note(p.keyRange.Start, "known properties: " + all);
    }
  }
}

void VariantChecker::checkTensors() {
  llvm::StringMap<llvm::SMRange> names;
  static constexpr llvm::StringLiteral reserved[] = {
      "b", "h", "q", "k", "seq_q", "seq_k", "score", "causal", "key_padding",
      "none", "sliding_window"};
  for (TensorDecl &t : decl.tensors) {
    bool ok = true;
    if (llvm::is_contained(reserved, t.name)) {
      diags.error(t.nameRange.Start, "tensor name '" + t.name +
                                         "' is reserved for a built-in name",
                  t.nameRange);
      ok = false;
    }
    auto [it, inserted] = names.try_emplace(t.name, t.nameRange);
    if (!inserted) {
      diags.error(t.nameRange.Start, "tensor '" + t.name + "' is declared twice",
                  t.nameRange);
      diags.note(it->second.Start, "previously declared here");
      ok = false;
    }
    TensorSpec spec_;
    spec_.name = t.name;
    spec_.loc = t.nameRange;
    if (t.elementType == "f32") {
      spec_.isFloat = true;
    } else if (t.elementType != "i32") {
      diags.error(t.elementTypeRange.Start, "tensor element type must be i32 or "
                                            "f32, got '" + t.elementType + "'" +
                                                didYouMean(t.elementType, {"i32", "f32"}),
                  t.elementTypeRange);
      ok = false;
    }
    for (const TensorDecl::Dim &d : t.dims) {
      if (!d.symbol.empty() && !llvm::is_contained(kExtents, d.symbol)) {
        diags.error(d.range.Start, "unknown extent '" + d.symbol + "'" +
                                       didYouMean(d.symbol, kExtents) +
                                       "; use a size or one of batch, heads, "
                                       "kv_heads, seq_q, seq_k, tokens_q, tokens_k",
                    d.range);
        ok = false;
      } else if (d.symbol.empty() && d.size < 1) {
        diags.error(d.range.Start, "tensor dimension must be >= 1", d.range);
        ok = false;
      }
      spec_.dims.push_back({d.symbol, d.size});
    }
    // Kept even when malformed: its own error is reported, and dropping it
    // would add "unknown tensor" errors at every use.
    (void)ok;
    spec.tensors.push_back(std::move(spec_));
  }
}

std::optional<VariantSpec> VariantChecker::check() {
  errorsAtStart = diags.getNumErrors();
  spec.name = decl.name;
  spec.loc = decl.nameRange.Start.isValid() ? decl.nameRange.Start : decl.loc;
  checkTensors();
  // The score is checked after the mask: mask builtins such as key_padding
  // declare tensors the score may also read.
  for (PropertyDecl &p : decl.properties)
    if (p.key != "score")
      checkProperty(p);
  for (PropertyDecl &p : decl.properties)
    if (p.key == "score")
      checkProperty(p);

  // Cross-property checks.
  if (headDimLoc && (qkDimLoc || vDimLoc)) {
    llvm::SMRange other = qkDimLoc ? *qkDimLoc : *vDimLoc;
    diags.error(other.Start, "'head_dim' sets both qk and v head dims; do not "
                             "also set 'qk_head_dim'/'v_head_dim'",
                other);
    diags.note(headDimLoc->Start, "'head_dim' set here");
  } else if (vDimLoc && !qkDimLoc) {
    diags.error(vDimLoc->Start, "'v_head_dim' needs 'qk_head_dim' too", *vDimLoc);
  } else if (!headDimLoc && !qkDimLoc) {
    bool attempted = llvm::is_contained(decl.failedKeys, "head_dim") ||
                     llvm::is_contained(decl.failedKeys, "qk_head_dim");
    if (!attempted) // a malformed head_dim was reported already
      diags.error(spec.loc, "variant '" + decl.name + "' has no head dim; add "
                            "'head_dim = 128;' (or qk_head_dim and v_head_dim)");
  } else if (qkDimLoc && !vDimLoc) {
    spec.vHeadDim = spec.qkHeadDim;
  }
  if (spec.kvHeads && !spec.heads)
    diags.error(kvHeadsLoc->Start, "'kv_heads' needs 'heads' too", *kvHeadsLoc);
  if (spec.kvHeads && spec.heads && *spec.heads % *spec.kvHeads != 0)
    diags.error(kvHeadsLoc->Start, "'kv_heads' (" + llvm::Twine(*spec.kvHeads) +
                                       ") must divide 'heads' (" +
                                       llvm::Twine(*spec.heads) + ")",
                *kvHeadsLoc);
  if (!scaleGiven && spec.qkHeadDim > 0)
    spec.scale = 1.0 / std::sqrt(static_cast<double>(spec.qkHeadDim));

  for (const TensorSpec &t : spec.tensors)
    if (!t.used && !t.implicit)
      diags.warning(t.loc.Start, "tensor '" + t.name +
                                     "' is declared but never used",
                    t.loc);

  if (diags.getNumErrors() != errorsAtStart)
    return std::nullopt;
  return std::move(spec);
}

} // namespace

std::vector<VariantSpec> flashgen::checkSpecFile(SpecFile &file,
                                                 DiagnosticEngine &diags) {
  std::vector<VariantSpec> specs;
  llvm::StringMap<llvm::SMLoc> names;
  for (VariantDecl &v : file.variants) {
    unsigned before = diags.getNumErrors();
    if (!v.name.empty()) {
      auto [it, inserted] = names.try_emplace(v.name, v.nameRange.Start);
      if (!inserted) {
        diags.error(v.nameRange.Start, "variant '" + v.name + "' is defined twice",
                    v.nameRange);
        diags.note(it->second, "previously defined here");
      }
    }
    std::optional<VariantSpec> spec = VariantChecker(v, diags).check();
    if (spec && diags.getNumErrors() == before)
      specs.push_back(std::move(*spec));
  }
  return specs;
}
