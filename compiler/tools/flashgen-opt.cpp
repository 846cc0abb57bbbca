//===- flashgen-opt.cpp - run passes on attn IR -----------------*- C++ -*-===//
//
// MlirOptMain with the attn dialect (and its arith/math dependencies); the
// driver of the lit tests of every pass.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Dialect/Attn/Transforms/Passes.h"
#include "flashgen/Frontend/Frontend.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  flashgen::registerAttnDialects(registry);
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  flashgen::attn::registerAttnPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "flashgen optimizer driver\n", registry));
}
