//===- Diagnostics.cpp - compiler-style diagnostics -------------*- C++ -*-===//
#include "flashgen/Frontend/Diagnostics.h"

#include <algorithm>
#include <cstdio>

using namespace flashgen;

void DiagnosticEngine::add(llvm::SMLoc loc, llvm::SourceMgr::DiagKind kind,
                           const llvm::Twine &msg,
                           llvm::ArrayRef<llvm::SMRange> ranges) {
  Held h{loc, kind, msg.str(), std::vector<llvm::SMRange>(ranges.begin(), ranges.end()), {}};
  if (kind == llvm::SourceMgr::DK_Note && !held.empty())
    held.back().notes.push_back(std::move(h));
  else
    held.push_back(std::move(h));
}

void DiagnosticEngine::flush() {
  // All locations point into buffers of one SourceMgr; order by buffer, then
  // by position. stable_sort keeps same-place reports in emission order.
  auto key = [&](const Held &h) {
    unsigned id = h.loc.isValid() ? srcMgr.FindBufferContainingLoc(h.loc) : 0;
    return std::make_pair(id, h.loc.getPointer());
  };
  std::stable_sort(held.begin(), held.end(), [&](const Held &a, const Held &b) {
    return key(a) < key(b);
  });
  for (const Held &h : held) {
    srcMgr.PrintMessage(os, h.loc, h.kind, h.msg, h.ranges);
    for (const Held &n : h.notes)
      srcMgr.PrintMessage(os, n.loc, n.kind, n.msg, n.ranges);
  }
  held.clear();
  if (truncated)
    os << "flashgen: too many errors, stopped after " << kMaxErrors << "\n";
  truncated = false;
}

void DiagnosticEngine::error(llvm::SMLoc loc, const llvm::Twine &msg,
                             llvm::ArrayRef<llvm::SMRange> ranges) {
  ++numErrors;
  if (numErrors > kMaxErrors) {
    truncated = true;
    return;
  }
  add(loc, llvm::SourceMgr::DK_Error, msg, ranges);
}

void DiagnosticEngine::warning(llvm::SMLoc loc, const llvm::Twine &msg,
                               llvm::ArrayRef<llvm::SMRange> ranges) {
  if (!truncated)
    add(loc, llvm::SourceMgr::DK_Warning, msg, ranges);
}

void DiagnosticEngine::note(llvm::SMLoc loc, const llvm::Twine &msg) {
  if (!truncated)
    add(loc, llvm::SourceMgr::DK_Note, msg, {});
}

std::string flashgen::formatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

std::optional<llvm::StringRef>
flashgen::suggestSpelling(llvm::StringRef word,
                          llvm::ArrayRef<llvm::StringRef> candidates) {
  // Allow about one edit per three characters, rounded up: "casual" ->
  // "causal", "lfet" -> "left" (a transposition is two edits). Words under
  // three characters get no guess: "x" -> "h" would be noise. On a tie,
  // prefer a candidate that extends the word ("sm_90" -> "sm_90a").
  if (word.size() < 3)
    return std::nullopt;
  unsigned limit = (word.size() + 2) / 3 + 1; // distances below this count
  std::optional<llvm::StringRef> result;
  unsigned best = 2 * limit;
  for (llvm::StringRef c : candidates) {
    unsigned d = word.edit_distance(c, /*AllowReplacements=*/true, limit);
    if (d >= limit)
      continue;
    unsigned score = 2 * d + (c.starts_with(word) ? 0 : 1);
    if (score < best) {
      best = score;
      result = c;
    }
  }
  return result;
}

std::string flashgen::didYouMean(llvm::StringRef word,
                                 llvm::ArrayRef<llvm::StringRef> candidates) {
  if (auto s = suggestSpelling(word, candidates))
    return (" (did you mean '" + *s + "'?)").str();
  return "";
}
