//===- EmbeddedTemplates.h - the kernel templates, compiled in --*- C++ -*-===//
#ifndef FLASHGEN_RUNTIME_EMBEDDEDTEMPLATES_H
#define FLASHGEN_RUNTIME_EMBEDDEDTEMPLATES_H

#include "llvm/ADT/ArrayRef.h"

namespace flashgen::runtime {

struct EmbeddedFile {
  const char *name;     // include path, e.g. "flashgen/attention/FwdKernel.cuh"
  const char *contents; // NUL-terminated
};

/// Every templates/**/*.cuh, sorted by name.
llvm::ArrayRef<EmbeddedFile> embeddedTemplates();

/// SHA-256 (hex) over every template's name and SHA-256, taken at build
/// time (cmake/EmbedTemplates.cmake): the kernel cache's keys include it.
const char *embeddedTemplatesHash();

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_EMBEDDEDTEMPLATES_H
