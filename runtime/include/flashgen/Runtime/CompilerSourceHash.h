//===- CompilerSourceHash.h - which code generator this build is -*- C++ -*-===//
#ifndef FLASHGEN_RUNTIME_COMPILERSOURCEHASH_H
#define FLASHGEN_RUNTIME_COMPILERSOURCEHASH_H

namespace flashgen::runtime {

/// SHA-256 (hex) over the sources of the frontend, the dialect and its
/// passes, and codegen, taken at build time (cmake/HashCompilerSources.cmake):
/// the kernel cache's spec index keys on it.
const char *compilerSourceHash();

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_COMPILERSOURCEHASH_H
