//===- ModuleImageTest.cpp - several CUBINs as one cached blob ------------===//
#include "ModuleImage.h"

#include "gtest/gtest.h"

#include <string>

using namespace flashgen::runtime;

namespace {
std::vector<char> bytes(const std::string &s) { return {s.begin(), s.end()}; }
std::string text(llvm::ArrayRef<char> a) { return {a.begin(), a.end()}; }

TEST(ModuleImage, RoundTripsInOrder) {
  std::vector<std::vector<char>> in{bytes("\x7f" "ELF first"), bytes("\x7f" "ELF second, longer")};
  std::vector<char> blob = packModuleImages(in);
  auto out = unpackModuleImages(blob);
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ(text((*out)[0]), text(in[0]));
  EXPECT_EQ(text((*out)[1]), text(in[1]));
}

TEST(ModuleImage, ACubinIsOneImage) {
  std::vector<char> cubin = bytes("\x7f" "ELF a whole cubin");
  auto out = unpackModuleImages(cubin);
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ(text((*out)[0]), text(cubin));
}

TEST(ModuleImage, RejectsWhatPackDidNotWrite) {
  std::vector<char> blob = packModuleImages({bytes("\x7f" "ELF one"), bytes("\x7f" "ELF two")});
  // Every truncation, a byte more, another magic, a count or size that lies.
  for (size_t n = 0; n < blob.size(); ++n)
    EXPECT_FALSE(unpackModuleImages(llvm::ArrayRef<char>(blob).take_front(n)).has_value()) << n;
  std::vector<char> longer = blob;
  longer.push_back(0);
  EXPECT_FALSE(unpackModuleImages(longer).has_value());
  std::vector<char> other = blob;
  other[0] = 'X';
  EXPECT_FALSE(unpackModuleImages(other).has_value());
  std::vector<char> bigCount = blob;
  bigCount[8] = 9;
  EXPECT_FALSE(unpackModuleImages(bigCount).has_value());
  std::vector<char> bigSize = blob;
  bigSize[16 + 6] = 1; // a size past the end
  EXPECT_FALSE(unpackModuleImages(bigSize).has_value());
  EXPECT_FALSE(unpackModuleImages(packModuleImages({})).has_value());
}
} // namespace
